"""Reply-language detection (bot.language)."""

import pytest

from bot.answer import Responder


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
