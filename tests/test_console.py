"""The console chat (bot.console), driven by a script instead of a terminal."""

import re

from bot.answer import Responder
from bot.console import transcript


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
