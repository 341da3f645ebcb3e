"""The bot's SQLite database (aiosqlite): one connection, one writer, opened at start, closed at shutdown.

WAL journal and synchronous=FULL make every commit survive a crash of the process and a power loss
(NORMAL would lose the last commits on a power loss); exchanges are committed in groups, so the
extra fsync per commit costs little (README, Performance). Each exchange is committed before its
reply is sent. The schema is versioned with PRAGMA user_version and
upgraded forward at open. Nothing here holds a Telegram id or name: users are pseudonymous keys.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.schema import Lang

#: Forward migrations; entry N brings a database from user_version N to N + 1. Never edit a shipped one.
MIGRATIONS: tuple[str, ...] = (
    # 1: language choices
    """
    CREATE TABLE preferences (
        user_key   TEXT PRIMARY KEY,
        language   TEXT NOT NULL CHECK (language IN ('en', 'id')),
        updated_at REAL NOT NULL
    );
    """,
    # 2: the conversation log and moderation events
    """
    CREATE TABLE exchanges (
        id          INTEGER PRIMARY KEY,
        at          TEXT NOT NULL,
        user_key    TEXT NOT NULL,
        chat_type   TEXT NOT NULL,
        language    TEXT NOT NULL,
        question    TEXT NOT NULL,
        kind        TEXT NOT NULL,
        entry_id    TEXT,
        score       REAL NOT NULL,
        suggestions TEXT NOT NULL DEFAULT '[]',
        kb_version  TEXT NOT NULL,
        handling_ms REAL NOT NULL,
        feedback    INTEGER CHECK (feedback IN (-1, 1)),
        verdict     TEXT CHECK (verdict IN ('correct', 'wrong', 'new_entry')),
        note        TEXT,
        reviewed_at TEXT
    );
    CREATE INDEX exchanges_at ON exchanges (at);
    CREATE INDEX exchanges_user ON exchanges (user_key);
    CREATE INDEX exchanges_unreviewed ON exchanges (id) WHERE verdict IS NULL;
    CREATE TABLE events (
        id     INTEGER PRIMARY KEY,
        at     TEXT NOT NULL,
        kind   TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    # 3: the human handoff. chat_id is the one raw Telegram number kept anywhere, and only while the
    # ticket is open: replies cannot reach the worker without it. Closing a ticket erases it.
    """
    CREATE TABLE tickets (
        id        INTEGER PRIMARY KEY,
        user_key  TEXT NOT NULL,
        chat_id   INTEGER,
        language  TEXT NOT NULL,
        status    TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        opened_at TEXT NOT NULL,
        last_at   TEXT NOT NULL,
        closed_at TEXT,
        CHECK (status = 'open' OR chat_id IS NULL)
    );
    CREATE UNIQUE INDEX tickets_one_open ON tickets (user_key) WHERE status = 'open';
    CREATE TABLE ticket_messages (
        id               INTEGER PRIMARY KEY,
        ticket_id        INTEGER NOT NULL REFERENCES tickets (id),
        at               TEXT NOT NULL,
        direction        TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        text             TEXT NOT NULL,
        relay_message_id INTEGER
    );
    CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id);
    CREATE INDEX ticket_messages_relay ON ticket_messages (relay_message_id);
    """,
)

#: Questions are cut to this length in the log.
MAX_LOGGED_QUESTION = 1000

#: Columns of an exchange, in table (and export) order.
COLUMNS = ("id", "at", "user_key", "chat_type", "language", "question", "kind", "entry_id", "score", "suggestions",
           "kb_version", "handling_ms", "feedback", "verdict", "note", "reviewed_at")  # fmt: skip

VERDICTS = ("correct", "wrong", "new_entry")
#: The kinds of exchange a moderator reviews, and the rows still waiting for a verdict.
REVIEWED_KINDS = ("answer", "dated", "suggestions", "fallback")
_UNREVIEWED = f"verdict IS NULL AND kind IN {REVIEWED_KINDS!r}"


#: A ticket message is kept whole: Telegram's longest message.
MAX_TICKET_TEXT = 4096


