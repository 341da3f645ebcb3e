"""What moderators read: unanswered questions grouped, statistics, CSV and YAML out of the log.

Pure functions over rows from :class:`bot.storage.Storage`, shared by the Telegram commands and the
``logs`` CLI, so both show the same numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

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


def group_questions(rows: Iterable[dict[str, Any]], normalise: Callable[[str], str]) -> list[Group]:
    """Greedy grouping (rows newest first), most frequent group first."""
    groups: list[tuple[str, Group]] = []
    for row in rows:
        question = str(row["question"]).strip()
        if not question:
            continue
        key = normalise(question)
        found = next((g for k, g in groups if fuzz.token_set_ratio(key, k, processor=None) >= SAME_QUESTION), None)
        if found is None:
            found = Group(question, last_at=str(row["at"]))
            groups.append((key, found))
        group = found
        group.count += 1
        group.languages.add(str(row["language"]))
        if question not in group.wordings and len(group.wordings) < 10:
            group.wordings.append(question)
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
        f"Last {days} days: {messages} messages from {stats['users']} users.",
        f"Answered {share(stats['answered'])} · suggestions {share(stats['suggested'])} · "
        f"fallback {share(stats['fallback'])}",
        f"Feedback: 👍 {stats['up']} · 👎 {stats['down']}",
        "Top entries: " + (", ".join(f"{t['entry_id']} ({t['count']})" for t in stats["top_entries"]) or "none"),
        "Top unanswered: " + ("; ".join(f"{g.question} ({g.count})" for g in groups[:5]) or "none"),
    ]
    return "\n".join(lines)


def csv_line(values: Iterable[Any]) -> str:
    """One CSV record (quoted as needed, CRLF-terminated as the csv module does)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(list(values))
    return buffer.getvalue()


CSV_HEADER = csv_line(COLUMNS)


def csv_row(row: dict[str, Any]) -> str:
    return csv_line(row.get(column) for column in COLUMNS)


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
        english = [w for w in group.wordings if "en" in group.languages] or group.wordings
        slug = re.sub(r"[^a-z0-9]+", "-", group.question.casefold()).strip("-")[:40] or f"question-{number}"
        entries.append({
            "id": f"new-{slug}",
            "topic": "TODO-topic-id",
            "questions": {"en": english[:10], "id": ["TODO: Indonesian phrasings"]},
            "answer": {"en": "TODO: only what a source says, with its date", "id": "TODO"},
            "sources": ["TODO-source-id"],
        })  # fmt: skip
    header = (
        "# Entry stubs from unanswered questions (asked "
        + ", ".join(str(g.count) for g in groups[:limit])
        + " times). Fill in every TODO, then run: migrant-bot validate\n"
    )
    return header + yaml.safe_dump({"entries": entries}, allow_unicode=True, sort_keys=False, width=100)
