"""The console chat (bot.console), driven by a script instead of a terminal."""

import re

import pytest

from bot.answer import Responder
from bot.console import transcript
from bot.knowledge import KnowledgeBase


@pytest.fixture
def responder(kb: KnowledgeBase) -> Responder:
    """As deployed: with real contacts, so the console says nothing about placeholders."""
    return Responder(kb, contacts={"en": "HOTLINE-EN", "id": "HOTLINE-ID"})


def test_question_gets_the_same_reply_as_the_core(responder: Responder) -> None:
    """The console shows exactly the core's reply text."""
    out = transcript(responder, ["what is the cebu declaration"])
    assert out[1] == responder.respond("what is the cebu declaration").text


def test_number_picks_a_suggestion(responder: Responder) -> None:
    """After "Did you mean…?", typing a number shows that entry's answer."""
    suggested = responder.respond("labour inspection conference").suggestions
    out = transcript(responder, ["labour inspection conference", "2"])
    assert out[2] == responder.entry_reply(suggested[1].entry_id, "en").text


def test_topics_lists_every_entry_and_numbers_pick(responder: Responder) -> None:
    """/topics lists every entry under its topic; a number then answers that entry."""
    out = transcript(responder, ["/topics", "1"])
    assert len(re.findall(r"^  \d+\. ", out[1], flags=re.M)) == len(responder.kb.entries)
    first = next(e for t in responder.kb.topics for e in responder.kb.entries.values() if e.topic == t)
    assert out[2] == responder.entry_reply(first.id, "en").text


def test_language_switch(responder: Responder) -> None:
    """/language id makes every later reply Indonesian."""
    out = transcript(responder, ["/language id", "what is the ILO"])
    assert "Sumber:" in out[2]


def test_sources_lists_every_source(responder: Responder) -> None:
    """/sources shows every source with its publisher."""
    out = transcript(responder, ["/sources"])
    for source in responder.kb.sources.values():
        assert source.publisher in out[1]


def test_quit_ends_the_conversation(responder: Responder) -> None:
    """/quit stops reading; nothing after it is answered."""
    out = transcript(responder, ["/quit", "what is the ILO"])
    assert len(out) == 1


def test_missing_contacts_are_said_once(kb: KnowledgeBase) -> None:
    """Without configured contacts the console says, once, that urgent replies show a placeholder."""
    bare = Responder(kb)
    out = transcript(bare, ["help me pls boss hit me", "tolong sy dikunci di rmh"])
    notice = kb.message("placeholder_contacts", "en")
    assert out[1] == notice and sum(notice in line for line in out) == 1
    assert out[2].startswith("It sounds like someone is hurting you")


def test_human_says_a_person_is_on_telegram_only(responder: Responder) -> None:
    """/human in the console cannot reach a person: it says so plainly and shows the contacts."""
    out = transcript(responder, ["/human"])
    assert out[1] == responder.kb.message("human_console", "en") + "\nHOTLINE-EN"


def test_slash_commands_are_never_answered_as_questions(responder: Responder) -> None:
    """/start welcomes, as on Telegram; an unknown command lists the known ones instead of matching."""
    out = transcript(responder, ["/start", "/asean"])
    assert out[1].startswith(responder.kb.message("welcome", "en"))
    assert out[2].startswith(responder.kb.message("unknown_command", "en")) and "/topics" in out[2]


def test_privacy_states_the_configured_retention(responder: Responder) -> None:
    """/privacy in the console shows the privacy text with the retention period filled in."""
    out = transcript(responder, ["/privacy"])
    assert "90" in out[1] and "{" not in out[1]


def test_telegram_only_commands_say_so(responder: Responder) -> None:
    """/end and /forget explain that they work on Telegram only."""
    out = transcript(responder, ["/end", "/forget"])
    assert out[1] == out[2] == responder.kb.message("telegram_only", "en")


def test_commands_and_picks_keep_the_persons_language(responder: Responder) -> None:
    """After an Indonesian question, /topics, /help and a numbered pick are Indonesian too."""
    question = "konferensi inspeksi ketenagakerjaan"
    suggested = responder.respond(question).suggestions
    assert suggested, "the question must offer suggestions for this test"
    out = transcript(responder, [question, "1", "/topics", "/help"])
    assert out[2] == responder.entry_reply(suggested[0].entry_id, "id").text
    assert next(iter(responder.kb.topics.values())).title.id in out[3]
    assert out[4].startswith(responder.kb.message("help", "id"))


def test_a_greeting_is_answered_in_its_language(responder: Responder) -> None:
    """ "selamat pagi" gets the Indonesian greeting, "good morning" the English one."""
    out = transcript(responder, ["selamat pagi", "good morning"])
    greeting = next(t for t in responder.kb.smalltalk if t.id == "greeting")
    assert out[1:3] == [greeting.reply.id, greeting.reply.en]
