"""Does matching stay precise as the knowledge base grows? The project's question sets, with and
without thousands of unrelated entries beside the real ones.

    python -m bench.precision                     # 50,000 generated entries
    python -m bench.precision --entries 1000 10000 50000

The generated entries (bench/synthetic.py) use made-up words, so none of them is a right answer to
any question of tests/data: every question that changes its reply because of them is a question
the size of the knowledge base changed. Reported per size: in-scope questions answered correctly,
wrong answers and out-of-scope questions answered, over every question set in tests/data (the
distress sets aside), and which questions changed. Target: with 50,000 unrelated entries, at most
one in-scope answer lost and no out-of-scope question answered. The words alone are measured (the
semantic signal is left out: its vectors for 50,000 entries would take hours to build).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench import synthetic
from bench.endtoend import DATA
from bot.answer import Responder
from bot.bulk import paused_gc
from bot.config import BUNDLED_KNOWLEDGE
from bot.evaluation import is_correct, load_set
from bot.knowledge import load_knowledge


def outcomes(directory: Path) -> dict[str, str]:
    """Each question's outcome: in scope "right", "wrong" (another entry's answer) or "unsure"
    (suggestions or less); out of scope "answered" or "kept out"."""
    with paused_gc(settle=True):
        responder = Responder(load_knowledge(directory))
        responder.prepare()
    each: dict[str, str] = {}
    for path in sorted(DATA.glob("*.yaml")):
        if path.name.startswith("urgent-"):
            continue
        spec = load_set(path)
        for case in spec["in_scope"]:
            reply = responder.respond(case["q"])
            right = is_correct(reply, case)
            each[f"{path.stem}: {case['q']!r}"] = "right" if right else "wrong" if reply.kind == "answer" else "unsure"
        for case in spec["out_of_scope"]:
            answered = responder.respond(case["q"]).kind == "answer"
            each[f"{path.stem}: {case['q']!r} (out of scope)"] = "answered" if answered else "kept out"
    return each


def row(size: int, each: dict[str, str], changed: str) -> str:
    count = list(each.values()).count
    in_scope = sum(v in ("right", "wrong", "unsure") for v in each.values())
    out_of_scope = len(each) - in_scope
    return (f"| {size:,} | {count('right')}/{in_scope} | {count('wrong')} | {count('answered')}/{out_of_scope} | "
            f"{changed} |")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[50_000])
    args = parser.parse_args()
    base = outcomes(BUNDLED_KNOWLEDGE)
    print("| generated entries | in scope correct | wrong answers | out of scope answered | questions changed |")
    print("|---:|---:|---:|---:|---:|")
    print(row(0, base, "—"))
    changes = []
    for size in args.entries:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp) / "knowledge"
            synthetic.build(directory, size)
            each = outcomes(directory)
        changed = [key for key in each if each[key] != base[key]]
        changes.append((size, changed, each))
        print(row(size, each, str(len(changed))), flush=True)
    for size, changed, each in changes:
        for key in changed:
            print(f"{size:,}: {key}: {base[key]} -> {each[key]}")
    print("Target: with 50,000 generated entries, at most 1 in-scope answer lost and no out-of-scope answer.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
