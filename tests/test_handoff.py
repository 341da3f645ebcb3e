"""Urgent help and the human handoff, end to end through the fake Bot API."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakebotapi import FakeBotAPI
from tests.test_telegram import Bot, _environment, buttons

MODERATOR, OUTSIDER, TEAM_CHAT = 5555, 5999, -7770001


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("handoff")


def start_bot(fake: FakeBotAPI, data: Path, name: str, **extra: str) -> Bot:
    """The bot with a moderators' team and its chat, started against ``fake``; ``extra`` variables too."""
    env = _environment(
        f"http://127.0.0.1:{fake.port}/bot", data, MIGRANT_BOT_MODERATORS=str(MODERATOR),
        MIGRANT_BOT_MODERATORS_CHAT=str(TEAM_CHAT), MIGRANT_BOT_HELP_CONTACTS_EN="TEST-HOTLINE-EN",
        MIGRANT_BOT_HELP_CONTACTS_ID="TEST-HOTLINE-ID", **extra,
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
    call = fake.wait_for(
        lambda: [c for c in fake.sent(TEAM_CHAT) if c.params["text"] == f"#{ticket}: {text}" and c.result is not None]
    )[0]
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
    assert text.index("TEST-HOTLINE-ID") < text.index("/human") < text.index("seharusnya tidak menahan paspor")
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


def test_a_reply_that_misses_a_relay_gets_a_hint_not_the_faq(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """Replying to the "ticket opened" notice: a hint to the team, no FAQ answer, nothing logged."""
    fake.send_text(6009, "/human")
    ticket = int(fake.wait_sent(6009)[0].params["text"].split("#")[1].split(")")[0])
    notice = fake.wait_for(
        lambda: [c for c in fake.sent(TEAM_CHAT) if c.params["text"].startswith(f"🆕 Ticket #{ticket}")]
    )
    before = len(team(fake))
    moderator_says(fake, MODERATOR, "what is the ILO", reply_to=notice[0].result)
    hint = fake.wait_for(lambda: team(fake)[before:])
    assert len(hint) == 1 and hint[0].startswith("That message is not from a worker") and "/reply N" in hint[0]
    moderator_says(fake, MODERATOR, "what is the IOM")  # plain staff talk: no reply at all
    time.sleep(1)
    assert len(team(fake)) == before + 1 and len(fake.sent(6009)) == 1
    with sqlite3.connect(data_dir / "bot.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM exchanges WHERE question LIKE 'what is the I%O'").fetchone()[0] == 0


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


def _open(fake: FakeBotAPI, worker: int) -> int:
    fake.send_text(worker, "/human")
    return int(fake.wait_sent(worker)[0].params["text"].split("#")[1].split(")")[0])


def test_reply_keeps_line_breaks(fake: FakeBotAPI, bot: Bot) -> None:
    """/reply N with two lines reaches the worker as two lines."""
    ticket = _open(fake, 6010)
    moderator_says(fake, MODERATOR, f"/reply {ticket} Line one.\nLine two.")
    assert fake.wait_sent(6010, 2)[1].params["text"] == "👤 Our team: Line one.\nLine two."


def test_a_longest_message_is_relayed_in_marked_parts(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """4,096 characters with the "#N: " mark would not fit one message: two parts, each marked, all kept."""
    ticket = _open(fake, 6011)
    text = "a" * 4000 + "😀" * 48
    fake.send_text(6011, text)
    parts = fake.wait_for(lambda: len(p := [t for t in team(fake) if t.startswith(f"#{ticket}: ")]) >= 2 and p)
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert "".join(p.removeprefix(f"#{ticket}: ") for p in parts) == text
    with sqlite3.connect(data_dir / "bot.sqlite3") as db:
        (kept,) = db.execute("SELECT text FROM ticket_messages WHERE ticket_id = ?", (ticket,)).fetchone()
    assert kept == text


def test_a_message_the_team_cannot_receive_is_kept_and_sent_later(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """The moderators' chat refuses once (403): the worker's words are stored, no error reaches them,
    and the outbox relays them when the chat takes messages again."""
    ticket = _open(fake, 6012)
    fake.wait_for(lambda: any(t.startswith(f"🆕 Ticket #{ticket}") for t in team(fake)))
    fake.fail_next("sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat")
    fake.send_text(6012, "are you there")
    fake.wait_for(lambda: "could not send to the moderators' chat" in bot.log)
    message = relayed(fake, ticket, "are you there")
    assert len(fake.sent(6012)) == 1
    moderator_says(fake, MODERATOR, "Yes.", reply_to=message)
    assert fake.wait_sent(6012, 2)[1].params["text"] == "👤 Our team: Yes."


def test_a_backlog_for_the_team_does_not_hold_up_other_users(fake: FakeBotAPI, bot: Bot) -> None:
    """While the team's chat is slow (429s), a worker's many messages wait in the outbox, not in the
    bot's processing slots: another user's question is answered at once; the messages all arrive."""
    ticket = _open(fake, 6014)
    fake.wait_for(lambda: any(t.startswith(f"🆕 Ticket #{ticket}") for t in team(fake)))
    for _ in range(3):
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)
    for number in range(15):  # within the flood limit (20 a minute)
        fake.send_text(6014, f"message {number}")
    fake.send_text(6015, "what is the ILO")
    fake.wait_sent(6015)
    # answered while the worker's messages still wait for the team's chat (three 429s of 2 s each)
    assert "\n".join(t for t in team(fake) if t.startswith(f"#{ticket}: ")).count("message ") < 15
    fake.wait_for(
        lambda: "\n".join(t for t in team(fake) if t.startswith(f"#{ticket}: ")).count("message ") >= 15, timeout=20
    )


def test_end_in_a_group_tells_the_group_nothing(fake: FakeBotAPI, bot: Bot) -> None:
    """/end sent in a group does not close the ticket or post the closing notice there."""
    ticket = _open(fake, 6013)
    fake.send_text(6013, "/end", chat_type="group", chat_id=-4440001)
    fake.send_text(6013, "/human")  # in order after the /end: says the ticket is still open
    assert f"#{ticket}" in fake.wait_sent(6013, 2)[1].params["text"]
    assert fake.sent(-4440001) == []


def test_many_open_tickets_are_listed_in_several_messages(fake: FakeBotAPI, bot: Bot, data_dir: Path) -> None:
    """Past one message's 4,096 characters, /tickets continues in further messages."""
    with sqlite3.connect(data_dir / "bot.sqlite3") as db:
        db.executemany(
            "INSERT INTO tickets (user_key, chat_id, language, status, opened_at, last_at) "
            "VALUES (?, 1, 'en', 'open', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
            [(f"bulk-{n}",) for n in range(150)],
        )
    try:
        before = len(team(fake))
        moderator_says(fake, MODERATOR, "/tickets")

        # the team's chat gets 20 messages a minute (Telegram's group limit, kept by PTB's rate limiter)
        def listing() -> list[str]:
            return [
                t for t in team(fake)[before:] if t.startswith("Open tickets:") or (t.startswith("#") and " · " in t)
            ]

        fake.wait_for(lambda: sum(m.count("\n#") + m.startswith("#") for m in listing()) >= 150, timeout=90)
        assert len(listing()) >= 2 and all(len(m) <= 4096 for m in listing())
    finally:
        with sqlite3.connect(data_dir / "bot.sqlite3") as db:
            db.execute("UPDATE tickets SET status = 'closed', chat_id = NULL WHERE user_key LIKE 'bulk-%'")


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


def test_waiting_messages_of_a_ticket_are_joined_while_they_fit() -> None:
    """A ticket's consecutive messages go as one; another ticket's, or an overflow, start a new one."""
    from handlers.outbox import batches, parts

    rows = [
        {"id": 1, "ticket_id": 7, "text": "a"},
        {"id": 2, "ticket_id": 7, "text": "b"},
        {"id": 3, "ticket_id": 8, "text": "c"},
        {"id": 4, "ticket_id": 7, "text": "x" * 4090},
    ]
    assert batches(rows) == [(7, [1, 2], "a\nb"), (8, [3], "c"), (7, [4], "x" * 4090)]
    pieces = parts("😀" * 3000, 4092)
    assert [len(p.encode("utf-16-le")) // 2 for p in pieces] == [4092, 6000 - 4092] and "".join(pieces) == "😀" * 3000
