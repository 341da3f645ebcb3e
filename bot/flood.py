"""Per-user flood limit: a sliding window of message times, one notice, then silence.

Pure logic with an injected clock, so it is tested without sleeping.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

Verdict = Literal["allow", "notify", "drop"]


class FloodGate:
    """At most ``limit`` messages per ``window`` seconds per key; the first one over gets a notice."""

    #: Every this many checks, keys whose window has passed are forgotten.
    PRUNE_EVERY = 1000

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._times: dict[str, deque[float]] = {}
        self._notified: set[str] = set()
        self._checks = 0

    def check(self, key: str, now: float) -> Verdict:
        self._checks += 1
        if self._checks % self.PRUNE_EVERY == 0:
            self.prune(now)
        times = self._times.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._notified.discard(key)
            return "allow"
        if key in self._notified:
            return "drop"
        self._notified.add(key)
        return "notify"

    def prune(self, now: float) -> None:
        """Forget keys whose window has passed (called now and then, so memory stays bounded)."""
        for key in [k for k, t in self._times.items() if not t or now - t[-1] >= self.window]:
            del self._times[key]
            self._notified.discard(key)
