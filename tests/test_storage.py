"""The SQLite storage (bot.storage), pseudonymous keys (bot.privacy) and generated secrets."""

import asyncio
import sqlite3
import stat
from pathlib import Path

from bot.privacy import user_key
from bot.secrets_file import load_or_create
from bot.storage import MIGRATIONS, Storage


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
