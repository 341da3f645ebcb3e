"""End to end: the real bot program (`python -m bot run`) against a fake Bot API over HTTP.

Only the chat network is replaced: the bot is started as a process with TELEGRAM_API_BASE_URL
pointing at tests/fakebotapi.py, and uses long polling exactly as it would with Telegram.
"""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.knowledge import KnowledgeBase
from bot.privacy import user_key
from bot.storage import COLUMNS, Storage
from tests.fakebotapi import BOT_USER, TOKEN, FakeBotAPI, html_problems

ROOT = Path(__file__).resolve().parent.parent


def _environment(base_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MIGRANT_BOT_"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=base_url, MIGRANT_BOT_DATA_DIR=str(data_dir),
               PYTHONPATH=str(ROOT), MIGRANT_BOT_HELP_CONTACTS_EN="TEST-HOTLINE-EN",
               MIGRANT_BOT_HELP_CONTACTS_ID="TEST-HOTLINE-ID", MIGRANT_BOT_SEMANTIC="off")  # fmt: skip
    env.update(extra)
    return env


class Bot:
    """A running bot process and its log."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(10)
        self._log.close()
        return code

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")


MODERATOR = 9999


async def _old_exchange(path: Path) -> None:
    """A log row from long ago, which the retention purge at start must delete."""
    storage = Storage(path)
    await storage.open()
    await storage.record(user_key="old", chat_type="private", language="en", question="an old question",
                         kind="answer", entry_id="ilo", score=90, suggestions=[], kb_version="x",
                         handling_ms=1, at="2000-01-01T00:00:00.000Z")  # fmt: skip
    await storage.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    asyncio.run(_old_exchange(data / "bot.sqlite3"))
    return data


@pytest.fixture(scope="module")
def bot(fake: FakeBotAPI, data_dir: Path, vector_cache: Path) -> Iterator[Bot]:
    """The bot with its semantic signal, started with a warm vector cache (as after a first start)."""
    data = data_dir
    shutil.copy(vector_cache, data / vector_cache.name)
    env = _environment(f"http://127.0.0.1:{fake.port}/bot", data, MIGRANT_BOT_MODERATORS=str(MODERATOR),
                       MIGRANT_BOT_SEMANTIC="on")  # fmt: skip
    running = Bot(env, data / "bot.log")
    try:
        fake.wait_for(lambda: len([c for c in fake.calls if c.method == "setMyCommands"]) >= 2, timeout=30)
        fake.wait_for(lambda: any(c.method == "getUpdates" for c in fake.calls), timeout=30)
    except AssertionError:
        running.stop()
        raise AssertionError("the bot did not start:\n" + running.log) from None
    yield running
    running.stop()


def texts(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [c.params["text"] for c in fake.sent(chat_id) if c.result is not None]


def last_message(fake: FakeBotAPI, chat_id: int) -> dict:  # type: ignore[type-arg]
    result: dict = fake.sent(chat_id)[-1].result  # type: ignore[type-arg]
    return result


def buttons(message: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def test_commands_are_registered_in_both_languages(fake: FakeBotAPI, bot: Bot) -> None:
    """Startup calls setMyCommands for the default (English) menu and for language_code id."""
    calls = [c for c in fake.calls if c.method == "setMyCommands"]
    by_language = {c.params.get("language_code"): c.params["commands"] for c in calls}
    assert set(by_language) == {None, "id"}
    assert [c["command"] for c in by_language["id"]] == [
        "start", "help", "topics", "sources", "language", "human", "end", "privacy", "forget"
    ]  # fmt: skip
    assert by_language[None][0]["description"] != by_language["id"][0]["description"]


def test_runs_on_uvloop_where_installed(bot: Bot) -> None:
    """The bot's event loop is uvloop when the package is there (all but Windows), else asyncio's."""
    expected = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    assert f"event loop: {expected}" in bot.log


def test_start_welcomes_in_the_users_language(fake: FakeBotAPI, bot: Bot) -> None:
    """/start from an Indonesian phone: Indonesian welcome, a privacy line, and language buttons."""
    fake.send_text(2001, "/start", language_code="id")
    (call,) = fake.wait_sent(2001)
    assert call.params["text"].startswith("Halo!") and "/privacy" in call.params["text"]
    assert buttons(call.result) == [("English", "l:en"), ("Bahasa Indonesia", "l:id")]


def test_question_is_answered_with_its_source(fake: FakeBotAPI, bot: Bot) -> None:
    """An English question gets the answer, its sources, 👍/👎 and related-question buttons."""
    fake.send_text(2002, "What is the Cebu Declaration?")
    (call,) = fake.wait_sent(2002)
    assert call.params["parse_mode"] == "HTML"
    assert "13 January 2007" in call.params["text"] and "Sources:" in call.params["text"]
    assert "The Jakarta Post" in call.params["text"]
    labels = buttons(call.result)
    assert [label for label, _ in labels[:2]] == ["👍", "👎"]
    assert labels[0][1].startswith("f:") and labels[0][1].endswith(":1") and labels[1][1].endswith(":-1")
    assert 1 <= len(labels[2:]) <= 3 and all(data.startswith("e:") for _, data in labels[2:])


def test_typoed_indonesian_question_is_answered_in_indonesian(fake: FakeBotAPI, bot: Bot) -> None:
    """Chat abbreviations and typos in Indonesian: the answer comes in Indonesian."""
    fake.send_text(2003, "tki yg bermasalah ditangani gmn")
    (call,) = fake.wait_sent(2003)
    assert "penanganan bersama" in call.params["text"] and "Sumber:" in call.params["text"]


def test_suggestion_button_gives_the_answer(fake: FakeBotAPI, bot: Bot) -> None:
    """An unclear question offers one button per suggestion; pressing one sends that answer."""
    fake.send_text(2004, "labour inspection conference")
    (call,) = fake.wait_sent(2004)
    offered = buttons(call.result)
    assert len(offered) >= 2 and all(data.startswith("e:") for _, data in offered)
    _, data = offered[0]
    fake.press(2004, call.result, data)
    answer = fake.wait_sent(2004, 2)[1]
    assert "Sources:" in answer.params["text"]
    assert buttons(answer.result)[0][0] == "👍"
    assert fake.wait_for(lambda: [c for c in fake.calls if c.method == "answerCallbackQuery"])


def test_topics_navigation(fake: FakeBotAPI, bot: Bot) -> None:
    """/topics → a topic (the message is edited to its questions) → a question → its answer."""
    fake.send_text(2005, "/topics")
    (call,) = fake.wait_sent(2005)
    topic = next(data for _, data in buttons(call.result) if data == "t:inspection-2023")
    fake.press(2005, call.result, topic)
    edit = fake.wait_sent(2005, method="editMessageText")[0]
    questions = buttons(edit.result)
    assert ("« Topics", "T") in questions
    fake.press(2005, edit.result, "e:conference-venue")
    answer = fake.wait_sent(2005, 2)[1]
    assert "Nusa Dua" in answer.params["text"]


def test_the_conversation_stays_in_the_language_the_user_writes(fake: FakeBotAPI, bot: Bot, kb: KnowledgeBase) -> None:
    """An Indonesian question on an English phone: its buttons, /topics and a typo'd command answer in Indonesian."""
    fake.send_text(2040, "konferensi inspeksi ketenagakerjaan", language_code="en")
    (call,) = fake.wait_sent(2040)
    entry = next(data for _, data in buttons(call.result) if data.startswith("e:"))
    fake.press(2040, call.result, entry, language_code="en")
    assert "Sumber:" in fake.wait_sent(2040, 2)[1].params["text"]
    fake.send_text(2040, "/topics", language_code="en")
    assert fake.wait_sent(2040, 3)[2].params["text"] == kb.message("choose_topic", "id")
    fake.send_text(2040, "/topik", language_code="en")
    assert fake.wait_sent(2040, 4)[3].params["text"].startswith(kb.message("unknown_command", "id"))