def row_id(text: str) -> int | None:
    """A row number as a button or a moderator writes it ("12", "#12"), or ``None``: only ASCII
    digits ("²".isdigit() is true, but int() refuses it), and within SQLite's integer range."""
    digits = text.removeprefix("#")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        return None
    return int(digits)


def storable(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, as SQLite can store it: a lone surrogate (which a
    Telegram client can send) becomes "?" instead of failing the whole record."""
    return text[:limit].encode("utf-8", "replace").decode("utf-8")


def now_iso(now: dt.datetime | None = None) -> str:
    """UTC time as sortable ISO-8601 text, the form every time column uses."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def days_ago(days: float) -> str:
    """The moment ``days`` ago, in the form every time column uses (retention, reports, idle tickets)."""
    return now_iso(dt.datetime.now(dt.UTC) - dt.timedelta(days=days))


@dataclass(frozen=True)
class Filter:
    """Which exchanges a report or export covers: a time range (ISO text, UTC) and kinds."""

    since: str | None = None
    until: str | None = None
    kinds: tuple[str, ...] = ()

    def where(self) -> tuple[str, list[Any]]:
        clauses, args = ["1 = 1"], []
        if self.since:
            clauses.append("at >= ?")
            args.append(self.since)
        if self.until:
            clauses.append("at < ?")
            args.append(self.until)
        if self.kinds:
            clauses.append(f"kind IN ({', '.join('?' * len(self.kinds))})")
            args.extend(self.kinds)
        return " AND ".join(clauses), args


class Storage:
    """Everything the bot keeps."""

    #: Language choices are read on every message and written rarely: they are cached (bounded).
    CACHED_LANGUAGES = 100_000

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        self._languages: dict[str, Lang | None] = {}
        #: Who has an open ticket: asked on every message, true for few. This connection is the only
        #: writer of tickets, so the set, loaded at open, stays exact.
        self._open_tickets: set[str] = set()
        #: Exchanges inserted and waiting for the next shared commit (see :meth:`_commit_together`).
        self._commit_waiters: list[asyncio.Future[None]] = []
        self._committing: asyncio.Task[None] | None = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("storage is not open")
        return self._db

    async def open(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Readable by the bot's account only. SQLite gives the -wal and -shm files the database
        # file's mode, so creating it private first keeps all three private.
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        os.chmod(self.path, 0o600)
        self._db = await aiosqlite.connect(self.path)
        self._db.row_factory = aiosqlite.Row
        await self._db.execute("PRAGMA secure_delete=ON")  # erased rows are overwritten, not left in free pages
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=FULL")  # a logged exchange survives a power loss too
        await self._db.execute("PRAGMA busy_timeout=5000")
        await self._migrate()
        rows = await self._rows("SELECT user_key FROM tickets WHERE status = 'open'")
        self._open_tickets = {str(row["user_key"]) for row in rows}

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def version(self) -> int:
        return int(await self._value("PRAGMA user_version") or 0)

    async def _migrate(self) -> None:
        current = await self.version()
        for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
            await self.db.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")

    async def _value(self, sql: str, args: Sequence[Any] = ()) -> Any:
        rows = list(await self.db.execute_fetchall(sql, args))  # one trip to the database thread, not three
        return rows[0][0] if rows else None

    async def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in await self.db.execute_fetchall(sql, args)]

    async def _commit_together(self) -> None:
        """Commit, sharing one commit among every exchange inserted meanwhile (group commit).

        Each caller has finished its insert before it waits here, and the commit is queued on the
        connection after the waiters are taken, so it covers them all; callers arriving during a
        commit wait for the next one. Under load one commit serves dozens of replies."""
        waiter = asyncio.get_running_loop().create_future()
        self._commit_waiters.append(waiter)
        if self._committing is None:
            self._committing = asyncio.get_running_loop().create_task(self._commit_waiting())
        await waiter

    async def _commit_waiting(self) -> None:
        try:
            while self._commit_waiters:
                waiters, self._commit_waiters = self._commit_waiters, []
                try:
                    await self.db.commit()
                except asyncio.CancelledError:  # shutting down: nobody is left waiting forever
                    for waiter in [*waiters, *self._commit_waiters]:
                        waiter.cancel()
                    raise
                except Exception as exc:  # each waiting record() raises it, as a commit of its own would
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_exception(exc)
                else:
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_result(None)
        finally:
            self._committing = None

    # --- preferences -----------------------------------------------------------------------
    async def language(self, user_key: str) -> Lang | None:
        if user_key in self._languages:
            return self._languages[user_key]
        value = await self._value("SELECT language FROM preferences WHERE user_key = ?", (user_key,))
        found: Lang | None = "en" if value == "en" else "id" if value == "id" else None
        if len(self._languages) >= self.CACHED_LANGUAGES:
            self._languages.clear()
        self._languages[user_key] = found
        return found

    async def set_language(self, user_key: str, language: Lang) -> None:
        await self.db.execute(
            "INSERT INTO preferences (user_key, language, updated_at) VALUES (?, ?, julianday('now')) "
            "ON CONFLICT (user_key) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at",
            (user_key, language),
        )
        await self.db.commit()
        self._languages[user_key] = language

    # --- the conversation log ---------------------------------------------------------------
    async def record(self, *, user_key: str, chat_type: str, language: str, question: str, kind: str,
                     entry_id: str | None, score: float, suggestions: Sequence[str], kb_version: str,
                     handling_ms: float, at: str | None = None) -> int:  # fmt: skip
        """Log one exchange and commit it (before the reply is sent); returns its id."""
        cursor = await self.db.execute(
            "INSERT INTO exchanges (at, user_key, chat_type, language, question, kind, entry_id, score, suggestions,"
            " kb_version, handling_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (at or now_iso(), user_key, chat_type, language, storable(question, MAX_LOGGED_QUESTION), kind, entry_id,
             round(score, 1), json.dumps(list(suggestions)), kb_version, round(handling_ms, 2)),
        )  # fmt: skip
        await self._commit_together()
        return int(cursor.lastrowid or 0)

    async def unreviewed(self) -> int:
        """How many answers, suggestions and fallbacks have no moderator's verdict yet."""
        return int(await self._value(f"SELECT COUNT(*) FROM exchanges WHERE {_UNREVIEWED}") or 0)

    async def set_feedback(self, exchange_id: int, user_key: str, value: int) -> bool:
        """A 👍 (1) or 👎 (-1) on one's own exchange; False when it is not theirs or is gone."""
        cursor = await self.db.execute(
            "UPDATE exchanges SET feedback = ? WHERE id = ? AND user_key = ?", (value, exchange_id, user_key)
        )
        await self.db.commit()
        return cursor.rowcount == 1

    async def forget(self, user_key: str) -> int:
        """Delete everything kept about one user; returns how many records (log rows, handoff
        messages) were deleted."""
        cursor = await self.db.execute("DELETE FROM exchanges WHERE user_key = ?", (user_key,))
        deleted = cursor.rowcount
        cursor = await self.db.execute(
            "DELETE FROM ticket_messages WHERE ticket_id IN (SELECT id FROM tickets WHERE user_key = ?)", (user_key,)
        )
        deleted += cursor.rowcount
        await self.db.execute("DELETE FROM tickets WHERE user_key = ?", (user_key,))
        await self.db.execute("DELETE FROM preferences WHERE user_key = ?", (user_key,))
        await self.db.commit()
        await self._scrub()
        self._languages.pop(user_key, None)
        self._open_tickets.discard(user_key)
        return deleted

    async def _scrub(self) -> None:
        """After an erasure: copy the write-ahead log into the database and empty it, so the erased
        text and chat ids are not left readable in bot.sqlite3-wal while the bot runs."""
        await self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def purge(self, before: str) -> int:
        """Delete exchanges and events older than ``before``; returns how many exchanges went."""
        cursor = await self.db.execute("DELETE FROM exchanges WHERE at < ?", (before,))
        await self.db.execute("DELETE FROM events WHERE at < ?", (before,))
        old = "SELECT id FROM tickets WHERE status = 'closed' AND last_at < ?"
        await self.db.execute(f"DELETE FROM ticket_messages WHERE ticket_id IN ({old})", (before,))
        await self.db.execute(f"DELETE FROM tickets WHERE id IN ({old})", (before,))
        await self.db.commit()
        await self._scrub()
        return cursor.rowcount

    async def event(self, kind: str, detail: str = "") -> None:
        """Something worth counting that is not an exchange (e.g. a refused moderator command); no identity."""
        await self.db.execute("INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)", (now_iso(), kind, detail))
        await self.db.commit()

    async def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        if kind is None:
            return await self._rows("SELECT * FROM events ORDER BY id")
        return await self._rows("SELECT * FROM events WHERE kind = ? ORDER BY id", (kind,))

    # --- moderation --------------------------------------------------------------------------
    async def exchanges(self, where: Filter = Filter(), limit: int | None = None, newest_first: bool = True
                        ) -> list[dict[str, Any]]:  # fmt: skip
        clause, args = where.where()
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT * FROM exchanges WHERE {clause} ORDER BY id {order}"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return await self._rows(sql, args)

    async def stream(self, where: Filter = Filter(), batch: int = 1000) -> AsyncGenerator[dict[str, Any]]:
        """Every matching exchange, oldest first, fetched in batches: constant memory for any log size."""
        clause, args = where.where()
        async with self.db.execute(f"SELECT * FROM exchanges WHERE {clause} ORDER BY id", args) as cursor:
            while rows := await cursor.fetchmany(batch):
                for row in rows:
                    yield dict(row)

    async def unanswered(self, where: Filter = Filter(), low_score: float = 70.0, limit: int = 500
                         ) -> list[dict[str, Any]]:  # fmt: skip
        """The latest questions that got a fallback, suggestions, a dated answer (the sources say nothing
        for the time asked about) or a low-scoring answer."""
        clause, args = where.where()
        return await self._rows(
            f"SELECT * FROM exchanges WHERE {clause} AND (kind IN ('fallback', 'suggestions', 'dated') OR "
            "(kind = 'answer' AND score < ?)) ORDER BY id DESC LIMIT ?",
            [*args, low_score, limit],
        )

    async def next_unreviewed(self) -> dict[str, Any] | None:
        rows = await self._rows(f"SELECT * FROM exchanges WHERE {_UNREVIEWED} ORDER BY id DESC LIMIT 1")
        return rows[0] if rows else None

    async def set_verdict(self, exchange_id: int, verdict: str, note: str | None = None) -> bool:
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}")
        cursor = await self.db.execute(
            "UPDATE exchanges SET verdict = ?, note = COALESCE(?, note), reviewed_at = ? WHERE id = ?",
            (verdict, note, now_iso(), exchange_id),
        )
        await self.db.commit()
        return cursor.rowcount == 1

    async def stats(self, where: Filter = Filter()) -> dict[str, Any]:
        clause, args = where.where()
        totals = (await self._rows(
            f"SELECT COUNT(*) AS messages, COUNT(DISTINCT user_key) AS users,"
            f" SUM(kind = 'answer') AS answered, SUM(kind = 'suggestions') AS suggested,"
            f" SUM(kind = 'fallback') AS fallback, SUM(feedback = 1) AS up, SUM(feedback = -1) AS down"
            f" FROM exchanges WHERE {clause}", args))[0]  # fmt: skip
        top = await self._rows(
            f"SELECT entry_id, COUNT(*) AS count FROM exchanges WHERE {clause} AND kind = 'answer' "
            "GROUP BY entry_id ORDER BY count DESC, entry_id LIMIT 5",
            args,
        )
        return {**{k: int(v or 0) for k, v in totals.items()}, "top_entries": top}

    # --- the human handoff -------------------------------------------------------------------
    async def open_ticket(self, user_key: str, chat_id: int, language: str) -> tuple[int, bool]:
        """The user's open ticket, or a new one; returns (ticket id, whether it was just opened)."""
        existing = await self.open_ticket_of(user_key)
        if existing is not None:
            return int(existing["id"]), False
        at = now_iso()
        cursor = await self.db.execute(
            "INSERT INTO tickets (user_key, chat_id, language, status, opened_at, last_at) "
            "VALUES (?, ?, ?, 'open', ?, ?)",
            (user_key, chat_id, language, at, at),
        )
        await self.db.commit()
        self._open_tickets.add(user_key)
        return int(cursor.lastrowid or 0), True

    async def open_ticket_of(self, user_key: str) -> dict[str, Any] | None:
        if user_key not in self._open_tickets:
            return None
        rows = await self._rows("SELECT * FROM tickets WHERE user_key = ? AND status = 'open'", (user_key,))
        return rows[0] if rows else None

    async def ticket(self, ticket_id: int) -> dict[str, Any] | None:
        rows = await self._rows("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        return rows[0] if rows else None

    async def ticket_by_relay(self, relay_message_id: int) -> dict[str, Any] | None:
        """The ticket a message in the moderators' chat belongs to (a relayed worker message)."""
        rows = await self._rows(
            "SELECT t.* FROM tickets t JOIN ticket_messages m ON m.ticket_id = t.id WHERE m.relay_message_id = ?",
            (relay_message_id,),
        )
        return rows[0] if rows else None

    async def unrelayed(self, limit: int = 50) -> list[dict[str, Any]]:
        """Workers' messages not yet relayed to the moderators, oldest first (the outbox's queue,
        which survives a restart)."""
        return await self._rows(
            "SELECT id, ticket_id, text FROM ticket_messages WHERE direction = 'in' AND relay_message_id IS NULL "
            "ORDER BY id LIMIT ?",
            (limit,),
        )

    async def set_relayed(self, message_ids: Sequence[int], relay_message_id: int) -> None:
        """Mark workers' messages relayed, as the moderators' chat message a reply to reaches them by."""
        await self.db.executemany(
            "UPDATE ticket_messages SET relay_message_id = ? WHERE id = ?",
            [(relay_message_id, message_id) for message_id in message_ids],
        )
        await self.db.commit()

    async def add_ticket_message(self, ticket_id: int, direction: str, text: str,
                                 relay_message_id: int | None = None) -> None:  # fmt: skip
        at = now_iso()
        await self.db.execute(
            "INSERT INTO ticket_messages (ticket_id, at, direction, text, relay_message_id) VALUES (?, ?, ?, ?, ?)",
            (ticket_id, at, direction, storable(text, MAX_TICKET_TEXT), relay_message_id),
        )
        await self.db.execute("UPDATE tickets SET last_at = ? WHERE id = ?", (at, ticket_id))
        await self.db.commit()

    async def close_ticket(self, ticket_id: int) -> dict[str, Any] | None:
        """Close an open ticket and erase the chat id; returns the ticket as it was (with the chat id,
        so the worker can be told), or None when it was not open."""
        before = await self.ticket(ticket_id)
        if before is None or before["status"] != "open":
            return None
        await self.db.execute(
            "UPDATE tickets SET status = 'closed', chat_id = NULL, closed_at = ? WHERE id = ?", (now_iso(), ticket_id)
        )
        await self.db.commit()
        await self._scrub()
        self._open_tickets.discard(str(before["user_key"]))
        return before

    async def open_tickets(self) -> list[dict[str, Any]]:
        return await self._rows(
            "SELECT t.id, t.language, t.opened_at, t.last_at, COUNT(m.id) AS messages FROM tickets t "
            "LEFT JOIN ticket_messages m ON m.ticket_id = t.id WHERE t.status = 'open' GROUP BY t.id ORDER BY t.id"
        )

    async def idle_tickets(self, before: str) -> list[int]:
        rows = await self._rows("SELECT id FROM tickets WHERE status = 'open' AND last_at < ?", (before,))
        return [int(r["id"]) for r in rows]
