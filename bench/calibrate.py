"""A fixed piece of pure-Python work, timed, so a benchmark run says how fast the machine was.

This machine's speed drifts: within an hour the same code answered questions 25% slower, and the
end-to-end rate moved from 700 to 490 updates/s. Printing this reference beside the tables tells a
slow run from a slow change. Best of five, in milliseconds; lower is faster.
"""

from __future__ import annotations

import time


def _work() -> int:
    total = 0
    table: dict[int, int] = {}
    for number in range(300_000):
        table[number % 1000] = table.get(number % 1000, 0) + number
        total += len(str(number))
    return total + len(table)


def reference_ms() -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        _work()
        best = min(best, time.perf_counter() - started)
    return best * 1000
