"""Secrets the bot generates for itself (the user-key secret, the webhook secret token).

Generated once with the ``secrets`` module and written with mode 0600, so only the bot's own
account can read them; a configured value always wins over the file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: Where the user-key secret is generated, next to the database, when none is configured.
USER_SECRET_FILE = "user-key.secret"


def load_or_create(path: Path, configured: str | None = None) -> str:
    """The configured secret, else the one in ``path``, else a new one written there (mode 0600)."""
    if configured:
        return configured
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value
