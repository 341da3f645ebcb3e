"""The SQLite storage (bot.storage), pseudonymous keys (bot.privacy) and generated secrets."""

import asyncio
import json
import sqlite3
import stat
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot.privacy import user_key
from bot.secrets_file import load_or_create
from bot.storage import MAX_LOGGED_QUESTION, MIGRATIONS, Filter, Storage, now_iso, row_id


def test_language_round_trip_and_persistence(tmp_path: Path) -> None:
    """A language choice is stored, updated, and still there after reopening."""

    async def scenario() -> None:
        storage = Storage(tmp_path / "db.sqlite3")
        await storage.open()
        assert await storage.language("k") is None
        await storage.set_language("k", "id")
        await storage.set_language("k", "en")
        await storage.close()
        again = Storage(tmp_path / "db.sqlite3")
        await again.open()
        assert await again.language("k") == "en"
        assert await again.version() == len(MIGRATIONS)
        await again.close()

    asyncio.run(scenario())


def test_wal_journal(tmp_path: Path) -> None:
    """The database runs in WAL mode, so a crash does not lose committed rows."""
    asyncio.run(_open_close(tmp_path / "db.sqlite3"))
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_every_commit_is_synced_to_disk(tmp_path: Path) -> None:
    """synchronous=FULL on the bot's connection: a logged exchange survives a power loss, not only a crash."""

    async def scenario() -> int:
        storage = Storage(tmp_path / "db.sqlite3")
        await storage.open()
        try:
            return int((await storage._rows("PRAGMA synchronous"))[0]["synchronous"])
        finally:
            await storage.close()

    assert asyncio.run(scenario()) == 2  # FULL (NORMAL is 1); a per-connection setting, so read on the bot's own


async def _open_close(path: Path) -> None:
    storage = Storage(path)
    await storage.open()
    await storage.close()


def test_user_key_is_stable_secret_dependent_and_not_the_id() -> None:
    """The same id and secret give the same key; another secret another key; the id is not in it."""
    assert user_key("s1", 987654321) == user_key("s1", 987654321)
    assert user_key("s1", 987654321) != user_key("s2", 987654321)
    assert "987654321" not in user_key("s1", 987654321)
    assert len(user_key("s1", 1)) == 64


def test_generated_secret_is_private_and_kept(tmp_path: Path) -> None:
    """A generated secret is written with mode 0600 and read back unchanged."""
    path = tmp_path / "sub" / "x.secret"
    first = load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(path) == first and len(first) >= 32


def test_configured_secret_wins(tmp_path: Path) -> None:
    """A secret from the config is used as is and nothing is written."""
    assert load_or_create(tmp_path / "x.secret", "configured") == "configured"
    assert not (tmp_path / "x.secret").exists()


def _record(storage: Storage, user: str = "k1", at: str | None = None, **fields: object) -> Coroutine[Any, Any, int]:
    values: dict[str, Any] = dict(user_key=user, chat_type="private", language="en", question="what is the ILO",
                                  kind="answer", entry_id="ilo", score=95.0, suggestions=[], kb_version="v1",
                                  handling_ms=1.5, at=at)  # fmt: skip
    values.update(fields)
    return storage.record(**values)


def _with_storage(path: Path, scenario: Callable[[Storage], Coroutine[Any, Any, None]]) -> None:
    async def run() -> None:
        storage = Storage(path)
        await storage.open()
        try:
            await scenario(storage)
        finally:
            await storage.close()

    asyncio.run(run())


def test_record_keeps_every_field_and_truncates_the_question(tmp_path: Path) -> None:
    """A logged exchange keeps what moderators need; a long question is cut to 1,000 characters."""

    async def scenario(storage: Storage) -> None:
        exchange = await _record(storage, question="x" * 5000, kind="suggestions", entry_id=None,
                                 suggestions=["a", "b"])  # fmt: skip
        (row,) = await storage.exchanges()
        assert row["id"] == exchange and len(row["question"]) == MAX_LOGGED_QUESTION
        assert json.loads(row["suggestions"]) == ["a", "b"] and row["kind"] == "suggestions"
        assert row["verdict"] is None and row["feedback"] is None

    _with_storage(tmp_path / "db.sqlite3", scenario)


