"""Urgent help and the human handoff, end to end through the fake Bot API."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakebotapi import FakeBotAPI
from tests.test_telegram import Bot, _environment, buttons

MODERATOR, OUTSIDER, TEAM_CHAT = 5555, 5999, -7770001


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("handoff")


def start_bot(fake: FakeBotAPI, data: Path, name: str) -> Bot:
    env = _environment(
        f"http://127.0.0.1:{fake.port}/bot", data, MIGRANT_BOT_MODERATORS=str(MODERATOR),
        MIGRANT_BOT_MODERATORS_CHAT=str(TEAM_CHAT), MIGRANT_BOT_HELP_CONTACTS_EN="TEST-HOTLINE-EN",
        MIGRANT_BOT_HELP_CONTACTS_ID="TEST-HOTLINE-ID",
    )  # fmt: skip
    before = len([c for c in fake.calls if c.method == "setMyCommands"])
    running = Bot(env, data / f"{name}.log")
    fake.wait_for(lambda: len([c for c in fake.calls if c.method == "setMyCommands"]) >= before + 2, timeout=30)
    return running


@pytest.fixture(scope="module")
def bot(fake: FakeBotAPI, data_dir: Path) -> Iterator[Bot]:
    running = start_bot(fake, data_dir, "first")
    yield running
    running.stop()


def team(fake: FakeBotAPI) -> list[str]:
    return [c.params["text"] for c in fake.sent(TEAM_CHAT)]


def relayed(fake: FakeBotAPI, ticket: int, text: str) -> dict:  # type: ignore[type-arg]
    call = fake.wait_for(lambda: [c for c in fake.sent(TEAM_CHAT) if c.params["text"] == f"#{ticket}: {text}"])[0]
    message: dict = call.result  # type: ignore[type-arg]
    return message


def moderator_says(fake: FakeBotAPI, user: int, text: str, reply_to: dict | None = None) -> None:  # type: ignore[type-arg]
    extra = {"reply_to_message": reply_to} if reply_to else {}
    fake.send_text(user, text, chat_type="supergroup", chat_id=TEAM_CHAT, **extra)


def test_urgent_english_gets_the_contacts_first(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """ "help, I am locked in": the configured contacts first, then the offer of a person, with a button."""
    fake.send_text(6001, "help, I am locked in")
    (call,) = fake.wait_sent(6001)
    assert call.params["text"].startswith(
        "It sounds like you are locked in or not allowed to leave.\n\n"
        "If you are in danger or need help now, please contact:\nTEST-HOTLINE-EN"
    )
    assert "/human" in call.params["text"]
    assert buttons(call.result) == [("🙋 Talk to a person", "h:open")]
    with sqlite3.connect(data_dir / "bot.sqlite3") as db:
        assert db.execute("SELECT kind FROM exchanges ORDER BY id DESC LIMIT 1").fetchone() == ("urgent",)


def test_urgent_indonesian_gets_contacts_then_the_answer(fake: FakeBotAPI, bot: Bot) -> None:
    """ "majikan menahan paspor saya": contacts in Indonesian first, then the sourced passport answer."""
    fake.send_text(6002, "tolong saya, majikan menahan paspor saya", language_code="id")
    text = fake.wait_sent(6002)[0].params["text"]
    assert text.startswith(
        "Sepertinya paspor atau dokumen Anda ditahan.\n\n"
        "Jika Anda dalam bahaya atau butuh bantuan sekarang, silakan hubungi:\nTEST-HOTLINE-ID"
    )
    assert text.index("TEST-HOTLINE-ID") < text.index("/human") < text.index("tidak boleh menahan paspor")
    assert "Sumber:" in text


def test_handoff_round_trip(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """Button → ticket; the worker's words reach the team as "#N: …", not the FAQ; a moderator's
    reply and /reply reach the worker; /end closes the ticket and erases the chat id."""
    fake.send_text(6003, "my employer hits me")
    urgent = fake.wait_sent(6003)[0]
    fake.press(6003, urgent.result, "h:open")
    opened = fake.wait_sent(6003, 2)[1].params["text"]
    assert opened.startswith("You are now talking with our team (ticket #")
    ticket = int(opened.split("#")[1].split(")")[0])
    assert any(t.startswith(f"🆕 Ticket #{ticket} opened") for t in team(fake))

    fake.send_text(6003, "what is the ILO")  # goes to the people, not to the FAQ
    first = relayed(fake, ticket, "what is the ILO")
    assert len(fake.sent(6003)) == 2
    moderator_says(fake, MODERATOR, "We are here. Are you safe now?", reply_to=first)
    assert fake.wait_sent(6003, 3)[2].params["text"] == "👤 Our team: We are here. Are you safe now?"
    moderator_says(fake, MODERATOR, f"/reply {ticket} Please stay on this chat.")
    assert fake.wait_sent(6003, 4)[3].params["text"] == "👤 Our team: Please stay on this chat."

    fake.send_text(6003, "/end")
    assert (
        fake.wait_sent(6003, 5)[4]
        .params["text"]
        .startswith(f"The conversation with our team is closed (ticket #{ticket})")
    )
    fake.wait_for(lambda: f"Ticket #{ticket} was closed by the worker." in team(fake))
    with sqlite3.connect(data_dir / "bot.sqlite3") as db:
        status, chat_id = db.execute("SELECT status, chat_id FROM tickets WHERE id = ?", (ticket,)).fetchone()
        directions = [d for (d,) in db.execute("SELECT direction FROM ticket_messages WHERE ticket_id = ?", (ticket,))]
    assert (status, chat_id) == ("closed", None)
    assert directions == ["in", "out", "out"]


def test_nobody_else_can_reply_into_a_ticket(fake: FakeBotAPI, bot: Bot) -> None:
    """A non-moderator in the team chat, and /reply outside it, reach nobody."""
    fake.send_text(6004, "/human")
    ticket = int(fake.wait_sent(6004)[0].params["text"].split("#")[1].split(")")[0])
    fake.send_text(6004, "please help")
    message = relayed(fake, ticket, "please help")
    moderator_says(fake, OUTSIDER, "I am not a moderator", reply_to=message)
    fake.send_text(OUTSIDER, f"/reply {ticket} hello from outside")
    assert fake.wait_sent(OUTSIDER)[0].params["text"].startswith("Sorry, this command is only for the moderators")
    fake.send_text(MODERATOR, f"/reply {ticket} hello from a private chat")
    assert fake.wait_sent(MODERATOR)[0].params["text"].startswith("Usage, in the moderators' chat")
    moderator_says(fake, MODERATOR, "/tickets")
    fake.wait_for(lambda: any(t.startswith("Open tickets:") and f"#{ticket} " in t for t in team(fake)))
    assert len(fake.sent(6004)) == 1  # only "ticket opened": nothing else reached the worker


def test_no_identity_reaches_the_team_chat(fake: FakeBotAPI, bot: Bot) -> None:
    """No worker id, username or name appears in anything sent to the moderators' chat."""
    workers = ("6001", "6002", "6003", "6004")
    for text in team(fake):
        for worker in workers:
            assert worker not in text and f"worker{worker}" not in text.casefold()


