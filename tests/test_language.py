"""Reply-language detection (bot.language)."""

import pytest

from bot.answer import Responder
from bot.language import RecentLanguages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what is the cebu declaration", "en"),
        ("apa itu deklarasi cebu", "id"),
        ("tki yg bermasalah ditangani gmn", "id"),
        ("child migrant workers", "en"),
        ("anak anak dikirim jadi TKI", "id"),
        ("IOM itu apa", "id"),
        ("Siapakah Hanif Dhakiri?", "id"),
    ],
)
def test_language_is_read_from_the_message(responder: Responder, text: str, expected: str) -> None:
    """Stopwords, chat abbreviations and phrasing vocabulary decide the language."""
    assert responder.guesser.guess(text) == expected


def test_hint_breaks_a_tie_only(responder: Responder) -> None:
    """Telegram's language_code decides only when the message itself does not."""
    assert responder.guesser.guess("ILO", hint="id") == "id"
    assert responder.guesser.guess("ILO", hint="en-US") == "en"
    assert responder.guesser.guess("what is the ILO", hint="id") == "en"


def test_default_language_without_evidence(responder: Responder) -> None:
    """With no evidence and no hint, the configured default is used."""
    assert responder.guesser.guess("ILO") == responder.guesser.default


def test_recent_languages_forget_the_least_recent_first() -> None:
    """The memory is bounded: past capacity, the person heard from longest ago is dropped."""
    recent = RecentLanguages(capacity=2)
    recent.remember("a", "id")
    recent.remember("b", "en")
    recent.remember("a", "id")  # "a" is now the most recent
    recent.remember("c", "en")
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == ("id", None, "en")
    recent.forget("a")
    assert recent.get("a") is None
