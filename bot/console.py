"""The console chat: the same pipeline as Telegram, for admins and anyone without a token.

Input and output are passed in, so tests drive a whole conversation without a terminal.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.answer import Reply, Responder, cite
from bot.config import Settings
from bot.privacy import user_key
from bot.schema import Lang
from bot.storage import Storage

log = logging.getLogger(__name__)

Recorder = Callable[[Reply, float], None]

_COMMANDS = "/topics  /sources  /language en|id  /human  /privacy  /help  /quit"


def topics_text(responder: Responder, lang: Lang) -> tuple[str, list[str]]:
    """Every topic with its entries numbered; returns the text and the entry ids in number order."""
    kb = responder.kb
    lines: list[str] = []
    order: list[str] = []
    for topic in kb.topics.values():
        entries = [e for e in kb.entries.values() if e.topic == topic.id]
        if not entries:
            continue
        lines.append(f"\n{topic.title.get(lang)}")
        for entry in entries:
            order.append(entry.id)
            lines.append(f"  {len(order)}. {entry.questions.get(lang)[0]}")
    return "\n".join(lines).strip("\n"), order


def sources_text(responder: Responder, lang: Lang) -> str:
    kb = responder.kb
    also = kb.message("also_published", lang)
    ordered = sorted(kb.sources.values(), key=lambda s: s.published)
    return kb.message("sources_heading", lang) + "\n" + "\n".join(cite(s, lang, also) for s in ordered)


def run_console(
    responder: Responder,
    read: Callable[[str], str],
    write: Callable[[str], None],
    lang: Lang | None = None,
    record: Recorder | None = None,
    settings: Settings | None = None,
) -> None:
    """Read questions until /quit or end of input; a number picks from the last numbered list.

    Slash commands behave as on Telegram; replies, picks and commands stay in the language the
    person last wrote in (or chose with /language). Every exchange goes to ``record`` (the
    conversation log) before it is shown. ``settings`` fill in the /privacy text."""
    kb = responder.kb
    config = settings or Settings()
    chosen: Lang | None = lang
    last: Lang | None = None
    numbered: list[str] = []

    def show(reply: Reply, started: float) -> None:
        nonlocal last
        if record is not None:
            record(reply, started)
        last = reply.language
        write(reply.text)

    def command(name: str, arg: str, current: Lang) -> str:
        nonlocal chosen, numbered
        if name == "start":
            return f"{kb.message('welcome', current)}\n\n{_COMMANDS}"
        if name == "help":
            return f"{kb.message('help', current)}\n\n{_COMMANDS}"
        if name == "topics":
            text, numbered = topics_text(responder, current)
            return text
        if name == "sources":
            return sources_text(responder, current)
        if name == "human":  # a person is reachable through Telegram's relay only
            return f"{kb.message('human_console', current)}\n{responder.contacts_text(current)}"
        if name == "privacy":
            days = config.retention_days
            return kb.message("privacy", current).format(
                retention_days=days, idle_days=config.telegram.handoff_idle_days
            )
        if name in ("end", "forget"):
            return kb.message("telegram_only", current)
        if name == "language":
            if arg in ("en", "id"):
                chosen = "en" if arg == "en" else "id"
                return kb.message("language_set", chosen)
            return "Usage: /language en|id"
        return f"{kb.message('unknown_command', current)}\n\n{_COMMANDS}"

    write(kb.message("help", chosen or responder.guesser.default) + f"\n\n{_COMMANDS}")
    if not responder.has_contacts:  # said once: urgent replies here show the placeholder referral
        write(kb.message("placeholder_contacts", chosen or responder.guesser.default))
    while True:
        try:
            line = read("> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        current: Lang = chosen or last or responder.guesser.default
        if line.startswith("/"):
            name, _, arg = line[1:].partition(" ")
            name = name.partition("@")[0].casefold()  # "/topics@bot", as Telegram groups write it
            if name in ("quit", "exit"):
                return
            write(command(name, arg.strip(), current))
        elif line.isdigit() and 1 <= int(line) <= len(numbered):
            show(responder.entry_reply(numbered[int(line) - 1], current), time.perf_counter())
        else:
            started = time.perf_counter()
            reply = responder.respond(line, lang=chosen, hint=last)
            numbered = [s.entry_id for s in reply.suggestions]
            show(reply, started)


class ConsoleLog:
    """Writes console exchanges to the conversation log (user key "console", chat type "console").

    The console is synchronous; this runs the same async :class:`Storage` on a private event loop,
    so there is one implementation of the log. If the database cannot be opened, the chat still
    works and says once that nothing is being logged.
    """

    def __init__(self, path: Path, secret: str, kb_version: str) -> None:
        self._storage = Storage(path)
        self._loop = asyncio.new_event_loop()
        self._key = user_key(secret, 0)
        self._version = kb_version
        self.available = False

    def __enter__(self) -> ConsoleLog:
        try:
            self._loop.run_until_complete(self._storage.open())
            self.available = True
        except (OSError, sqlite3.Error) as exc:
            log.warning("conversation log unavailable (%s): this chat is not logged", exc)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.run_until_complete(self._storage.close())
        self._loop.close()

    def __call__(self, reply: Reply, started: float) -> None:
        if not self.available:
            return
        self._loop.run_until_complete(
            self._storage.record(
                user_key=self._key, chat_type="console", language=reply.language, question=reply.question,
                kind=reply.kind, entry_id=reply.entry_id, score=reply.score,
                suggestions=[s.entry_id for s in reply.suggestions], kb_version=self._version,
                handling_ms=(time.perf_counter() - started) * 1000,
            )
        )  # fmt: skip


def transcript(responder: Responder, lines: Iterable[str], lang: Lang | None = None) -> list[str]:
    """Run a scripted console conversation and return everything it wrote (used by tests)."""
    feed = iter(lines)
    out: list[str] = []

    def read(_prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    run_console(responder, read, out.append, lang)
    return out


__all__ = ["run_console", "sources_text", "topics_text", "transcript"]
