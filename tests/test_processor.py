"""Per-user ordering and processing slots (handlers.processor)."""

from __future__ import annotations

import asyncio
import datetime as dt

from telegram import Chat, Message, Update, User

from handlers.processor import PerUserProcessor


def _update(number: int, user: int) -> Update:
    chat = Chat(user, Chat.PRIVATE)
    message = Message(number, dt.datetime.now(dt.UTC), chat, from_user=User(user, "someone", False), text="hi")
    return Update(number, message=message)


def test_one_users_backlog_holds_one_slot() -> None:
    """With two slots, a user with five waiting updates leaves a slot free for someone else."""

    async def scenario() -> tuple[bool, list[int]]:
        processor = PerUserProcessor(2)
        release = asyncio.Event()
        done: list[int] = []

        async def slow(number: int) -> None:
            await release.wait()
            done.append(number)

        async def quick() -> None:
            done.append(99)

        flooding = [asyncio.create_task(processor.process_update(_update(n, 1), slow(n))) for n in range(5)]
        other = asyncio.create_task(processor.process_update(_update(10, 2), quick()))
        await asyncio.wait_for(other, timeout=2)
        served = done == [99]
        release.set()
        await asyncio.gather(*flooding)
        return served, done

    served, done = asyncio.run(scenario())
    assert served and done == [99, 0, 1, 2, 3, 4]  # the other user first; the flood in its own order