def test_language_choice_is_remembered(fake: FakeBotAPI, bot: Bot) -> None:
    """/language → Bahasa Indonesia: later English questions are answered in Indonesian."""
    fake.send_text(2006, "/language")
    (call,) = fake.wait_sent(2006)
    fake.press(2006, call.result, "l:id")
    assert fake.wait_sent(2006, 2)[1].params["text"] == "Saya akan menjawab dalam Bahasa Indonesia."
    fake.send_text(2006, "what is the ILO")
    assert "Sumber:" in fake.wait_sent(2006, 3)[2].params["text"]


def test_sticker_gets_a_polite_reply(fake: FakeBotAPI, bot: Bot) -> None:
    """A sticker (or photo, voice note…) gets "I can only read text", never an error."""
    sticker = {"file_id": "x", "file_unique_id": "y", "width": 512, "height": 512, "is_animated": False,
               "is_video": False, "type": "regular"}  # fmt: skip
    fake.push({"message": fake.message(2007, sticker=sticker)})
    fake.push({"message": fake.message(2007, location={"latitude": 1.3, "longitude": 103.8})})
    calls = fake.wait_sent(2007, 2)
    assert all(c.params["text"].startswith("Sorry, I can only read text") for c in calls)


def test_very_long_message_is_answered(fake: FakeBotAPI, bot: Bot) -> None:
    """A 20 KB message is answered, in messages Telegram accepts."""
    fake.send_text(2008, "what is the cebu declaration " + "tolong " * 3000)
    (call,) = fake.wait_sent(2008)
    assert call.result is not None and len(call.params["text"]) <= 4096


