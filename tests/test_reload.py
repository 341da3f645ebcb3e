"""Live reload end to end: the running bot picks up edited knowledge files, refuses broken ones
(the old knowledge base keeps answering, admins are told), and answers /reload and /version."""

from __future__ import annotations

import html
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import BUNDLED_KNOWLEDGE
from tests.fakebotapi import FakeBotAPI
from tests.test_telegram import Bot, _environment

ADMIN = 8888
MARK = "(reloaded answer)"


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("kb") / "knowledge"
    shutil.copytree(BUNDLED_KNOWLEDGE, target)
    return target


@pytest.fixture(scope="module")
def bot(fake: FakeBotAPI, knowledge: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    data = tmp_path_factory.mktemp("data")
    env = _environment(
        f"http://127.0.0.1:{fake.port}/bot", data, MIGRANT_BOT_KNOWLEDGE_DIR=str(knowledge),
        MIGRANT_BOT_ADMINS=str(ADMIN), MIGRANT_BOT_RELOAD_INTERVAL="0.2",
    )  # fmt: skip
    running = Bot(env, data / "bot.log")
    fake.wait_for(lambda: len([c for c in fake.calls if c.method == "setMyCommands"]) >= 2, timeout=30)
    yield running
    running.stop()


def ask(fake: FakeBotAPI, user: int, text: str) -> str:
    before = len(fake.sent(user))
    fake.send_text(user, text)
    return str(fake.wait_sent(user, before + 1)[-1].params["text"])


def test_edit_is_picked_up_and_versions_differ(fake: FakeBotAPI, bot: Bot, knowledge: Path) -> None:
    """An edited answer is served after the next poll, and the log rows carry both versions."""
    assert MARK not in ask(fake, 7001, "what is IALI")
    glossary = knowledge / "glossary.yaml"
    text = glossary.read_text(encoding="utf-8")
    glossary.write_text(
        text.replace("IALI is the International Association", f"{MARK} IALI is the International Association"),
        encoding="utf-8",
    )
    fake.wait_for(lambda: "knowledge reloaded" in bot.log)
    assert MARK in ask(fake, 7001, "what is IALI")
    with sqlite3.connect(bot.log_path.parent / "bot.sqlite3") as db:
        versions = [v for (v,) in db.execute("SELECT kb_version FROM exchanges ORDER BY id")]
    assert len(versions) == 2 and versions[0] != versions[1]


def test_broken_file_keeps_old_answers_and_tells_admins(fake: FakeBotAPI, bot: Bot, knowledge: Path) -> None:
    """A file with an error is refused: admins get file:line problems, users keep getting answers."""
    broken = knowledge / "zz-broken.yaml"
    broken.write_text("entries:\n  - id: new-entry\n    topic: [oops\n", encoding="utf-8")
    notice = fake.wait_sent(ADMIN)[0].params["text"]
    assert notice.startswith("Knowledge base NOT reloaded")
    assert re.search(rf"{re.escape(str(broken))}:\d+: YAML syntax error", html.unescape(notice))
    assert MARK in ask(fake, 7002, "what is IALI")
    assert "knowledge reload refused" in bot.log and f"{broken}:" in bot.log

    fake.send_text(ADMIN, "/reload")
    assert "Not reloaded (1 problem(s))" in fake.wait_sent(ADMIN, 3)[-1].params["text"]
    broken.unlink()
    fake.send_text(ADMIN, "/reload")
    assert fake.wait_for(lambda: any(c.params["text"].startswith("Reloaded: version") for c in fake.sent(ADMIN)))


def test_version_for_admins_only(fake: FakeBotAPI, bot: Bot) -> None:
    """/version shows the hash, the entry count and the load time to admins, and is refused to others."""
    before = len(fake.sent(ADMIN))
    fake.send_text(ADMIN, "/version")
    reply = fake.wait_sent(ADMIN, before + 1)[-1].params["text"]
    assert reply.startswith("Knowledge base version ") and "40 entries" in reply and "Loaded at 20" in reply
    assert ask(fake, 7003, "/version") == "Sorry, this command is only for the moderators of this bot."
