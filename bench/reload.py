"""Does a live reload stall serving? The real bot, a steady stream of questions, and a knowledge edit.

    python -m bench.reload                     # 10,000 generated entries, 3 runs
    python -m bench.reload --entries 50000 --runs 1

The real bot process (knowledge polled every second) answers the dev set's questions from 200
users at a steady ``--rate``; after a few seconds one entry is added to the knowledge directory,
the bot notices it and rebuilds. Reported, min/median/max over the runs: p99 of the time from an
update being queued at the fake server to its reply arriving there, for the questions queued
before the edit ("steady") and for those queued from the edit until a second after the bot logged
the new version ("around the reload"); how long the reload took; the bot's resident memory before
the edit and its peak from then on. Targets at 10,000 entries: p99 around a reload ≤ 100 ms,
memory ≤ 300 MB steady and ≤ 350 MB during the reload.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

import yaml

from bench import synthetic
from bench.calibrate import reference_ms
from bench.endtoend import dev_questions
from bench.matching import percentile
from bot.bulk import paused_gc
from tests.fakebotapi import FakeBotAPI
from tests.test_telegram import Bot, _environment

ADDED = {
    "id": "added-during-the-run",
    "topic": "glossary",
    "questions": {"en": ["what is the added entry"], "id": ["apa itu entri tambahan"]},
    "answer": {"en": "An entry added while the bot ran (June 2015).", "id": "Entri yang ditambahkan (Juni 2015)."},
    "sources": ["jakarta-post-2015"],
}


def rss_mb(pid: int) -> float:
    """The process's resident memory now, in MB (0 where /proc is not available)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemoryWatch:
    """Samples a process's resident memory every 20 ms in a thread; ``peak_since(t)`` is the most
    seen from monotonic time ``t`` on."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.samples.append((time.monotonic(), rss_mb(self.pid)))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def peak_since(self, start: float) -> float:
        return max((mb for at, mb in self.samples if at >= start), default=0.0)


def run(entries: int, rate: float, before: float, after: float, users: int = 200) -> dict[str, float]:
    """One run with a fresh bot and fake server; times in ms, memory in MB."""
    questions = dev_questions()
    rng = random.Random(3)
    fake = FakeBotAPI()
    fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        knowledge = data / "knowledge"
        synthetic.build(knowledge, entries)
        env = _environment(f"http://127.0.0.1:{fake.port}/bot", data, MIGRANT_BOT_SEND_RATE="0",
                           MIGRANT_BOT_FLOOD_LIMIT="100000", MIGRANT_BOT_RELOAD_INTERVAL="1",
                           MIGRANT_BOT_KNOWLEDGE_DIR=str(knowledge))  # fmt: skip
        bot = Bot(env, data / "bot.log")
        memory = None
        try:
            fake.wait_for(lambda: len(fake.sent(method="setMyCommands")) >= 2, timeout=120)
            for user in range(10):  # warm up
                fake.send_text(900_000 + user, "what is the ILO")
            fake.wait_for(lambda: len(fake.sent()) >= 10, timeout=60)
            time.sleep(2)  # start-up's last work (the collector settling) is not the reload's
            memory = MemoryWatch(bot.process.pid)
            with paused_gc():
                people = [100_000 + n for n in range(users)]
                queued: dict[int, deque[float]] = defaultdict(deque)
                started = time.monotonic()
                edited = reloaded = 0.0
                steady_mb = 0.0
                number = 0
                while True:
                    now = time.monotonic()
                    if not edited and now - started >= before:
                        steady_mb = rss_mb(bot.process.pid)
                        edited = now
                        (knowledge / "zz-added.yaml").write_text(
                            yaml.safe_dump({"entries": [ADDED]}, allow_unicode=True), encoding="utf-8"
                        )
                    if edited and not reloaded and "knowledge reloaded" in bot.log:
                        reloaded = time.monotonic()
                    if reloaded and now - reloaded >= after:
                        break
                    if now - started > before + 300:
                        raise SystemExit("the bot did not reload within 300 s")
                    user = people[number % len(people)]
                    update = fake.send_text(user, rng.choice(questions))
                    queued[user].append(fake.pushed[update["update_id"]])
                    number += 1
                    delay = started + number / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                fake.wait_for(lambda: len(fake.sent()) >= number + 10, timeout=600)
                steady: list[float] = []
                around: list[float] = []
                for user in people:
                    for call in fake.sent(user):
                        at = queued[user].popleft()
                        (steady if at < edited else around if at <= reloaded + after else []).append(
                            (call.at - at) * 1000
                        )
            peak_mb = memory.peak_since(edited)
        finally:
            if memory is not None:
                memory.stop()
            bot.stop()
            fake.stop()
    return {"steady_p99": percentile(steady, 0.99), "around_p99": percentile(around, 0.99),
            "around_max": max(around), "reload_s": reloaded - edited, "steady_mb": steady_mb,
            "peak_mb": peak_mb, "answered": len(steady) + len(around)}  # fmt: skip


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0, help="questions queued per second")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=float, default=5.0, help="seconds of steady load before the edit")
    parser.add_argument("--after", type=float, default=1.0, help="seconds counted after the new version")
    args = parser.parse_args()
    rows = [run(args.entries, args.rate, args.before, args.after) for _ in range(args.runs)]
    for row in rows:
        print({k: round(v, 1) for k, v in row.items()}, flush=True)
    print(f"\n{args.entries:,} generated entries, {args.rate:.0f} questions/s, {args.runs} runs, min / median / max:\n")
    print("| steady p99 (ms) | p99 around the reload (ms) | max around (ms) | reload (s) | RSS steady (MB) "
          "| RSS peak from the edit (MB) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    print(f"| {spread([r['steady_p99'] for r in rows])} | {spread([r['around_p99'] for r in rows])} | "
          f"{spread([r['around_max'] for r in rows])} | {spread([r['reload_s'] for r in rows], '{:.2f}')} | "
          f"{spread([r['steady_mb'] for r in rows], '{:.0f}')} | "
          f"{spread([r['peak_mb'] for r in rows], '{:.0f}')} |")  # fmt: skip
    print("Targets at 10,000 entries: p99 around a reload ≤ 100 ms; RSS ≤ 300 MB steady, ≤ 350 MB during a reload.")
    print(f"Machine reference (bench/calibrate.py): {reference_ms():.0f} ms; lower is faster.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