def test_html_characters_are_escaped(fake: FakeBotAPI, bot: Bot) -> None:
    """Text full of <b>&< gets a reply that Telegram's HTML parser accepts."""
    fake.send_text(2009, "<b>&< what is the <i>ILO</i> && <<>>")
    (call,) = fake.wait_sent(2009)
    assert call.result is not None, "the fake Bot API rejected the reply"
    assert html_problems(call.params["text"]) == []


def test_flood_limit_one_notice_then_silence(fake: FakeBotAPI, bot: Bot) -> None:
    """25 messages in a burst: 20 answers, one polite notice, then nothing until the minute passes."""
    for number in range(25):
        fake.send_text(2010, f"what is the ILO {number}")
    calls = fake.wait_sent(2010, 21)
    time.sleep(1.0)
    calls = fake.sent(2010)
    assert len(calls) == 21
    assert sum("sending messages very quickly" in c.params["text"] for c in calls) == 1


def test_429_is_waited_out_and_retried(fake: FakeBotAPI, bot: Bot) -> None:
    """A 429 with retry_after from Telegram is waited out, then the reply is sent."""
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    started = time.monotonic()
    fake.send_text(2011, "what is the ILO")
    calls = fake.wait_sent(2011, 2)
    assert calls[0].result is None and calls[1].result is not None
    assert time.monotonic() - started >= 1.0
    assert "International Labor Organisation" in calls[1].params["text"]


def test_group_message_not_for_the_bot_is_ignored(fake: FakeBotAPI, bot: Bot) -> None:
    """In a group the bot stays quiet unless mentioned, replied to, or given a command."""
    group = -3001
    fake.send_text(2012, "what is the ILO", chat_type="group", chat_id=group)
    mention = f"@{BOT_USER['username']} what is the ILO"
    fake.send_text(
        2012, mention, chat_type="group", chat_id=group,
        entities=[{"type": "mention", "offset": 0, "length": len(str(BOT_USER["username"])) + 1}],
    )  # fmt: skip
    calls = fake.wait_sent(group)
    time.sleep(0.5)
    assert len(fake.sent(group)) == 1 and "International Labor Organisation" in calls[0].params["text"]


def test_edited_message_is_ignored(fake: FakeBotAPI, bot: Bot) -> None:
    """An edited message gets no second answer."""
    fake.push({"edited_message": {**fake.message(2013, "what is the IOM"), "edit_date": int(time.time())}})
    fake.send_text(2013, "what is the ILO")
    (call,) = fake.wait_sent(2013)
    time.sleep(0.3)
    assert len(fake.sent(2013)) == 1 and "International Labor" in call.params["text"]


