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