def _choose_language(fake: FakeBotAPI, user: int, lang: str) -> None:
    fake.send_text(user, "/language")
    prompt = fake.wait_for(lambda: [c for c in fake.sent(user) if "reply_markup" in c.params])[-1]
    fake.press(user, prompt.result, f"l:{lang}")  # one user's updates are handled in order


def test_staff_replies_come_in_the_moderators_language(fake: FakeBotAPI, bot: Bot) -> None:
    """The team's tools answer each moderator in the language they chose: Indonesian, then English."""
    _choose_language(fake, MODERATOR, "id")
    moderator_says(fake, MODERATOR, "/close")
    fake.wait_for(lambda: "Cara pakai, di obrolan moderator: /close TIKET" in team(fake))
    _choose_language(fake, MODERATOR, "en")
    moderator_says(fake, MODERATOR, "/close")
    fake.wait_for(lambda: "Usage, in the moderators' chat: /close TICKET" in team(fake))


def test_open_ticket_survives_a_restart(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """Open a ticket, restart the bot, and a moderator's reply still reaches the worker."""
    fake.send_text(6005, "/human")
    ticket = int(fake.wait_sent(6005)[0].params["text"].split("#")[1].split(")")[0])
    fake.send_text(6005, "are you still there")
    message = relayed(fake, ticket, "are you still there")
    assert bot.stop() == 0
    again = start_bot(fake, data_dir, "second")
    try:
        moderator_says(fake, MODERATOR, "Yes, we are.", reply_to=message)
        assert fake.wait_sent(6005, 2)[1].params["text"] == "👤 Our team: Yes, we are."
    finally:
        again.stop()
