"""Synthetic knowledge bases for benchmarks: the real files plus N generated entries.

Generated entries use made-up words (so they never collide with the real vocabulary), a Zipf-like
word frequency like real text, four English-looking and four Indonesian-looking phrasings each, and
cite a real source so the set validates like a real one.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import yaml

from bot.config import BUNDLED_KNOWLEDGE

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "da", "pe", "gu", "ba", "ri", "zo", "fe", "hu"]
_EN = ["what", "is", "the", "how", "does", "who", "when", "where", "about", "of", "for"]
_ID = ["apa", "itu", "yang", "bagaimana", "siapa", "kapan", "di", "mana", "tentang", "untuk", "dari"]


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) + rng.choice("nkmrsx"))
    return sorted(words)


def build(directory: Path, entries: int, phrasings: int = 8, seed: int = 7) -> list[str]:
    """Write the real knowledge base plus ``entries`` generated ones into ``directory``; return all phrasings."""
    rng = random.Random(seed)
    shutil.copytree(BUNDLED_KNOWLEDGE, directory)
    words = vocabulary(max(2000, entries * 2), rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf-like
    generated = []
    texts: list[str] = []
    for number in range(entries):
        topic_words = rng.choices(words, weights=weights, k=6)
        own = [rng.choice(words) for _ in range(2)]  # words this entry is really about
        per_lang = phrasings // 2
        en = [" ".join([*rng.sample(_EN, 2), *own, *rng.sample(topic_words, 3)]) for _ in range(per_lang)]
        ind = [" ".join([*rng.sample(_ID, 2), *own, *rng.sample(topic_words, 3)]) for _ in range(per_lang)]
        texts.extend(en + ind)
        generated.append({
            "id": f"synthetic-{number}",
            "topic": "glossary",
            "questions": {"en": en, "id": ind},
            "answer": {"en": f"Synthetic answer {number} (June 2015).",
                       "id": f"Jawaban sintetis {number} (Juni 2015)."},
            "sources": ["jakarta-post-2015"],
        })  # fmt: skip
    with (directory / "zz-synthetic.yaml").open("w", encoding="utf-8") as fh:
        yaml.safe_dump({"entries": generated}, fh, allow_unicode=True, sort_keys=False, width=1000)
    return texts


def queries(texts: list[str], count: int, seed: int = 11) -> list[str]:
    """Questions as people type them: a phrasing with a word dropped, words swapped, a typo, a filler."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = rng.choice(texts).split()
        if len(words) > 3 and rng.random() < 0.5:
            words.pop(rng.randrange(len(words)))
        if rng.random() < 0.3:
            i = rng.randrange(len(words))
            word = words[i]
            if len(word) > 4:
                j = rng.randrange(1, len(word) - 1)
                words[i] = word[:j] + word[j + 1 :]  # a dropped letter
        if rng.random() < 0.3:
            rng.shuffle(words)
        if rng.random() < 0.2:
            words.append(rng.choice(["please", "tolong", "ya", "thanks?"]))
        out.append(" ".join(words))
    return out