def test_one_users_messages_are_answered_in_order(fake: FakeBotAPI, bot: Bot) -> None:
    """Several questions from one user come back in the order they were asked."""
    questions = ["what is the ILO", "what is the IOM", "what is IALI", "what is ATUC"]
    for question in questions:
        fake.send_text(2014, question)
    calls = fake.wait_sent(2014, 4)
    marks = ["International Labor", "International Organisation for Migration", "International Association",
             "Trade Union Council"]  # fmt: skip
    assert [next(i for i, m in enumerate(marks) if m in c.params["text"]) for c in calls] == [0, 1, 2, 3]


def test_error_is_apologised_for_without_leaking(fake: FakeBotAPI, bot: Bot) -> None:
    """When sending fails the user gets an apology in their language, and the log names no text."""
    fake.fail_next("sendMessage", 400, "Bad Request: chat not found")
    fake.send_text(2015, "apa itu ILO", language_code="id")
    calls = fake.wait_sent(2015, 2)
    assert calls[1].params["text"].startswith("Maaf, terjadi kesalahan")
    fake.wait_for(lambda: "error while handling an update (message)" in bot.log)


def test_help_sources_and_privacy(fake: FakeBotAPI, bot: Bot) -> None:
    """/help lists the commands, /sources the articles with their dates, /privacy what is kept."""
    fake.send_text(2016, "/help")
    fake.wait_sent(2016)
    fake.send_text(2016, "/sources")
    fake.wait_sent(2016, 2)
    fake.send_text(2016, "/privacy")
    help_text, sources, privacy = (c.params["text"] for c in fake.wait_sent(2016, 3))
    assert "/topics" in help_text and "/privacy" in help_text
    assert "The Jakarta Post" in sources and "June 2015" in sources and "December 2023" in sources
    assert "pseudonymous" in privacy and "language" in privacy


def test_group_reply_to_the_bot_is_answered(fake: FakeBotAPI, bot: Bot) -> None:
    """In a group, replying to one of the bot's messages counts as speaking to it."""
    group = -3002
    fake.send_text(2017, "/topics", chat_type="group", chat_id=group)
    (menu,) = fake.wait_sent(group)
    fake.send_text(2017, "what is the IOM", chat_type="group", chat_id=group, reply_to_message=menu.result)
    assert "International Organisation for Migration" in fake.wait_sent(group, 2)[1].params["text"]


def rows(data_dir: Path, sql: str = "SELECT * FROM exchanges", args: tuple = ()) -> list[sqlite3.Row]:  # type: ignore[type-arg]
    with sqlite3.connect(data_dir / "bot.sqlite3") as db:
        db.row_factory = sqlite3.Row
        return list(db.execute(sql, args))


def key_of(data_dir: Path, user_id: int) -> str:
    return user_key((data_dir / "user-key.secret").read_text(encoding="utf-8").strip(), user_id)


