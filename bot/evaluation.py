"""Answer-quality measurement on a question set (the format of tests/data/dev.yaml).

The same rules as the project's external scorer: an in-scope question counts as correct when the
reply is an answer, holds one phrase of every ``expect`` group, and cites the named article; an
out-of-scope question must not get an answer. Used by ``migrant-bot eval``, the quality test and
threshold calibration, so all three measure the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.answer import Reply, Responder

#: Which article each short source name in a question set means (matched on title/publisher/url).
ARTICLE_PATTERNS = {
    "jp": re.compile(r"jakarta\s*post", re.I),
    "lic": re.compile(r"labou?r\s+inspection|s\s*media|thesmedia|media\s+milenial", re.I),
    # the background facts (knowledge/sources.yaml), for sets of this project's own
    "consensus": re.compile(r"ASEAN\s+Consensus", re.I),
    "cebu": re.compile(r"ASEAN\s+Declaration", re.I),
}


def cites(reply: Reply, article: str) -> bool:
    pattern = ARTICLE_PATTERNS[article]
    return any(pattern.search(" ".join(filter(None, (s.title, s.publisher, s.url)))) for s in reply.sources)


def holds(reply: Reply, groups: list[list[Any]]) -> bool:
    text = reply.text.casefold()
    return all(any(str(word).casefold() in text for word in group) for group in groups)


def is_correct(reply: Reply, case: dict[str, Any]) -> bool:
    return reply.kind == "answer" and holds(reply, case["expect"]) and cites(reply, case["source"])


@dataclass
class Report:
    """Counts per set; ``wrong`` are in-scope questions answered with the wrong entry."""

    correct: int = 0
    in_scope: int = 0
    wrong: int = 0
    false_answers: int = 0
    out_of_scope: int = 0
    per_language: dict[str, list[int]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)

    @property
    def share_correct(self) -> float:
        return self.correct / self.in_scope if self.in_scope else 1.0

    def summary(self) -> str:
        langs = ", ".join(f"{lang} {c}/{n}" for lang, (c, n) in sorted(self.per_language.items()))
        return (
            f"in-scope correct {self.correct}/{self.in_scope} ({self.share_correct:.1%}; {langs}), "
            f"wrong answers {self.wrong} · out-of-scope answered {self.false_answers}/{self.out_of_scope}"
        )


def load_set(path: Path) -> dict[str, list[dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        spec = yaml.safe_load(fh) or {}
    return {"in_scope": spec.get("in_scope") or [], "out_of_scope": spec.get("out_of_scope") or []}


def evaluate(responder: Responder, spec: dict[str, list[dict[str, Any]]]) -> Report:
    report = Report()
    for case in spec["in_scope"]:
        reply = responder.respond(case["q"])
        ok = is_correct(reply, case)
        counts = report.per_language.setdefault(case.get("lang", "?"), [0, 0])
        counts[0] += ok
        counts[1] += 1
        report.in_scope += 1
        report.correct += ok
        if not ok:
            report.wrong += reply.kind == "answer"
            report.misses.append(f"MISS [{reply.kind}] {case['q']!r} -> {reply.entry_id or reply.text[:80]!r}")
    for case in spec["out_of_scope"]:
        reply = responder.respond(case["q"])
        report.out_of_scope += 1
        if reply.kind == "answer":
            report.false_answers += 1
            report.misses.append(f"FALSE ANSWER {case['q']!r} -> {reply.entry_id}")
    return report
