"""The bot's SQLite database (aiosqlite): one connection, opened at start and closed at shutdown.

WAL journal and synchronous=NORMAL keep writes cheap and durable across a process crash; the
schema is versioned with PRAGMA user_version and upgraded forward at open.
"""

from __future__ import annotations

import time
from pathlib import Path

import aiosqlite

from bot.schema import Lang

#: Forward migrations; entry N brings a database from user_version N to N + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE preferences (
        user_key   TEXT PRIMARY KEY,
        language   TEXT NOT NULL CHECK (language IN ('en', 'id')),
        updated_at REAL NOT NULL
    );
    """,
)


class Storage:
    """Everything the bot keeps. Only pseudonymous user keys, never a Telegram id or name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("storage is not open")
        return self._db

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.execute("PRAGMA busy_timeout=5000")
        await self._migrate()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.version()
        for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
            await self.db.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")

    async def language(self, user_key: str) -> Lang | None:
        async with self.db.execute("SELECT language FROM preferences WHERE user_key = ?", (user_key,)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def set_language(self, user_key: str, language: Lang) -> None:
        await self.db.execute(
            "INSERT INTO preferences (user_key, language, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_key) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at",
            (user_key, language, time.time()),
        )
        await self.db.commit()