def test_forget_deletes_one_users_rows_and_choice(tmp_path: Path) -> None:
    """forget() removes that user's exchanges and language choice, and nobody else's."""

    async def scenario(storage: Storage) -> None:
        for _ in range(3):
            await _record(storage, "a")
        await _record(storage, "b")
        await storage.set_language("a", "id")
        assert await storage.forget("a") == 3
        assert await storage.language("a") is None
        assert [r["user_key"] for r in await storage.exchanges()] == ["b"]

    _with_storage(tmp_path / "db.sqlite3", scenario)


def test_purge_deletes_only_old_rows(tmp_path: Path) -> None:
    """Retention: rows before the cut-off go, newer ones stay."""

    async def scenario(storage: Storage) -> None:
        await _record(storage, at="2020-01-01T00:00:00.000Z")
        await _record(storage, at=now_iso())
        await storage.event("refused", "stats")
        assert await storage.purge(before="2021-01-01T00:00:00.000Z") == 1
        assert len(await storage.exchanges()) == 1 and len(await storage.events()) == 1

    _with_storage(tmp_path / "db.sqlite3", scenario)


def test_feedback_only_on_ones_own_exchange(tmp_path: Path) -> None:
    """A vote counts only from the user the exchange belongs to."""

    async def scenario(storage: Storage) -> None:
        exchange = await _record(storage, "a")
        assert not await storage.set_feedback(exchange, "b", -1)
        assert await storage.set_feedback(exchange, "a", 1)
        assert (await storage.exchanges())[0]["feedback"] == 1

    _with_storage(tmp_path / "db.sqlite3", scenario)


def test_review_queue_and_verdicts(tmp_path: Path) -> None:
    """The newest unreviewed exchange comes first; a verdict (and note) takes it off the queue."""

    async def scenario(storage: Storage) -> None:
        older = await _record(storage)
        newer = await _record(storage, kind="fallback", entry_id=None)
        await _record(storage, kind="smalltalk", entry_id=None)  # nothing to review in smalltalk
        assert (await storage.next_unreviewed() or {})["id"] == newer
        assert await storage.set_verdict(newer, "new_entry", "add minimum wage")
        assert (await storage.next_unreviewed() or {})["id"] == older
        assert await storage.set_verdict(older, "correct")
        assert await storage.next_unreviewed() is None
        notes = {r["id"]: r["note"] for r in await storage.exchanges()}
        assert notes[newer] == "add minimum wage"

    _with_storage(tmp_path / "db.sqlite3", scenario)


def test_stream_returns_everything_in_order(tmp_path: Path) -> None:
    """stream() yields every row oldest first across batch boundaries, honouring the filter."""

    async def scenario(storage: Storage) -> None:
        for number in range(25):
            await _record(storage, question=f"q{number}", kind="answer" if number % 2 else "fallback")
        got = [r["question"] async for r in storage.stream(Filter(kinds=("fallback",)), batch=4)]
        assert got == [f"q{n}" for n in range(0, 25, 2)]

    _with_storage(tmp_path / "db.sqlite3", scenario)


