"""Pseudonymous user keys: workers fear being monitored, so no raw Telegram id is ever stored.

The key is HMAC-SHA256 of the id under a secret only this deployment holds: the same person gets the
same key (so a language choice or, later, /forget works), but nobody with the database alone can
turn a key back into an id or check a guessed id against it.
"""

from __future__ import annotations

import hashlib
import hmac


def user_key(secret: str, user_id: int) -> str:
    return hmac.new(secret.encode("utf-8"), str(user_id).encode("ascii"), hashlib.sha256).hexdigest()
