"""Does anyone's load hold up another user's answer? The loads that once stalled the bot, replayed.

    python -m bench.stall              # each load 3 times, a fresh bot each time
    python -m bench.stall --runs 5

The real bot process runs against the fake Bot API from the tests with its production limits
(send rate, the moderators' chat's 20 messages a minute, the flood limit). Each load is queued,
then one more user asks an FAQ question; reported is the time from that question being queued at
the fake server to its answer arriving there, min/median/max over the runs. Target: under 1 s.

- ``tickets``: three workers in /human tickets send 20 messages each (within the flood limit), all
  relayed to the moderators' chat (once 32.5 s).
- ``open``: 60 workers open /human at once, 60 notices for the moderators' chat (once 26.5 s).
- ``flood``: one user sends 200 messages while every Bot API call takes 0.15 s (once 3.2 s).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.fakebotapi import FakeBotAPI
from tests.test_handoff import start_bot

BYSTANDER = 424242
QUESTION = "what is the ILO"


def _open_tickets(fake: FakeBotAPI, workers: list[int]) -> None:
    for worker in workers:
        fake.send_text(worker, "/human")
    fake.wait_for(lambda: all(fake.sent(worker) for worker in workers), timeout=60)


def tickets(fake: FakeBotAPI) -> None:
    workers = [7001, 7002, 7003]
    _open_tickets(fake, workers)
    for number in range(20):
        for worker in workers:
            fake.send_text(worker, f"message {number} from a worker waiting for the team")


def opening(fake: FakeBotAPI) -> None:
    for worker in range(8001, 8061):
        fake.send_text(worker, "/human")


def flood(fake: FakeBotAPI) -> None:
    fake.latency = 0.15
    for number in range(200):
        fake.send_text(9001, f"question number {number} about the ILO")


LOADS: dict[str, Callable[[FakeBotAPI], None]] = {"tickets": tickets, "open": opening, "flood": flood}


def bystander_wait(load: Callable[[FakeBotAPI], None], send_rate: str | None = None) -> float:
    """Seconds from the bystander's question being queued to its answer, behind ``load``; the bot
    sends at most ``send_rate`` messages a second (its configured default when None)."""
    fake = FakeBotAPI()
    fake.start()
    with tempfile.TemporaryDirectory() as folder:
        bot = start_bot(fake, Path(folder), "bot", **({"MIGRANT_BOT_SEND_RATE": send_rate} if send_rate else {}))
        try:
            load(fake)
            update = fake.send_text(BYSTANDER, QUESTION)
            answer = fake.wait_sent(BYSTANDER, timeout=120)[0]
            return answer.at - fake.pushed[update["update_id"]]
        finally:
            bot.stop()
            fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--loads", nargs="+", choices=list(LOADS), default=list(LOADS))
    parser.add_argument("--send-rate", help="messages a second the bot may send (0: no cap), as MIGRANT_BOT_SEND_RATE")
    args = parser.parse_args()
    cap = f"send rate {args.send_rate}" if args.send_rate else "the default send rate"
    print(f"another user's FAQ answer behind each load, seconds over {args.runs} runs, {cap} (target < 1 s)")
    print(f"{'load':<10}{'min':>8}{'median':>8}{'max':>8}")
    for name in args.loads:
        waits = [bystander_wait(LOADS[name], args.send_rate) for _ in range(args.runs)]
        print(f"{name:<10}{min(waits):>8.3f}{statistics.median(waits):>8.3f}{max(waits):>8.3f}", flush=True)


if __name__ == "__main__":
    main()