def test_a_version_1_database_is_upgraded_without_loss(tmp_path: Path) -> None:
    """A database from before the conversation log opens, gains the log, and keeps its data."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(f"BEGIN; {MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
        db.execute("INSERT INTO preferences VALUES ('k', 'id', 1.0)")

    async def scenario(storage: Storage) -> None:
        assert await storage.version() == len(MIGRATIONS) >= 2
        assert await storage.language("k") == "id"
        await _record(storage)
        assert len(await storage.exchanges()) == 1

    _with_storage(path, scenario)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_tickets_keep_the_chat_id_only_while_open(tmp_path: Path) -> None:
    """One open ticket per user; closing erases the chat id; idle ones are found; /forget removes all."""

    async def scenario(storage: Storage) -> None:
        ticket, created = await storage.open_ticket("a", 123456789, "id")
        assert created and await storage.open_ticket("a", 123456789, "id") == (ticket, False)
        await storage.add_ticket_message(ticket, "in", "tolong", relay_message_id=77)
        assert (await storage.ticket_by_relay(77) or {})["id"] == ticket
        assert await storage.idle_tickets(before="2000-01-01T00:00:00.000Z") == []
        assert await storage.idle_tickets(before="2999-01-01T00:00:00.000Z") == [ticket]
        closed = await storage.close_ticket(ticket)
        assert closed is not None and closed["chat_id"] == 123456789  # returned once, to tell the worker
        assert (await storage.ticket(ticket) or {})["chat_id"] is None
        assert await storage.close_ticket(ticket) is None
        assert await storage.forget("a") == 1  # the one relayed message
        assert await storage.ticket(ticket) is None

    _with_storage(tmp_path / "db.sqlite3", scenario)


def test_closed_tickets_are_purged_with_the_log(tmp_path: Path) -> None:
    """Retention covers closed tickets and their messages; open ones stay."""

    async def scenario(storage: Storage) -> None:
        old, _ = await storage.open_ticket("a", 1, "en")
        await storage.add_ticket_message(old, "in", "x")
        await storage.close_ticket(old)
        current, _ = await storage.open_ticket("b", 2, "en")
        await storage.purge(before="2999-01-01T00:00:00.000Z")
        assert await storage.ticket(old) is None and await storage.ticket(current) is not None

    _with_storage(tmp_path / "db.sqlite3", scenario)


def test_open_tickets_are_known_after_a_restart_and_forgotten_when_closed(tmp_path: Path) -> None:
    """Who has an open ticket survives a restart (read at open) and ends with /end, /close or /forget."""

    async def first(storage: Storage) -> None:
        await storage.open_ticket("a", 1, "en")
        await storage.open_ticket("b", 2, "en")
        closed, _ = await storage.open_ticket("c", 3, "en")
        await storage.close_ticket(closed)

    async def after_restart(storage: Storage) -> None:
        assert (await storage.open_ticket_of("a") or {})["chat_id"] == 1
        assert await storage.open_ticket_of("c") is None
        await storage.forget("b")
        assert await storage.open_ticket_of("b") is None
        ticket, created = await storage.open_ticket("c", 4, "id")  # a new one for someone whose last one closed
        assert created and (await storage.open_ticket_of("c") or {})["id"] == ticket

    _with_storage(tmp_path / "db.sqlite3", first)
    _with_storage(tmp_path / "db.sqlite3", after_restart)


def test_concurrent_records_are_each_committed_before_they_return(tmp_path: Path) -> None:
    """Many exchanges logged at once share commits, yet each is on disk when its record() returns."""
    path = tmp_path / "db.sqlite3"
    seen_by_another_connection: list[bool] = []

    async def one(storage: Storage, number: int) -> None:
        exchange = await _record(storage, user=f"u{number}")
        with sqlite3.connect(path) as other:  # a separate reader sees committed rows only
            found = other.execute("SELECT COUNT(*) FROM exchanges WHERE id = ?", (exchange,)).fetchone()[0]
        seen_by_another_connection.append(found == 1)

    async def scenario(storage: Storage) -> None:
        await asyncio.gather(*(one(storage, n) for n in range(200)))
        assert len(await storage.exchanges()) == 200

    _with_storage(path, scenario)
    assert seen_by_another_connection == [True] * 200


def test_a_lone_surrogate_is_logged_not_lost(tmp_path: Path) -> None:
    """A message with half a surrogate pair is stored with "?" in its place."""

    async def scenario(storage: Storage) -> None:
        await _record(storage, question="halo \ud83d apa itu ILO")
        (row,) = await storage.exchanges()
        assert row["question"] == "halo ? apa itu ILO"

    _with_storage(tmp_path / "db.sqlite3", scenario)


def test_row_numbers_are_read_strictly() -> None:
    """Only ASCII digits within SQLite's range are a row number; "²" and 20 digits are not."""
    assert row_id("12") == 12 and row_id("#7") == 7
    assert row_id("²") is None and row_id("99999999999999999999") is None and row_id("-1") is None
    assert row_id("") is None and row_id("#") is None


def test_the_log_and_its_directory_are_private(tmp_path: Path) -> None:
    """The data directory is 0700; the database and its -wal and -shm files 0600."""

    async def scenario(storage: Storage) -> None:
        await _record(storage)
        for name in ("db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm"):
            assert stat.S_IMODE((tmp_path / "data" / name).stat().st_mode) == 0o600, name
        assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700

    _with_storage(tmp_path / "data" / "db.sqlite3", scenario)


def test_forgotten_text_is_not_left_in_the_files(tmp_path: Path) -> None:
    """After forget() the erased question is in neither the database file nor its write-ahead log."""
    path = tmp_path / "db.sqlite3"

    async def scenario(storage: Storage) -> None:
        await _record(storage, "gone", question="majikan simpan paspor ZQXJ-ERASE-ME")
        await _record(storage, "kept", question="what is the ILO")
        await storage.forget("gone")
        for name in ("db.sqlite3", "db.sqlite3-wal"):
            file = tmp_path / name
            assert not file.exists() or b"ZQXJ-ERASE-ME" not in file.read_bytes(), name

    _with_storage(path, scenario)
