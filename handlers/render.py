"""Turning the core's plain-text replies into Telegram messages: HTML escaping, splitting, keyboards."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answer import Reply, Responder
from bot.schema import Lang

#: Telegram's limit is 4096 characters per message; keep a margin for entities.
MAX_MESSAGE = 4000

# Callback data: short prefixes, ids are at most 48 characters (bot.schema.Id), well under 64 bytes.
ENTRY, TOPIC, TOPICS, LANGUAGE, FEEDBACK, FORGET, REVIEW, HANDOFF = "e", "t", "T", "l", "f", "x", "r", "h"


def split_html(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Escape ``text`` for HTML and cut it into messages at paragraph, then line, then word breaks."""
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        joined = f"{current}\n\n{piece}" if current else piece
        if len(html.escape(joined)) <= limit:
            current = joined
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return [html.escape(chunk) for chunk in chunks if chunk.strip()]


def _pieces(text: str, limit: int) -> list[str]:
    """Paragraphs, each cut further until its escaped form fits."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        out.extend(_cut(paragraph, limit))
    return out


def _cut(text: str, limit: int) -> list[str]:
    """Cut one paragraph into pieces whose escaped form fits, at a line or word break if there is one."""
    out: list[str] = []
    while len(html.escape(text)) > limit:
        end = _fitting_prefix(text, limit)
        cut = max(text.rfind("\n", 0, end), text.rfind(" ", 0, end))
        cut = cut if cut > 0 else end
        out.append(text[:cut])
        text = text[cut:].lstrip()
    out.append(text)
    return out


def _fitting_prefix(text: str, limit: int) -> int:
    """The longest prefix length whose escaped form is at most ``limit`` (binary search)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if len(html.escape(text[:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:60], callback_data=data)


def reply_keyboard(reply: Reply, responder: Responder, exchange_id: int | None = None) -> InlineKeyboardMarkup | None:
    """Buttons under a reply: suggestions; or 👍/👎 (on the logged exchange) and related questions;
    or the topics button."""
    kb, lang = responder.kb, reply.language
    if reply.kind == "suggestions":
        return InlineKeyboardMarkup([[button(s.question, f"{ENTRY}:{s.entry_id}")] for s in reply.suggestions])
    if reply.kind in ("answer", "dated") and reply.entry_id:
        rows = []
        if exchange_id is not None:
            rows.append([button("👍", f"{FEEDBACK}:{exchange_id}:1"), button("👎", f"{FEEDBACK}:{exchange_id}:-1")])
        for other in related(responder, reply.entry_id):
            rows.append([button(kb.entries[other].questions.get(lang)[0], f"{ENTRY}:{other}")])
        return InlineKeyboardMarkup(rows)
    if reply.kind == "fallback":
        return InlineKeyboardMarkup([[button(kb.message("topics_button", lang), TOPICS)]])
    if reply.kind == "urgent":
        return InlineKeyboardMarkup([[button(kb.message("human_button", lang), f"{HANDOFF}:open")]])
    return None


def related(responder: Responder, entry_id: str, limit: int = 3) -> list[str]:
    """The entry's own related list, filled up with entries of the same topic."""
    kb = responder.kb
    entry = kb.entries[entry_id]
    chosen = [e for e in entry.related if e in kb.entries and e != entry_id][:limit]
    for other in kb.by_topic.get(entry.topic, ()):
        if len(chosen) >= limit:
            break
        if other != entry_id and other not in chosen:
            chosen.append(other)
    return chosen


def topics_keyboard(responder: Responder, lang: Lang) -> InlineKeyboardMarkup:
    kb = responder.kb
    used = {e.topic for e in kb.entries.values()}
    return InlineKeyboardMarkup(
        [[button(t.title.get(lang), f"{TOPIC}:{t.id}")] for t in kb.topics.values() if t.id in used]
    )


def topic_keyboard(responder: Responder, topic_id: str, lang: Lang) -> InlineKeyboardMarkup:
    kb = responder.kb
    rows = [[button(e.questions.get(lang)[0], f"{ENTRY}:{e.id}")] for e in kb.entries.values() if e.topic == topic_id]
    rows.append([button(kb.message("back", lang), TOPICS)])
    return InlineKeyboardMarkup(rows)


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button("English", f"{LANGUAGE}:en"), button("Bahasa Indonesia", f"{LANGUAGE}:id")]])
