"""Answer-quality measurement on a question set (the format of tests/data/dev.yaml), and urgency
measurement on a set of distress messages (the format of tests/data/urgent-a.yaml).

The same rules as the project's external scorer: an in-scope question counts as correct when the
reply is an answer, holds one phrase of every ``expect`` group, and cites the named article; an
out-of-scope question must not get an answer. "Within one tap": correct, or the right answer is
one of the "Did you mean…?" suggestions. Urgent sets: ``urgent`` messages must get an urgent reply
(recall), ``not_urgent`` ones must not (false alarms). Used by ``migrant-bot eval`` and the quality
tests, so both measure the same thing.
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
    within_one_tap: int = 0
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
            f"within one tap {self.within_one_tap}/{self.in_scope}, "
            f"wrong answers {self.wrong} · out-of-scope answered {self.false_answers}/{self.out_of_scope}"
        )


def load_set(path: Path) -> dict[str, list[dict[str, Any]]]:
    """A question set, or an urgent set (``urgent`` and ``not_urgent`` lists)."""
    with path.open(encoding="utf-8") as fh:
        spec = yaml.safe_load(fh) or {}
    if not isinstance(spec, dict):
        raise ValueError("a set is a mapping: in_scope/out_of_scope, or urgent/not_urgent")
    urgent = "urgent" in spec or "not_urgent" in spec
    keys, text = (("urgent", "not_urgent"), "m") if urgent else (("in_scope", "out_of_scope"), "q")
    parts = {key: spec.get(key) or [] for key in keys}
    for key, cases in parts.items():
        for i, case in enumerate(cases):
            if not isinstance(case, dict) or not isinstance(case.get(text), str):
                raise ValueError(f"{key}[{i}]: each case is a mapping with the message as '{text}'")
            if key == "in_scope" and not (isinstance(case.get("expect"), list) and case.get("source")):
                raise ValueError(f"{key}[{i}]: an in-scope case needs 'expect' (a list of groups) and 'source'")
    return parts


def _one_tap(responder: Responder, reply: Reply, case: dict[str, Any]) -> bool:
    """The right answer is among the suggestions offered (one tap away)."""
    return any(
        is_correct(responder.entry_reply(s.entry_id, reply.language, case["q"]), case) for s in reply.suggestions
    )


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
        report.within_one_tap += ok or (reply.kind == "suggestions" and _one_tap(responder, reply, case))
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


@dataclass
class UrgentReport:
    """Recall on urgent messages and false alarms on the others, per language (``[found, total]``)."""

    recall: dict[str, list[int]] = field(default_factory=dict)
    alarms: dict[str, list[int]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def _share(counts: dict[str, list[int]]) -> tuple[int, int]:
        return sum(c for c, _ in counts.values()), sum(n for _, n in counts.values())

    @property
    def share_found(self) -> float:
        found, total = self._share(self.recall)
        return found / total if total else 1.0

    @property
    def share_false(self) -> float:
        false, total = self._share(self.alarms)
        return false / total if total else 0.0

    def summary(self) -> str:
        def part(counts: dict[str, list[int]]) -> str:
            done, total = self._share(counts)
            langs = ", ".join(f"{lang} {c}/{n}" for lang, (c, n) in sorted(counts.items()))
            return f"{done}/{total} ({done / total if total else 0:.1%}; {langs})"

        return f"urgent recall {part(self.recall)} · false alarms {part(self.alarms)}"


def evaluate_urgent(responder: Responder, spec: dict[str, list[dict[str, Any]]]) -> UrgentReport:
    report = UrgentReport()
    for part, counts in (("urgent", report.recall), ("not_urgent", report.alarms)):
        for case in spec[part]:
            reply = responder.respond(case["m"])
            flagged = reply.kind == "urgent"
            tally = counts.setdefault(case.get("lang", "?"), [0, 0])
            tally[0] += flagged
            tally[1] += 1
            if part == "urgent" and not flagged:
                why = responder.urgency.detect(case["m"]).vetoed_by or "no situation"
                report.misses.append(f"MISSED [{case.get('situation', '?')}; {reply.kind}; {why}] {case['m']!r}")
            elif part == "not_urgent" and flagged:
                found = ", ".join(reply.situations)
                report.misses.append(f"FALSE ALARM [{case.get('kind', '?')}; {found}] {case['m']!r}")
    return report
