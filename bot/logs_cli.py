"""``migrant-bot logs …``: the moderators' tools on the server, over the same database and reports.

``export`` streams (rows are fetched in batches and written as they come), so a log of any size
exports in constant memory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import sys
import typing
from collections.abc import Callable
from typing import Any, TextIO

from bot import reports
from bot.answer import Kind, Responder
from bot.config import ConfigError, Settings
from bot.schema import Lang
from bot.storage import REVIEWED_KINDS, Filter, Storage, days_ago, now_iso

FORMATS = {"table": (reports.TABLE_HEADER, reports.table_row),
           "csv": (reports.CSV_BOM + reports.CSV_HEADER, reports.csv_row),
           "jsonl": ("", reports.jsonl_row)}  # fmt: skip


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    logs = commands.add_parser("logs", parents=[common], help="read the conversation log (moderators)")
    actions = logs.add_subparsers(dest="action", metavar="ACTION", required=True)
    window = argparse.ArgumentParser(add_help=False)
    window.add_argument("--since", help="from this date or time (ISO, UTC), e.g. 2026-11-01")
    window.add_argument("--until", help="before this date or time (ISO, UTC)")
    window.add_argument("--days", type=_positive, help="the last N days (instead of --since)")
    window.add_argument("--kind", action="append", default=[], choices=KINDS, help="only this kind (repeatable)")
    listing = actions.add_parser("list", parents=[common, window], help="latest exchanges")
    listing.add_argument("--format", choices=tuple(FORMATS), default="table")
    listing.add_argument("--limit", type=int, default=50)
    unanswered = actions.add_parser("unanswered", parents=[common, window], help="fallback and low-score, grouped")
    unanswered.add_argument("--format", choices=("table", "yaml"), default="table")
    unanswered.add_argument("--limit", type=int, default=20)
    actions.add_parser("stats", parents=[common, window], help="numbers for a period (default: 7 days)")
    export = actions.add_parser("export", parents=[common, window], help="every matching exchange, streamed")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    actions.add_parser("review", parents=[common], help="review exchanges one by one in the terminal")


#: What an exchange can be (bot.answer.Kind).
KINDS = typing.get_args(Kind)


def _positive(text: str) -> int:
    """A whole number of days, at least 1 ("--days 0" would silently mean the default)."""
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("a whole number of days, 1 or more")
    return int(text)


def _moment(text: str | None, option: str) -> str | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{option}: not a date or time (use e.g. 2026-11-01 or 2026-11-01T08:00)") from None
    return now_iso(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def _filter(args: argparse.Namespace, default_days: int | None = None) -> Filter:
    days = args.days if args.days is not None else (None if args.since else default_days)
    since = days_ago(days) if days else _moment(args.since, "--since")
    return Filter(since=since, until=_moment(args.until, "--until"), kinds=tuple(args.kind))


def run(settings: Settings, args: argparse.Namespace, responder: Callable[[], Responder],
        out: TextIO = sys.stdout) -> int:  # fmt: skip
    """``responder`` builds the bot's responder, only for the actions that need it."""
    if not settings.database_path.is_file():
        raise ConfigError(f"{settings.database_path}: no conversation log here yet (database not found)")
    return asyncio.run(_run(settings, args, functools.cache(responder), out))


async def _run(settings: Settings, args: argparse.Namespace, responder: Callable[[], Responder],
               out: TextIO) -> int:  # fmt: skip
    storage = Storage(settings.database_path)
    await storage.open()

    def normalise(question: str) -> str:
        return responder().normalizer(question)

    def reply_of(row: dict[str, Any]) -> str:
        language: Lang = "id" if row["language"] == "id" else "en"
        return responder().respond(str(row["question"]), lang=language).text

    try:
        if args.action == "review":
            return await _review(storage, out, reply_of=reply_of)
        if args.action == "list":
            header, row_text = FORMATS[args.format]
            out.write(header)
            for row in await storage.exchanges(_filter(args), limit=args.limit):
                out.write(row_text(row))
        elif args.action == "export":
            header, row_text = FORMATS[args.format]
            out.write(header)
            # closed before the database is, also when the reader goes away ("| head")
            async with contextlib.aclosing(storage.stream(_filter(args))) as rows:
                async for row in rows:
                    out.write(row_text(row))
        elif args.action == "unanswered":
            groups = reports.group_questions(await storage.unanswered(_filter(args)), normalise)
            if args.format == "yaml":
                out.write(reports.entry_stubs(groups, args.limit))
            else:
                out.write(reports.unanswered_text(groups, args.limit) + "\n")
        elif args.action == "stats":
            where = _filter(args, default_days=7)
            groups = reports.group_questions(await storage.unanswered(where), normalise)
            out.write(reports.stats_text(await storage.stats(where), groups, args.days or 7) + "\n")
        return 0
    finally:
        await storage.close()


async def _review(storage: Storage, out: TextIO, ask: Callable[[str], str] = input,
                  reply_of: Callable[[dict[str, Any]], str] | None = None) -> int:  # fmt: skip
    """One exchange at a time, with what the bot replied: c(orrect), w(rong), n(ew entry needed),
    s(kip), q(uit); then a note. End of input or Ctrl-C stops, keeping the verdicts given."""
    keys = {"c": "correct", "w": "wrong", "n": "new_entry"}
    skipped: set[int] = set()
    total = await storage.unreviewed()
    done = 0
    try:
        while (row := await _next(storage, skipped)) is not None:
            out.write(f"\n[{done + len(skipped) + 1} of {total}]\n")
            out.write(reports.TABLE_HEADER + reports.table_row(row, width=200))
            out.write(f"  answered with: {row['entry_id'] or '-'} · suggested: {row['suggestions']}\n")
            if reply_of is not None:
                out.write("  the bot replied (as it would now): " + reply_of(row).replace("\n", "\n    ") + "\n")
            out.flush()
            # asked here, not in a thread: Ctrl-C then stops at once
            while (choice := ask("verdict [c]orrect [w]rong [n]ew entry [s]kip [q]uit: ").strip()[:1]) not in (
                *keys,
                "s",
                "q",
            ):
                out.write("  please answer c, w, n, s or q\n")
            if choice == "q":
                break
            if choice == "s":
                skipped.add(int(row["id"]))
                continue
            note = ask("note (optional): ").strip() or None
            await storage.set_verdict(int(row["id"]), keys[choice], note)
            done += 1
        else:
            out.write("Nothing left to review.\n")
            return 0
    except (EOFError, KeyboardInterrupt):
        out.write("\nStopped.\n")
    out.write(f"{done} verdict(s) saved.\n")
    return 0


async def _next(storage: Storage, skipped: set[int]) -> dict[str, Any] | None:
    for row in await storage.exchanges(Filter(kinds=REVIEWED_KINDS), limit=len(skipped) + 50):
        if row["verdict"] is None and int(row["id"]) not in skipped:
            return row
    return None
