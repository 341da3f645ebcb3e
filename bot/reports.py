"""What moderators read: unanswered questions grouped, statistics, CSV and YAML out of the log.

Pure functions over rows from :class:`bot.storage.Storage`, shared by the Telegram commands and the
``logs`` CLI, so both show the same numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import yaml
from rapidfuzz import fuzz

from bot.storage import COLUMNS

#: Two questions whose normalised forms are this similar (rapidfuzz token_set_ratio) are one group.
SAME_QUESTION = 80.0


@dataclass
class Group:
    """Similar unanswered questions: the latest wording, how often, and every wording seen."""

    question: str
    count: int = 0
    last_at: str = ""
    languages: set[str] = field(default_factory=set)
    wordings: list[str] = field(default_factory=list)
    #: Each wording under the language the bot answered it in (en, id).
    by_language: dict[str, list[str]] = field(default_factory=dict)


def _same(key: str, other: str) -> bool:
    """Whether two normalised questions ask the same thing. token_set_ratio is 100 whenever one
    side's words are a subset of the other's, so a one-word message ("1", "gaji") would swallow any
    question holding that word: those need the whole text alike."""
    if min(len(key.split()), len(other.split())) < 2:
        return fuzz.ratio(key, other, processor=None) >= SAME_QUESTION
    return fuzz.token_set_ratio(key, other, processor=None) >= SAME_QUESTION


def group_questions(rows: Iterable[dict[str, Any]], normalise: Callable[[str], str]) -> list[Group]:
    """Greedy grouping (rows newest first), most frequent group first."""
    groups: list[tuple[str, Group]] = []
    for row in rows:
        question = str(row["question"]).strip()
        if not question:
            continue
        key = normalise(question)
        found = next((g for k, g in groups if _same(key, k)), None)
        if found is None:
            found = Group(question, last_at=str(row["at"]))
            groups.append((key, found))
        group = found
        group.count += 1
        group.languages.add(str(row["language"]))
        if question not in group.wordings and len(group.wordings) < 10:
            group.wordings.append(question)
            group.by_language.setdefault(str(row["language"]), []).append(question)
    return sorted((g for _, g in groups), key=lambda g: (g.count, g.last_at), reverse=True)


def unanswered_text(groups: list[Group], limit: int) -> str:
    if not groups:
        return "No unanswered questions in this period."
    lines = [f"{g.count}× {g.question}  (last {g.last_at[:10]})" for g in groups[:limit]]
    return "Unanswered and low-score questions, grouped:\n" + "\n".join(lines)


def stats_text(stats: dict[str, Any], groups: list[Group], days: int) -> str:
    messages = stats["messages"] or 0

    def share(n: int) -> str:
        return f"{n} ({n / messages:.0%})" if messages else "0"

    lines = [
        f"Last {days} day{'s' if days != 1 else ''}: {messages} message{'s' if messages != 1 else ''} "
        f"from {stats['users']} user{'s' if stats['users'] != 1 else ''}.",
        f"Answered {share(stats['answered'])} · suggestions {share(stats['suggested'])} · "
        f"fallback {share(stats['fallback'])}",
        f"Feedback: 👍 {stats['up']} · 👎 {stats['down']}",
        "Top entries: " + (", ".join(f"{t['entry_id']} ({t['count']})" for t in stats["top_entries"]) or "none"),
        "Top unanswered: " + ("; ".join(f"{g.question} ({g.count})" for g in groups[:5]) or "none"),
    ]
    return "\n".join(lines)


#: Written first in every CSV export: spreadsheets then read the file as UTF-8.
CSV_BOM = "\ufeff"
#: A cell a spreadsheet would run as a formula begins with one of these (OWASP, "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula ("=HYPERLINK(…)", "+cmd|…", "@SUM(…)")
    gets a leading apostrophe, which spreadsheets show as text; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_line(values: Iterable[Any]) -> str:
    """One CSV record (quoted as needed, CRLF-terminated as the csv module does), formulas neutralised."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([neutral(value) for value in values])
    return buffer.getvalue()


CSV_HEADER = csv_line(COLUMNS)


def csv_row(row: dict[str, Any]) -> str:
    return csv_line(row.get(column) for column in COLUMNS)


async def write_csv(rows: AsyncIterable[dict[str, Any]], out: BinaryIO, limit: int) -> bool:
    """The CSV export (BOM, header, rows) into ``out``, a file: memory stays flat whatever the log's
    size. False, with the writing stopped, once it passes ``limit`` bytes."""
    out.write((CSV_BOM + CSV_HEADER).encode("utf-8"))
    async for row in rows:
        out.write(csv_row(row).encode("utf-8"))
        if out.tell() > limit:
            return False
    return True


def jsonl_row(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False) + "\n"


TABLE_HEADER = f"{'id':>6}  {'at':20}  {'kind':11}  {'entry':26}  {'score':>5}  question\n"


def table_row(row: dict[str, Any], width: int = 60) -> str:
    """One line of a fixed-width terminal table: id, time, kind, entry, score, question."""
    question = str(row["question"]).replace("\n", " ")
    question = question if len(question) <= width else question[: width - 1] + "…"
    entry = row["entry_id"] or "-"
    return f"{row['id']:>6}  {str(row['at'])[:19]:20}  {row['kind']:11}  {entry:26}  {row['score']:>5}  {question}\n"


def entry_stubs(groups: list[Group], limit: int) -> str:
    """Knowledge-base entry stubs for admins: phrasings filled in from each group, the rest to write."""
    entries = []
    for number, group in enumerate(groups[:limit], 1):
        english = group.by_language.get("en") or ["TODO: English phrasings"]
        indonesian = group.by_language.get("id") or ["TODO: Indonesian phrasings"]
        slug = re.sub(r"[^a-z0-9]+", "-", group.question.casefold()).strip("-")[:40] or f"question-{number}"
        entries.append({
            "id": f"new-{slug}",
            "topic": "TODO-topic-id",
            "questions": {"en": english[:10], "id": indonesian[:10]},
            "answer": {"en": "TODO: only what a source says, with its date", "id": "TODO"},
            "sources": ["TODO-source-id"],
        })  # fmt: skip
    header = (
        "# Entry stubs from unanswered questions (asked "
        + ", ".join(str(g.count) for g in groups[:limit])
        + " times). Save them outside knowledge/ (a stub does not load: it has no answer or source"
        + " yet); fill in every TODO, move the entry into a knowledge file, then run: migrant-bot validate\n"
    )
    return header + yaml.safe_dump({"entries": entries}, allow_unicode=True, sort_keys=False, width=100)
