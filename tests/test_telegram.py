"""End to end: the real bot program (`python -m bot run`) against a fake Bot API over HTTP.

Only the chat network is replaced: the bot is started as a process with TELEGRAM_API_BASE_URL
pointing at tests/fakebotapi.py, and uses long polling exactly as it would with Telegram.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakebotapi import BOT_USER, TOKEN, FakeBotAPI, html_problems

ROOT = Path(__file__).resolve().parent.parent


def _environment(base_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MIGRANT_BOT_"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=base_url, MIGRANT_BOT_DATA_DIR=str(data_dir),
               PYTHONPATH=str(ROOT), **extra)  # fmt: skip
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


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bot(fake: FakeBotAPI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    data = tmp_path_factory.mktemp("data")
    running = Bot(_environment(f"http://127.0.0.1:{fake.port}/bot", data), data / "bot.log")
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
        "start", "help", "topics", "sources", "language", "privacy", "forget"
    ]  # fmt: skip
    assert by_language[None][0]["description"] != by_language["id"][0]["description"]


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
    assert "International Labour Organisation" in calls[1].params["text"]


def test_group_message_not_for_the_bot_is_ignored(fake: FakeBotAPI, bot: Bot) -> None:
    """In a group the bot stays quiet unless mentioned, replied to, or given a command."""
    group = -3001
    fake.send_text(2012, "what is the ILO", chat_type="group", chat_id=group)
    mention = f"@{BOT_USER['username']} what is the ILO"
    fake.send_text(
        2012, mention, chat_type="group", chat_id=group,
        entities=[{"type": "mention", "offset": 0, "length": len(BOT_USER["username"]) + 1}],
    )  # fmt: skip
    calls = fake.wait_sent(group)
    time.sleep(0.5)
    assert len(fake.sent(group)) == 1 and "International Labour Organisation" in calls[0].params["text"]


def test_edited_message_is_ignored(fake: FakeBotAPI, bot: Bot) -> None:
    """An edited message gets no second answer."""
    fake.push({"edited_message": {**fake.message(2013, "what is the IOM"), "edit_date": int(time.time())}})
    fake.send_text(2013, "what is the ILO")
    (call,) = fake.wait_sent(2013)
    time.sleep(0.3)
    assert len(fake.sent(2013)) == 1 and "International Labour" in call.params["text"]


def test_one_users_messages_are_answered_in_order(fake: FakeBotAPI, bot: Bot) -> None:
    """Several questions from one user come back in the order they were asked."""
    questions = ["what is the ILO", "what is the IOM", "what is IALI", "what is ATUC"]
    for question in questions:
        fake.send_text(2014, question)
    calls = fake.wait_sent(2014, 4)
    marks = ["International Labour", "International Organisation for Migration", "International Association",
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
    """Webhook mode: setWebhook is called with the secret; a wrong secret is rejected, the right one answered."""
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
        assert "International Labour Organisation" in call.params["text"]
    finally:
        assert running.stop() == 0, running.log


def _post(url: str, update: dict, secret: str) -> httpx.Response | None:  # type: ignore[type-arg]
    try:
        return httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}, timeout=5)
    except httpx.TransportError:
        return None  # the webhook server is not listening yet
