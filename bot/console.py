"""The console chat: the same pipeline as Telegram, for admins and anyone without a token.

Input and output are passed in, so tests drive a whole conversation without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.answer import Reply, Responder, cite
from bot.schema import Lang

_COMMANDS = "/topics  /sources  /language en|id  /help  /quit"


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
    responder: Responder, read: Callable[[str], str], write: Callable[[str], None], lang: Lang | None = None
) -> None:
    """Read questions until /quit or end of input; a number picks from the last numbered list."""
    chosen: Lang | None = lang
    numbered: list[str] = []
    write(responder.kb.message("help", chosen or responder.guesser.default) + f"\n\n{_COMMANDS}")
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
            write(responder.entry_reply(numbered[int(line) - 1], current).text)
        else:
            reply: Reply = responder.respond(line, lang=chosen)
            numbered = [s.entry_id for s in reply.suggestions]
            write(reply.text)


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
