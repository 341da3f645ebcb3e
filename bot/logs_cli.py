"""``migrant-bot logs …``: the moderators' tools on the server, over the same database and reports.

``export`` streams (rows are fetched in batches and written as they come), so a log of any size
exports in constant memory.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Callable
from typing import Any, TextIO

from bot import reports
from bot.config import ConfigError, Settings
from bot.normalize import Normalizer
from bot.storage import Filter, Storage, days_ago, now_iso

FORMATS = {"table": (reports.TABLE_HEADER, reports.table_row), "csv": (reports.CSV_HEADER, reports.csv_row),
           "jsonl": ("", reports.jsonl_row)}  # fmt: skip


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    logs = commands.add_parser("logs", parents=[common], help="read the conversation log (moderators)")
    actions = logs.add_subparsers(dest="action", metavar="ACTION", required=True)
    window = argparse.ArgumentParser(add_help=False)
    window.add_argument("--since", help="from this date or time (ISO, UTC), e.g. 2026-11-01")
    window.add_argument("--until", help="before this date or time (ISO, UTC)")
    window.add_argument("--days", type=int, help="the last N days (instead of --since)")
    window.add_argument("--kind", action="append", default=[], help="only this kind (repeatable)")
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


def run(settings: Settings, args: argparse.Namespace, normalise: Callable[[], Normalizer],
        out: TextIO = sys.stdout) -> int:  # fmt: skip
    if not settings.database_path.is_file():
        raise ConfigError(f"{settings.database_path}: no conversation log here yet (database not found)")
    return asyncio.run(_run(settings, args, normalise, out))


async def _run(settings: Settings, args: argparse.Namespace, normalise: Callable[[], Normalizer],
               out: TextIO) -> int:  # fmt: skip
    storage = Storage(settings.database_path)
    await storage.open()
    try:
        if args.action == "review":
            return await _review(storage, out)
        if args.action == "list":
            header, row_text = FORMATS[args.format]
            out.write(header)
            for row in await storage.exchanges(_filter(args), limit=args.limit):
                out.write(row_text(row))
        elif args.action == "export":
            header, row_text = FORMATS[args.format]
            out.write(header)
            async for row in storage.stream(_filter(args)):
                out.write(row_text(row))
        elif args.action == "unanswered":
            groups = reports.group_questions(await storage.unanswered(_filter(args)), normalise())
            if args.format == "yaml":
                out.write(reports.entry_stubs(groups, args.limit))
            else:
                out.write(reports.unanswered_text(groups, args.limit) + "\n")
        elif args.action == "stats":
            where = _filter(args, default_days=7)
            groups = reports.group_questions(await storage.unanswered(where), normalise())
            out.write(reports.stats_text(await storage.stats(where), groups, args.days or 7) + "\n")
        return 0
    finally:
        await storage.close()


async def _review(storage: Storage, out: TextIO) -> int:
    """One exchange at a time: c(orrect), w(rong), n(ew entry needed), s(kip), q(uit); then a note."""
    keys = {"c": "correct", "w": "wrong", "n": "new_entry"}
    skipped: set[int] = set()
    while (row := await _next(storage, skipped)) is not None:
        out.write(reports.TABLE_HEADER + reports.table_row(row, width=200))
        out.write(f"  answered with: {row['entry_id'] or '-'} · suggested: {row['suggestions']}\n")
        choice = (await asyncio.to_thread(input, "verdict [c]orrect [w]rong [n]ew entry [s]kip [q]uit: ")).strip()
        if choice[:1] == "q":
            break
        if choice[:1] not in keys:
            skipped.add(int(row["id"]))
            continue
        note = (await asyncio.to_thread(input, "note (optional): ")).strip() or None
        await storage.set_verdict(int(row["id"]), keys[choice[:1]], note)
    out.write("Nothing left to review.\n" if row is None else "")
    return 0


async def _next(storage: Storage, skipped: set[int]) -> dict[str, Any] | None:
    for row in await storage.exchanges(Filter(kinds=("answer", "suggestions", "fallback")), limit=len(skipped) + 50):
        if row["verdict"] is None and int(row["id"]) not in skipped:
            return row
    return None
