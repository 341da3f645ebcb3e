"""The console chat: the same pipeline as Telegram, for admins and anyone without a token.

Input and output are passed in, so tests drive a whole conversation without a terminal.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.answer import Reply, Responder, cite
from bot.privacy import user_key
from bot.schema import Lang
from bot.storage import Storage

log = logging.getLogger(__name__)

Recorder = Callable[[Reply, float], None]

_COMMANDS = "/topics  /sources  /language en|id  /human  /help  /quit"


def topics_text(responder: Responder, lang: Lang) -> tuple[str, list[str]]:
    """Every topic with its entries numbered; returns the text and the entry ids in number order."""
    kb = responder.kb
    lines: list[str] = []
    order: list[str] = []
    for topic in kb.topics.values():
        entries = [e for e in kb.entries.values() if e.topic == topic.id]
        if not entries:
            continue
        lines.append(f"\n{topic.title.get(lang)}")
        for entry in entries:
            order.append(entry.id)
            lines.append(f"  {len(order)}. {entry.questions.get(lang)[0]}")
    return "\n".join(lines).strip("\n"), order


def sources_text(responder: Responder, lang: Lang) -> str:
    kb = responder.kb
    also = kb.message("also_published", lang)
    ordered = sorted(kb.sources.values(), key=lambda s: s.published)
    return kb.message("sources_heading", lang) + "\n" + "\n".join(cite(s, lang, also) for s in ordered)


def run_console(
    responder: Responder,
    read: Callable[[str], str],
    write: Callable[[str], None],
    lang: Lang | None = None,
    record: Recorder | None = None,
) -> None:
    """Read questions until /quit or end of input; a number picks from the last numbered list.

    Every exchange goes to ``record`` (the conversation log) before it is shown."""

    def show(reply: Reply, started: float) -> None:
        if record is not None:
            record(reply, started)
        write(reply.text)

    chosen: Lang | None = lang
    numbered: list[str] = []
    write(responder.kb.message("help", chosen or responder.guesser.default) + f"\n\n{_COMMANDS}")
    if not responder.has_contacts:  # said once: urgent replies here show the placeholder referral
        write(responder.kb.message("placeholder_contacts", chosen or responder.guesser.default))
    while True:
        try:
            line = read("> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        current: Lang = chosen or responder.guesser.default
        if line in ("/quit", "/exit"):
            return
        if line == "/help":
            write(responder.kb.message("help", current) + f"\n\n{_COMMANDS}")
        elif line == "/topics":
            text, numbered = topics_text(responder, current)
            write(text)
        elif line == "/human":  # a person is reachable through Telegram's relay only
            write(f"{responder.kb.message('human_console', current)}\n{responder.contacts_text(current)}")
        elif line == "/sources":
            write(sources_text(responder, current))
        elif line.startswith("/language"):
            arg = line.removeprefix("/language").strip()
            if arg in ("en", "id"):
                chosen = arg  # type: ignore[assignment]
                write(f"Language: {arg}")
            else:
                write("Usage: /language en|id")
        elif line.isdigit() and 1 <= int(line) <= len(numbered):
            show(responder.entry_reply(numbered[int(line) - 1], current), time.perf_counter())
        else:
            started = time.perf_counter()
            reply = responder.respond(line, lang=chosen)
            numbered = [s.entry_id for s in reply.suggestions]
            show(reply, started)


class ConsoleLog:
    """Writes console exchanges to the conversation log (user key "console", chat type "console").

    The console is synchronous; this runs the same async :class:`Storage` on a private event loop,
    so there is one implementation of the log. If the database cannot be opened, the chat still
    works and says once that nothing is being logged.
    """

    def __init__(self, path: Path, secret: str, kb_version: str) -> None:
        self._storage = Storage(path)
        self._loop = asyncio.new_event_loop()
        self._key = user_key(secret, 0)
        self._version = kb_version
        self.available = False

    def __enter__(self) -> ConsoleLog:
        try:
            self._loop.run_until_complete(self._storage.open())
            self.available = True
        except (OSError, sqlite3.Error) as exc:
            log.warning("conversation log unavailable (%s): this chat is not logged", exc)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.run_until_complete(self._storage.close())
        self._loop.close()

    def __call__(self, reply: Reply, started: float) -> None:
        if not self.available:
            return
        self._loop.run_until_complete(
            self._storage.record(
                user_key=self._key, chat_type="console", language=reply.language, question=reply.question,
                kind=reply.kind, entry_id=reply.entry_id, score=reply.score,
                suggestions=[s.entry_id for s in reply.suggestions], kb_version=self._version,
                handling_ms=(time.perf_counter() - started) * 1000,
            )
        )  # fmt: skip


def transcript(responder: Responder, lines: Iterable[str], lang: Lang | None = None) -> list[str]:
    """Run a scripted console conversation and return everything it wrote (used by tests)."""
    feed = iter(lines)
    out: list[str] = []

    def read(_prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    run_console(responder, read, out.append, lang)
    return out


__all__ = ["run_console", "sources_text", "topics_text", "transcript"]
