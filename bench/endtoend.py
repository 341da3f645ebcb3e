"""End to end: the real bot process against the fake Bot API from the tests, many users at once.

    python -m bench.endtoend                  # 200 users, 5,000 messages: all at once, then at 500/s
    python -m bench.endtoend --rates 0 500 600

The send cap is lifted (MIGRANT_BOT_SEND_RATE=0) and the flood limit raised so no message is
dropped; logging is on. Reported: updates per second (messages answered / time from the first
message queued to the last reply), and time from an update being queued at the fake server to its
reply arriving there (p50/p99), which includes the long poll, the bot's work and the log commit.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict, deque
from pathlib import Path

from bench.calibrate import reference_ms
from bench.matching import percentile
from bot.bulk import paused_gc
from bot.evaluation import load_set
from tests.fakebotapi import FakeBotAPI
from tests.test_telegram import Bot, _environment

DEV = Path(__file__).resolve().parent.parent / "tests" / "data" / "dev.yaml"


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; NaN where /proc is not available."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(users: int, messages: int, rate: float) -> dict[str, float]:
    """One run with a fresh bot, fake server and database: ``messages`` from ``users`` users, queued
    at ``rate`` a second (0: all at once)."""
    spec = load_set(DEV)
    questions = [c["q"] for c in spec["in_scope"] + spec["out_of_scope"]]
    rng = random.Random(3)
    fake = FakeBotAPI()
    fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        env = _environment(f"http://127.0.0.1:{fake.port}/bot", data, MIGRANT_BOT_SEND_RATE="0",
                           MIGRANT_BOT_FLOOD_LIMIT="100000")  # fmt: skip
        bot = Bot(env, data / "bot.log")
        try:
            fake.wait_for(lambda: len(fake.sent(method="setMyCommands")) >= 2, timeout=60)
            for user in range(10):  # warm up
                fake.send_text(900_000 + user, "what is the ILO")
            fake.wait_for(lambda: len(fake.sent()) >= 10, timeout=60)

            # the fake server shares this process: its growing call log must not stall it in the
            # collector's full passes, or the bot is blamed for the server's pauses
            with paused_gc():
                people = [100_000 + n for n in range(users)]
                queued: dict[int, deque[float]] = defaultdict(deque)
                started = time.monotonic()
                cpu_before = cpu_seconds(bot.process.pid)
                for number in range(messages):
                    user = people[number % len(people)]
                    update = fake.send_text(user, rng.choice(questions))
                    queued[user].append(fake.pushed[update["update_id"]])
                    if rate:
                        delay = started + (number + 1) / rate - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                # one pass over the calls per check: counting per user here took the server's lock for
                # long enough to slow the server down, and so the bot's measured rate with it
                fake.wait_for(lambda: len(fake.sent()) >= messages + 10, timeout=600)
                cpu_ms = (cpu_seconds(bot.process.pid) - cpu_before) * 1000 / messages
                latencies = []
                last = 0.0
                for user in people:
                    for call in fake.sent(user):
                        latencies.append((call.at - queued[user].popleft()) * 1000)
                        last = max(last, call.at)
                elapsed = last - started
        finally:
            bot.stop()
            fake.stop()
        with sqlite3.connect(data / "bot.sqlite3") as db:
            logged = db.execute("SELECT COUNT(*) FROM exchanges WHERE chat_type = 'private'").fetchone()[0]
    return {"rate": messages / elapsed, "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
            "cpu_ms": cpu_ms, "logged": logged - 10}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rates", type=float, nargs="+", default=[0.0, 500.0],
                        help="messages queued per second, one run each (0: all at once)")  # fmt: skip
    args = parser.parse_args()
    print("| users | messages | queued at | updates/s | p50 (ms) | p99 (ms) | bot CPU per update (ms) | logged |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for rate in args.rates:
        row = run(args.users, args.messages, rate)
        pace = f"{rate:.0f}/s" if rate else "all at once"
        print(f"| {args.users} | {args.messages:,} | {pace} | {row['rate']:.0f} | {row['p50']:.1f} | "
              f"{row['p99']:.1f} | {row['cpu_ms']:.2f} | {row['logged']:,} |", flush=True)  # fmt: skip
    print("Targets: ≥ 500 updates/s, p99 ≤ 50 ms, every message logged.")
    print(f"Machine reference (bench/calibrate.py): {reference_ms():.0f} ms; lower is faster.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
