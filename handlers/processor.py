"""Concurrency: different users are served at the same time, one user's messages in order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerUserProcessor(BaseUpdateProcessor):
    """Runs updates concurrently, but serialises those of the same user (or chat) with a lock each.

    The user's lock is taken *before* one of the ``max_concurrent_updates`` processing slots: a user
    who sends 200 messages holds one slot while the other 199 wait their turn, instead of filling
    every slot with updates that can only wait (issue 13: another user's answer took 3.2 s instead of
    0.01 s). PTB's own semaphore, which it takes before this class sees an update (and which may not
    be overridden), is set to ``WAITING``: it only bounds how many updates may wait at once."""

    #: Updates that may be waiting for their user's turn or a slot, across all users. 4,096 cost a
    #: fifth more CPU per update with 5,000 queued at once (bench/endtoend.py: 453 against 548
    #: updates/s); 256 cost less (481/s) and still keep a flooding user to one slot.
    WAITING = 256

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max(self.WAITING, max_concurrent_updates))
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock, self._slots:  # this user's turn first, then a slot
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def _key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None