def test_old_rows_are_purged_at_start(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """Rows older than retention_days are gone once the bot has started."""
    assert rows(data_dir, "SELECT * FROM exchanges WHERE question = 'an old question'") == []
    assert "retention: 1 exchanges older than 90 days deleted" in bot.log


def test_every_kind_of_exchange_is_logged(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """Answers, suggestions, fallbacks, smalltalk and non-text messages each leave a row, with its details."""
    for text in ("what is the ILO", "labour inspection conference", "best food in Penang?", "thanks"):
        fake.send_text(2018, text)
    fake.push({"message": fake.message(2018, location={"latitude": 1.3, "longitude": 103.8})})
    fake.wait_sent(2018, 5)
    logged = rows(data_dir, "SELECT * FROM exchanges WHERE user_key = ? ORDER BY id", (key_of(data_dir, 2018),))
    assert [r["kind"] for r in logged] == ["answer", "suggestions", "fallback", "smalltalk", "non_text"]
    first = logged[0]
    assert first["question"] == "what is the ILO" and first["entry_id"] == "ilo" and first["language"] == "en"
    assert first["chat_type"] == "private" and first["kb_version"] and first["handling_ms"] >= 0
    assert first["at"].endswith("Z") and len(first["suggestions"]) >= 2
    assert len(json.loads(logged[1]["suggestions"])) >= 2


def test_feedback_is_stored_on_the_exchange(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """👎 under an answer is stored on that exchange; another user's vote on it is not."""
    fake.send_text(2019, "what is the IOM")
    (call,) = fake.wait_sent(2019)
    down = next(data for label, data in buttons(call.result) if label == "👎")
    fake.press(2020, call.result, down)  # someone else pressing it changes nothing
    fake.press(2019, call.result, down)
    exchange = int(down.split(":")[1])
    fake.wait_for(lambda: rows(data_dir, "SELECT feedback FROM exchanges WHERE id = ?", (exchange,))[0][0] == -1)


def test_malformed_vote_buttons_are_answered_without_an_error(fake: FakeBotAPI, bot: Bot) -> None:
    """Forged vote and review data ("²", 20 digits) get a plain answer; nothing reaches the error handler."""
    fake.send_text(2045, "what is the IOM")
    (call,) = fake.wait_sent(2045)
    answered = len([c for c in fake.calls if c.method == "answerCallbackQuery"])
    logged = len(bot.log)
    for data in ("f:²:1", "f:99999999999999999999:1"):
        fake.press(2045, call.result, data)
    for data in ("r:²:correct", "r:99999999999999999999:wrong"):
        fake.press(MODERATOR, call.result, data)
    fake.wait_for(lambda: len([c for c in fake.calls if c.method == "answerCallbackQuery"]) >= answered + 4)
    assert "error while handling" not in bot.log[logged:]


def test_an_update_the_bot_cannot_read_does_not_stop_polling(fake: FakeBotAPI, bot: Bot) -> None:
    """A malformed update is skipped with a one-line warning; the next message is answered; nothing raw is logged."""
    logged = len(bot.log)
    fake.push({"message": {"message_id": "not a number", "text": "SECRET-TEXT-4711"}})
    fake.send_text(2046, "what is the ILO")
    assert "Sources:" in fake.wait_sent(2046)[0].params["text"]
    assert "skipped an update the bot cannot read" in bot.log[logged:]
    assert "SECRET-TEXT-4711" not in bot.log and "CRITICAL" not in bot.log[logged:]


@pytest.mark.parametrize("base", ["fake", "https//api.telegram.org/bot", "ftp://127.0.0.1/bot"])
def test_a_bad_start_is_one_line_without_the_token(fake: FakeBotAPI, tmp_path: Path, base: str) -> None:
    """A rejected token or a mistyped API address: exit 2, one line, no token, no traceback, no leaked session."""
    if base == "fake":
        fake.fail_next("getMe", 401, "Unauthorized")
        base = f"http://127.0.0.1:{fake.port}/bot"
    env = _environment(base, tmp_path)
    done = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    errors = [line for line in done.stderr.splitlines() if "error" in line.casefold()]
    assert done.returncode == 2 and len(errors) == 1 and errors[0].startswith("config error: ")
    assert TOKEN not in done.stderr and TOKEN.split(":")[1] not in done.stderr
    assert "Traceback" not in done.stderr and "Unclosed" not in done.stderr


def test_forget_deletes_everything_about_the_user(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """/forget → confirm: every row of that user is deleted, and the reply says how many."""
    fake.send_text(2021, "what is the ILO")
    fake.send_text(2021, "what is the IOM")
    fake.send_text(2022, "what is the ILO")  # another user, who keeps theirs
    fake.wait_sent(2021, 2)
    fake.wait_sent(2022)
    fake.send_text(2021, "/forget")
    confirm = fake.wait_sent(2021, 3)[2]
    assert ("Yes, delete", "x:yes") in buttons(confirm.result)
    fake.press(2021, confirm.result, "x:yes")
    done = fake.wait_sent(2021, method="editMessageText")[0]
    assert done.params["text"] == "Done: 2 records about you were deleted."
    assert rows(data_dir, "SELECT * FROM exchanges WHERE user_key = ?", (key_of(data_dir, 2021),)) == []
    assert len(rows(data_dir, "SELECT * FROM exchanges WHERE user_key = ?", (key_of(data_dir, 2022),))) == 1


def test_moderator_commands_are_refused_to_others(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """/export from someone who is not a moderator: a polite refusal, an event with no identity."""
    fake.send_text(2023, "/export")
    (call,) = fake.wait_sent(2023)
    assert call.params["text"] == "Sorry, this command is only for the moderators of this bot."
    events = rows(data_dir, "SELECT * FROM events")
    assert [(e["kind"], e["detail"]) for e in events] == [("refused", "export")]
    assert fake.sent(2023, "sendDocument") == []


def test_moderator_stats_unanswered_review_export(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """A moderator gets statistics, grouped unanswered questions, a review queue and a CSV export."""
    for text in ("what is the minimum wage in malaysia", "minimum wage malaysia?", "visa to japan cost"):
        fake.send_text(2024, text)
    fake.wait_sent(2024, 3)
    fake.send_text(MODERATOR, "/stats")
    stats = fake.wait_sent(MODERATOR)[0].params["text"]
    assert "messages from" in stats and "Answered" in stats and "👍" in stats and "Top entries:" in stats
    fake.send_text(MODERATOR, "/unanswered")
    unanswered = fake.wait_sent(MODERATOR, 2)[1].params["text"]
    assert "2× minimum wage malaysia?" in unanswered

    fake.send_text(MODERATOR, "/review")
    item = fake.wait_sent(MODERATOR, 3)[2]
    exchange = int(item.params["text"].split()[0].lstrip("#"))
    fake.press(MODERATOR, item.result, f"r:{exchange}:new_entry")
    fake.wait_for(
        lambda: rows(data_dir, "SELECT verdict FROM exchanges WHERE id = ?", (exchange,))[0][0] == "new_entry"
    )

    fake.send_text(MODERATOR, "/export")
    (document,) = fake.wait_sent(MODERATOR, method="sendDocument")
    upload = document.params["document"]
    assert upload["filename"].endswith(".csv")
    table = list(csv.DictReader(io.StringIO(upload["content"].decode("utf-8-sig"))))
    assert list(table[0]) == list(COLUMNS)
    assert any(r["question"] == "visa to japan cost" and r["kind"] == "fallback" for r in table)
    assert any(r["verdict"] == "new_entry" for r in table)


def test_database_holds_no_raw_identity(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """No column of any table holds a user id, chat id, username or first name seen so far."""
    ids = {str(u) for u in range(2001, 2030)} | {str(MODERATOR), "3001", "3002"}
    names = {f"worker{u}" for u in ids} | {f"Worker{u}".casefold() for u in ids}
    with sqlite3.connect(data_dir / "bot.sqlite3") as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f"SELECT * FROM {table}"):
                for value in row:
                    text = str(value).casefold()
                    assert not any(name in text for name in names), (table, value)
                    if isinstance(value, int | float):
                        assert str(int(value)) not in ids, (table, value)
                    else:
                        assert not any(f"-{i}" == text or i == text for i in ids), (table, value)


def test_a_danger_the_words_miss_is_recognised_by_its_meaning(fake: FakeBotAPI, bot: Bot) -> None:
    """A distress message no word list covers gets the urgent reply with the contacts, through the
    running bot's semantic signal (embedded off the event loop)."""
    fake.wait_for(lambda: "semantic signal ready" in bot.log, timeout=60)
    fake.send_text(2041, "my sister in dubai stopped answering, the agency will not say where she is")
    text = fake.wait_sent(2041)[0].params["text"]
    assert "TEST-HOTLINE-EN" in text and "/human" in text
    assert "dubai" not in bot.log  # the message itself is never logged


def test_logs_hold_no_token_text_or_identity(fake: FakeBotAPI, bot: Bot) -> None:
    """After all of the above, the log has no token, no message text, no user id or name."""
    log = bot.log
    assert "bot started" in log
    for secret in (TOKEN, TOKEN.split(":")[1], "Cebu Declaration?", "tki yg", "apa itu ILO", "2015", "Worker20"):
        assert secret not in log, secret


def test_stops_cleanly(fake: FakeBotAPI, bot: Bot) -> None:
    """SIGTERM shuts the bot down through post_shutdown with exit status 0."""
    assert bot.stop() == 0
    assert "bot stopped" in bot.log


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_webhook_checks_the_secret_token(fake: FakeBotAPI, tmp_path: Path) -> None:
    """Webhook mode: setWebhook is called with the secret; a wrong secret is refused, the right one answered;
    a body over 1 MB is refused (413) even with the secret."""
    port = _free_port()
    env = _environment(
        f"http://127.0.0.1:{fake.port}/bot", tmp_path, MIGRANT_BOT_MODE="webhook",
        MIGRANT_BOT_WEBHOOK_LISTEN="127.0.0.1", MIGRANT_BOT_WEBHOOK_PORT=str(port),
        MIGRANT_BOT_WEBHOOK_URL="https://bot.example.invalid/telegram", MIGRANT_BOT_WEBHOOK_SECRET_TOKEN="s3cret-Token",
    )  # fmt: skip
    running = Bot(env, tmp_path / "webhook.log")
    try:
        hook = fake.wait_for(lambda: [c for c in fake.calls if c.method == "setWebhook"], timeout=30)[0]
        assert hook.params["secret_token"] == "s3cret-Token"
        assert hook.params["url"] == "https://bot.example.invalid/telegram"
        update = {"update_id": 900001, "message": fake.message(2101, "what is the ILO")}
        url = f"http://127.0.0.1:{port}/telegram"
        wrong = fake.wait_for(lambda: _post(url, update, "wrong"), timeout=30)
        assert wrong.status_code == 403
        assert fake.sent(2101) == []
        right = _post(url, update, "s3cret-Token")
        assert right is not None and right.status_code == 200
        (call,) = fake.wait_sent(2101)
        assert "International Labor Organisation" in call.params["text"]
        big = {"update_id": 900002, "message": fake.message(2102, "x" * 2_000_000)}
        assert (_post(url, big, "s3cret-Token") or httpx.Response(0)).status_code == 413
        assert (_post(url, big, "wrong") or httpx.Response(0)).status_code == 403
        assert fake.sent(2102) == []
    finally:
        assert running.stop() == 0, running.log


def _post(url: str, update: dict, secret: str) -> httpx.Response | None:  # type: ignore[type-arg]
    try:
        return httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}, timeout=5)
    except httpx.TransportError:
        return None  # the webhook server is not listening yet


def test_crash_safety_every_answered_message_has_its_row(fake: FakeBotAPI, tmp_path: Path) -> None:
    """Under load, SIGKILL the bot, restart it, three times: every message that got a reply has its
    log row (the row is committed before the reply is sent), and the database passes integrity_check."""
    env = _environment(f"http://127.0.0.1:{fake.port}/bot", tmp_path)
    first_user = 40_000
    for round_number in range(3):
        running = Bot(env, tmp_path / f"crash-{round_number}.log")
        users = range(first_user + round_number * 100, first_user + round_number * 100 + 60)
        for user in users:
            fake.send_text(user, f"what is the ILO question {user}")
        fake.wait_for(lambda: sum(1 for u in users if fake.sent(u)) >= 15, timeout=30)  # noqa: B023
        running.process.kill()  # SIGKILL: no shutdown, no flush
        running.process.wait(10)
        running.stop()
    answered = {
        int(c.params["chat_id"]) for c in fake.sent() if c.result is not None and c.params["chat_id"] >= first_user
    }
    logged = {int(r["question"].rsplit(" ", 1)[1]) for r in rows(tmp_path, "SELECT question FROM exchanges")}
    assert len(answered) >= 45
    assert answered <= logged
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_services_repr_holds_no_secret() -> None:
    """The user-key secret is left out of the services object's repr (logs, debuggers, tracebacks)."""
    import dataclasses

    from handlers.services import Services

    assert not next(f for f in dataclasses.fields(Services) if f.name == "user_secret").repr
