"""Matching speed and memory at scale, against a naive rapidfuzz scan; quality on the dev set.

    python -m bench.matching                 # sizes 100, 1000, 10000, 50000 (a few minutes)
    python -m bench.matching --sizes 100 1000

Each size runs in its own process (so peak memory is that size's alone): it builds a synthetic
knowledge base in a temporary directory (bench/synthetic.py), loads it the way the bot does, and
times the core answer function (Responder.respond) and the naive baseline (rapidfuzz
process.extractOne with WRatio and utils.default_process over every phrasing) on the same questions.

Besides the generated questions, a realistic mix (``--runs`` times, a fresh process each; reported
min / median / max over the runs): every question of the sets in tests/data (in scope and out of
scope, as people wrote them); the same with a fresh typo in two words ("cold": the misspellings were
never seen, so each costs a spelling search); and questions made of words no one has written
("never seen": made-up words, two spelling searches each, as nothing is close).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process, utils

from bench import synthetic
from bench.calibrate import reference_ms
from bot.answer import Reply, Responder
from bot.bulk import paused_gc
from bot.config import BUNDLED_KNOWLEDGE
from bot.evaluation import evaluate, is_correct, load_set
from bot.knowledge import KnowledgeBase, load_knowledge

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
DEV = DATA / "dev.yaml"
#: The realistic mix's kinds of question, in the order the tables show them.
KINDS = ("generated", "real", "typos", "never seen")
TARGETS = (
    "p99 ≤ 5 ms at 10,000 entries and ≤ 15 ms at 50,000; ≥ 20× the naive scan at 10,000; "
    "load ≤ 2 s and peak RSS ≤ 300 MB at 10,000"
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


class Naive:
    """The baseline: one rapidfuzz scan over every phrasing; answer above a fixed score."""

    def __init__(self, responder: Responder, answer_at: float = 85.0) -> None:
        self.responder = responder
        self.owners: list[str] = []
        self.choices: list[str] = []
        for entry in responder.kb.entries.values():
            for text in [*entry.questions.en, *entry.questions.id]:
                self.owners.append(entry.id)
                self.choices.append(text)
        self.answer_at = answer_at

    def best(self, question: str) -> tuple[str, float] | None:
        found = process.extractOne(question, self.choices, scorer=fuzz.WRatio, processor=utils.default_process)
        return (self.owners[found[2]], found[1]) if found else None

    def respond(self, question: str) -> Reply:
        found = self.best(question)
        lang = self.responder.guesser.guess(question)
        if found and found[1] >= self.answer_at:
            return self.responder.entry_reply(found[0], lang, question)
        return Reply(question, "fallback", lang, "")


def real_questions() -> list[str]:
    """Every question of the sets in tests/data but the distress sets, as written."""
    found: dict[str, None] = {}
    for path in sorted(DATA.glob("*.yaml")):
        if not path.name.startswith("urgent-"):
            spec = load_set(path)
            found.update((str(case["q"]), None) for part in spec.values() for case in part)
    return list(found)


def with_typos(question: str, rng: random.Random) -> str:
    """The question with a letter changed in two of its longer words: misspellings never seen before."""
    words = question.split()
    long = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    for i in rng.sample(long, min(2, len(long))):
        word = words[i]
        j = rng.randrange(1, len(word) - 1)
        words[i] = word[:j] + rng.choice("bcdfghjklmnpqrstvwxyz") + word[j + 1 :]
    return " ".join(words)


def never_seen(rng: random.Random) -> str:
    """A question of made-up words (no known word is close: the spelling search finds nothing)."""
    made_up = ["".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in range(rng.randint(3, 5)))
               for _ in range(rng.randint(2, 4))]  # fmt: skip
    return " ".join([rng.choice(["what is the", "apa itu", "where is", "siapa"]), *made_up])


def measure(directory: Path, size: int, count: int, naive_count: int, seed: int = 0) -> dict[str, Any]:
    """Load the knowledge base the parent process generated, then time questions against it."""
    started = time.perf_counter()
    with paused_gc(settle=True):  # as the bot starts (bot/cli.py)
        kb = load_knowledge(directory)
        responder = Responder(kb)
        responder.prepare()  # the bot does this before its first answer, in a worker thread
    load = time.perf_counter() - started
    texts = [p for e in kb.entries.values() if e.id.startswith("synthetic-") for p in e.questions.en + e.questions.id]
    questions = synthetic.queries(texts or [p for e in kb.entries.values() for p in e.questions.en], count)
    for question in questions[:20]:
        responder.respond(question)  # warm the spelling cache the way a running bot is warm
    ours = []
    for question in questions:
        begin = time.perf_counter()
        responder.respond(question)
        ours.append((time.perf_counter() - begin) * 1000)
    naive = Naive(responder)
    theirs = []
    for question in questions[:naive_count]:
        begin = time.perf_counter()
        naive.best(question)
        theirs.append((time.perf_counter() - begin) * 1000)
    rng = random.Random(seed)
    real = real_questions()
    mix = {"generated": questions, "real": real, "typos": [with_typos(q, rng) for q in real],
           "never seen": [never_seen(rng) for _ in range(len(real))]}  # fmt: skip
    kinds = {}
    for kind, asked in mix.items():
        times = []
        for question in asked:
            begin = time.perf_counter()
            responder.respond(question)
            times.append((time.perf_counter() - begin) * 1000)
        naive_times = []
        for question in asked[: max(30, naive_count // 3)]:
            begin = time.perf_counter()
            naive.best(question)
            naive_times.append((time.perf_counter() - begin) * 1000)
        kinds[kind] = {"p50": percentile(times, 0.5), "p99": percentile(times, 0.99), "max": max(times),
                       "naive_p50": percentile(naive_times, 0.5)}  # fmt: skip
    return {
        "kinds": kinds,
        "entries": len(kb.entries),
        "phrasings": sum(len(e.questions.en) + len(e.questions.id) for e in kb.entries.values()),
        "load_s": load,
        "p50_ms": percentile(ours, 0.5),
        "p99_ms": percentile(ours, 0.99),
        "naive_p50_ms": percentile(theirs, 0.5),
        "naive_p99_ms": percentile(theirs, 0.99),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def quality(kb: KnowledgeBase) -> tuple[str, str]:
    """Dev-set quality of the bot and of the naive scan, on the real knowledge base."""
    responder = Responder(kb)
    spec = load_set(DEV)
    ours = evaluate(responder, spec)
    naive = Naive(responder)
    correct = sum(is_correct(naive.respond(c["q"]), c) for c in spec["in_scope"])
    false = sum(naive.respond(c["q"]).kind == "answer" for c in spec["out_of_scope"])
    return (
        f"{ours.correct}/{ours.in_scope} in-scope correct, "
        f"{ours.false_answers}/{ours.out_of_scope} out-of-scope answered",
        f"{correct}/{len(spec['in_scope'])} in-scope correct, "
        f"{false}/{len(spec['out_of_scope'])} out-of-scope answered",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10_000, 50_000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1, help="runs of each size, a fresh process each")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    parser.add_argument("--directory", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        naive_count = args.queries if args.one <= 1000 else max(50, args.queries // 10)
        print(json.dumps(measure(args.directory, args.one, args.queries, naive_count, args.runs)))
        return 0
    rows = []
    runs: dict[int, list[dict[str, Any]]] = {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp) / "knowledge"
            synthetic.build(directory, size)  # here, so the measuring process holds only the bot
            for run in range(args.runs):
                command = [sys.executable, "-m", "bench.matching", "--one", str(size), "--queries", str(args.queries),
                           "--directory", str(directory), "--runs", str(run)]  # fmt: skip
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                runs.setdefault(size, []).append(json.loads(done.stdout))
        rows.append(runs[size][0])
    print(
        "| generated entries | entries | phrasings | load (s) | p50 (ms) | p99 (ms) | naive p50 (ms) "
        "| naive p99 (ms) | speed-up (p50) | peak RSS (MB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, row in zip(args.sizes, rows, strict=True):
        print(f"| {size:,} | {row['entries']:,} | {row['phrasings']:,} | {row['load_s']:.2f} | {row['p50_ms']:.2f} | "
              f"{row['p99_ms']:.2f} | {row['naive_p50_ms']:.2f} | {row['naive_p99_ms']:.2f} | "
              f"{row['naive_p50_ms'] / row['p50_ms']:.0f}× | {row['peak_rss_mb']:.0f} |")  # fmt: skip
    print(f"\nRealistic mix, {args.runs} run(s) per size (min / median / max over the runs; naive: the same")
    print("scan as above, on the first third of its questions):\n")
    print("| generated entries | questions | p50 (ms) | p99 (ms) | max (ms) | naive p50 (ms) | speed-up (p50) |")
    print("|---:|---|---|---|---|---|---|")
    for size in args.sizes:
        for kind in KINDS:
            got = [r["kinds"][kind] for r in runs[size]]

            def spread(key: str, got: list[dict[str, float]] = got) -> str:
                values = sorted(g[key] for g in got)
                return " / ".join(f"{v:.2f}" for v in (values[0], statistics.median(values), values[-1]))

            ratios = sorted(g["naive_p50"] / g["p50"] for g in got)
            speed_up = f"{ratios[0]:.0f}× / {statistics.median(ratios):.0f}× / {ratios[-1]:.0f}×"
            print(f"| {size:,} | {kind} | {spread('p50')} | {spread('p99')} | {spread('max')} | "
                  f"{spread('naive_p50')} | {speed_up} |")  # fmt: skip
    ours, naive = quality(load_knowledge(BUNDLED_KNOWLEDGE))
    print(f"\nDev set (real knowledge base): bot {ours}; naive scan {naive}.")
    print(f"Targets: {TARGETS}.")
    print(f"Machine reference (bench/calibrate.py): {reference_ms():.0f} ms; lower is faster.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
