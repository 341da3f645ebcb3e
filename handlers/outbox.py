"""Everything the bot sends to the moderators' chat, sent by one background task.

Why: Telegram lets a bot send about 20 messages a minute to one group, and PTB's rate limiter makes
a send wait its turn. When each relay was sent from the handler that received the worker's message,
the waiting sends held PTB's processing slots: three workers writing 20 messages each made an
unrelated user's answer take 32 s (issue 13). Here the handler stores the worker's message (the
queue is the ``ticket_messages`` rows not yet relayed, so nothing is lost across a restart) and
returns; this task sends them in order, joining a ticket's waiting messages into one when they fit,
and retries after a failure (a 403 while the bot is out of the group) without losing any.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any

from telegram import Bot
from telegram.constants import MessageLimit

from bot.storage import Storage

log = logging.getLogger(__name__)

#: Seconds before a failed send is tried again: doubling from the first to the last while it fails.
RETRY_FIRST, RETRY_LAST = 1.0, 60.0


def parts(text: str, room: int) -> list[str]:
    """``text`` in pieces that fit ``room`` as Telegram counts (UTF-16 units: an emoji is two)."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > room:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    return [*pieces, "".join(current)]


def batches(rows: list[dict[str, Any]]) -> list[tuple[int, list[int], str]]:
    """Waiting messages as (ticket, message ids, text): consecutive messages of one ticket joined
    by line breaks while they fit one Telegram message with the "#N: " mark."""
    out: list[tuple[int, list[int], str]] = []
    for row in rows:
        ticket, text = int(row["ticket_id"]), str(row["text"])
        if out and out[-1][0] == ticket:
            joined = f"{out[-1][2]}\n{text}"
            if len(f"#{ticket}: {joined}".encode("utf-16-le")) // 2 <= MessageLimit.MAX_TEXT_LENGTH:
                out[-1] = (ticket, [*out[-1][1], int(row["id"])], joined)
                continue
        out.append((ticket, [int(row["id"])], text))
    return out


class Outbox:
    """The moderators' chat's queue: notices in memory, workers' messages in the database."""

    def __init__(self, storage: Storage, chat_id: int) -> None:
        self._storage = storage
        self._chat_id = chat_id
        self._notices: deque[str] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def notice(self, text: str) -> None:
        """Queue a notice ("Ticket #3 opened"); it goes before workers' messages queued later."""
        self._notices.append(text)
        self._wake.set()

    def wake(self) -> None:
        """A worker's message was stored: send it."""
        self._wake.set()

    def start(self, bot: Bot) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(bot))
        self._wake.set()  # messages left from before a restart

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, bot: Bot) -> None:
        delay = RETRY_FIRST
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._drain(bot)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a Telegram or network error, or anything else: kept, tried again
                log.warning("could not send to the moderators' chat (%s); retrying", type(error).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_LAST)
                self._wake.set()
            else:
                delay = RETRY_FIRST

    async def _drain(self, bot: Bot) -> None:
        while True:
            while self._notices:
                await bot.send_message(self._chat_id, self._notices[0])
                self._notices.popleft()
            rows = await self._storage.unrelayed()
            if not rows:
                return
            for ticket, ids, text in batches(rows):
                prefix = f"#{ticket}: "
                sent = None
                for piece in parts(text, MessageLimit.MAX_TEXT_LENGTH - len(prefix)):
                    sent = await bot.send_message(self._chat_id, prefix + piece)
                if sent is not None:
                    await self._storage.set_relayed(ids, sent.message_id)
