"""Rendering replies for Telegram (handlers.render): HTML escaping, splitting, keyboards."""

import html
from pathlib import Path

from bot.answer import Responder
from bot.evaluation import load_set
from bot.knowledge import KnowledgeBase
from handlers.render import MAX_MESSAGE, related, reply_keyboard, split_html
from tests.fakebotapi import html_problems

DATA = Path(__file__).parent / "data"


def test_short_text_is_one_escaped_message() -> None:
    """Special characters are escaped and the text is otherwise unchanged."""
    assert split_html("a <b> & c") == ["a &lt;b&gt; &amp; c"]


def test_long_text_splits_at_paragraphs_under_the_limit() -> None:
    """Long replies split at paragraph boundaries, every part valid HTML and within the limit."""
    paragraphs = [f"paragraph {i} " + "<&>" * 300 for i in range(12)]
    parts = split_html("\n\n".join(paragraphs))
    assert len(parts) > 1
    assert all(len(p) <= MAX_MESSAGE and not html_problems(p) for p in parts)
    assert all(html.unescape(p).startswith("paragraph") for p in parts)
    assert "".join(html.unescape(p) for p in parts).count("paragraph") == 12


def test_one_huge_paragraph_is_cut_at_words() -> None:
    """A paragraph longer than a message is cut between words, nothing lost."""
    text = " ".join(f"w{i}&" for i in range(3000))
    parts = split_html(text)
    assert all(len(p) <= MAX_MESSAGE for p in parts)
    assert " ".join(html.unescape(p) for p in parts).split() == text.split()


def test_answer_keyboard_has_votes_and_related(responder: Responder) -> None:
    """A logged answer gets 👍/👎 on its exchange id and at most three related-question buttons."""
    markup = reply_keyboard(responder.respond("what is the cebu declaration"), responder, exchange_id=42)
    assert markup is not None
    rows = markup.inline_keyboard
    assert [(b.text, b.callback_data) for b in rows[0]] == [("👍", "f:42:1"), ("👎", "f:42:-1")]
    assert 1 <= len(rows) - 1 <= 3


def test_related_prefers_the_entry_list_then_its_topic(responder: Responder) -> None:
    """Related questions are the entry's own list first, then entries of its topic, never itself."""
    entry = responder.kb.entries["cebu-declaration"]
    found = related(responder, entry.id)
    assert found[: len(entry.related[:3])] == entry.related[:3]
    assert entry.id not in found and len(found) == 3


def test_callback_data_fits_telegram(responder: Responder) -> None:
    """Every button's callback data is at most 64 bytes."""
    for entry_id in responder.kb.entries:
        markup = reply_keyboard(responder.entry_reply(entry_id, "en"), responder, exchange_id=10**12)
        assert markup is not None
        for row in markup.inline_keyboard:
            for button in row:
                assert len(str(button.callback_data).encode()) <= 64


def test_every_urgent_reply_is_valid_telegram_html(kb: KnowledgeBase) -> None:
    """Each urgent reply of every kept distress set renders as valid HTML within the limit, in the
    worker's language, naming its situation and showing the configured contacts (which may hold <&>)."""
    contacts = {"en": "Hotline <24h> & SMS: 0000", "id": "Hotline <24 jam> & SMS: 0000"}
    responder = Responder(kb, contacts=contacts)
    says = {s.id: s.says for s in kb.urgent}
    for path in sorted(DATA.glob("urgent-*.yaml")):
        for case in load_set(path)["urgent"]:
            reply = responder.respond(case["m"])
            if reply.kind != "urgent":
                continue
            parts = split_html(reply.text)
            assert all(len(p) <= MAX_MESSAGE and not html_problems(p) for p in parts), case["m"]
            shown = html.unescape("".join(parts))
            assert shown.startswith(says[reply.situations[0]].get(reply.language)), case["m"]
            assert contacts[reply.language] in shown
            if case["lang"] in ("id", "ms"):
                assert reply.language == "id", case["m"]
