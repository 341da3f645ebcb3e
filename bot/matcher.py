"""Finding the entry a question asks about, and knowing when there is none.

Two signals, both on normalised tokens (see :mod:`bot.normalize`):

* **coverage** — how much of the question (weighted by how rare each word is in the knowledge
  base, IDF) the entry's phrasings account for, and how much of the entry's best phrasing the
  question accounts for. A question with topic words the knowledge base has never seen
  ("overtime", "Taiwan") cannot reach a high coverage, which is what keeps out-of-scope
  questions from getting confident answers;
* **similarity** — rapidfuzz's ``token_sort_ratio`` between the question and each phrasing.

Misspelt words are corrected by the normaliser (rapidfuzz, against every known word). Three outcomes
come from a threshold ladder: one entry clearly best → answer; a few plausible → suggestions;
else fallback.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.knowledge import KnowledgeBase
from bot.normalize import Normalizer

Outcome = Literal["answer", "suggestions", "fallback"]


@dataclass(frozen=True)
class Thresholds:
    """Calibrated on tests/data/dev.yaml and tests/data/holdout.yaml; see docs/matching.md."""

    answer: float = 58.0
    margin: float = 3.0
    suggest: float = 40.0
    suggest_window: float = 20.0
    max_unknown: float = 0.6
    max_suggestions: int = 3


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float
    phrasing: str


@dataclass(frozen=True)
class MatchResult:
    outcome: Outcome
    candidates: tuple[Candidate, ...]
    unknown_share: float

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class _Phrasing:
    entry_id: str
    text: str
    full: str  # every token, stopwords included: "what … about" and "where …" differ here
    tokens: frozenset[str]  # content tokens only


class Matcher:
    """An index over every phrasing of every entry, built once per knowledge-base version."""

    def __init__(
        self,
        kb: KnowledgeBase,
        normalizer: Normalizer,
        thresholds: Thresholds | None = None,
        ignorable: frozenset[str] = frozenset(),
    ) -> None:
        self.normalizer = normalizer
        self.thresholds = thresholds or Thresholds()
        self._phrasings: dict[str, list[_Phrasing]] = defaultdict(list)
        self._entry_tokens: dict[str, set[str]] = defaultdict(set)
        postings: dict[str, set[str]] = defaultdict(set)
        for entry in kb.entries.values():
            for text in [*entry.questions.en, *entry.questions.id]:
                every = normalizer.tokens(text)
                tokens = normalizer.content(every)
                self._phrasings[entry.id].append(_Phrasing(entry.id, text, " ".join(every), frozenset(tokens)))
                self._entry_tokens[entry.id].update(tokens)
                for tok in tokens:
                    postings[tok].add(entry.id)
        self._postings = dict(postings)
        total = max(len(kb.entries), 1)
        self._idf = {tok: math.log((total + 1) / (len(ids) + 0.5)) for tok, ids in postings.items()}
        self._unknown_idf = math.log((total + 1) / 0.5)
        # "where" vs "when" decides which of an event's entries is meant, however common the word.
        rarest = math.log((total + 1) / 1.5)
        for word in kb.question_words:
            if word in self._idf:
                self._idf[word] = max(self._idf[word], rarest)
        self._ignorable = frozenset(t for t in ignorable if t not in postings)
        self._present = kb.present_words

    def _canonical(self, token: str) -> str | None:
        """``token`` if some phrasing uses it, else ``None`` (a word the knowledge base does not know)."""
        return token if token in self._postings else None

    def query_tokens(self, text: str) -> list[str]:
        """The question's content tokens, greeting words ("hi", "halo") left out."""
        every = [t for t in self.normalizer.tokens(text) if t not in self._ignorable]
        return self.normalizer.content(every)

    def match(self, text: str) -> MatchResult:
        every = [t for t in self.normalizer.tokens(text) if t not in self._ignorable]
        tokens = self.normalizer.content(every)
        if not tokens:
            return MatchResult("fallback", (), 1.0)
        mapped = [self._canonical(tok) for tok in tokens]
        weights = [self._idf[m] if m else self._unknown_idf for m in mapped]
        total = sum(weights)
        unknown_share = sum(w for m, w in zip(mapped, weights, strict=True) if m is None) / total
        known = {m for m in mapped if m}
        query_full = " ".join(every)

        candidates = []
        for entry_id in {e for tok in known for e in self._postings[tok]}:
            vocab = self._entry_tokens[entry_id]
            phrasings = self._phrasings[entry_id]
            recall = sum(w for m, w in zip(mapped, weights, strict=True) if m in vocab) / total
            precision = max(self._covered(p.tokens, known) for p in phrasings)
            _, similarity, index = process.extractOne(
                query_full, [p.full for p in phrasings], scorer=fuzz.token_sort_ratio, processor=None
            )
            score = 100 * (0.55 * recall + 0.25 * precision) + 0.20 * similarity
            candidates.append(Candidate(entry_id, round(score, 1), phrasings[index].text))
        candidates.sort(key=lambda c: (-c.score, c.entry_id))
        asks_present = not self._present.isdisjoint(every)
        outcome = self._decide(candidates, unknown_share, asks_present)
        return MatchResult(outcome, tuple(candidates[:10]), unknown_share)

    def _covered(self, tokens: frozenset[str], known: set[str]) -> float:
        """The IDF-weighted share of a phrasing's words that the question contains."""
        return sum(self._idf[t] for t in tokens & known) / (sum(self._idf[t] for t in tokens) or 1.0)

    def _decide(self, candidates: list[Candidate], unknown_share: float, asks_present: bool) -> Outcome:
        """The threshold ladder. A question about "now" never gets a confident answer: every
        source is dated, and "who is the minister now" must not be answered with 2015's minister."""
        t = self.thresholds
        if not candidates or candidates[0].score < t.suggest:
            return "fallback"
        top = candidates[0].score
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        if top >= t.answer and top - runner_up >= t.margin and unknown_share <= t.max_unknown and not asks_present:
            return "answer"
        return "suggestions"

    def suggestions(self, result: MatchResult) -> list[Candidate]:
        """The plausible entries to offer: within a window of the best, above the suggestion bar."""
        if not result.candidates:
            return []
        floor = max(self.thresholds.suggest, result.candidates[0].score - self.thresholds.suggest_window)
        return [c for c in result.candidates if c.score >= floor][: self.thresholds.max_suggestions]
