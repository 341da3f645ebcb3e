"""Finding the entry a question asks about, and knowing when there is none.

Two signals, both on normalised tokens (see :mod:`bot.normalize`):

* **coverage** — how much of the question (weighted by how rare each word is in the knowledge
  base, IDF) the entry's phrasings account for, and how much of the entry's best phrasing the
  question accounts for. A question with topic words the knowledge base has never seen
  ("overtime", "Taiwan") cannot reach a high coverage, which is what keeps out-of-scope
  questions from getting confident answers;
* **similarity** — rapidfuzz's ``token_sort_ratio`` between the question and each phrasing.

Misspelt words are mapped onto the knowledge base's vocabulary with rapidfuzz first. Three outcomes
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

    answer: float = 72.0
    margin: float = 6.0
    suggest: float = 50.0
    suggest_window: float = 20.0
    max_unknown: float = 0.34
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
    normalised: str
    tokens: frozenset[str]


def _typo_cutoff(token: str) -> float | None:
    """Short words are too easy to confuse: below four letters only exact matches count."""
    if len(token) < 4 or token.isdigit():
        return None
    return 85.0 if len(token) < 6 else 80.0


class Matcher:
    """An index over every phrasing of every entry, built once per knowledge-base version."""

    def __init__(self, kb: KnowledgeBase, normalizer: Normalizer, thresholds: Thresholds | None = None,
                 ignorable: frozenset[str] = frozenset()) -> None:
        self.normalizer = normalizer
        self.thresholds = thresholds or Thresholds()
        self._phrasings: dict[str, list[_Phrasing]] = defaultdict(list)
        self._entry_tokens: dict[str, set[str]] = defaultdict(set)
        postings: dict[str, set[str]] = defaultdict(set)
        for entry in kb.entries.values():
            for text in [*entry.questions.en, *entry.questions.id]:
                tokens = normalizer.content(normalizer.tokens(text))
                self._phrasings[entry.id].append(
                    _Phrasing(entry.id, text, " ".join(tokens), frozenset(tokens)))
                self._entry_tokens[entry.id].update(tokens)
                for tok in tokens:
                    postings[tok].add(entry.id)
        self._postings = dict(postings)
        total = max(len(kb.entries), 1)
        self._idf = {tok: math.log((total + 1) / (len(ids) + 0.5)) for tok, ids in postings.items()}
        self._unknown_idf = math.log((total + 1) / 0.5)
        self._vocabulary = sorted(postings)
        self._ignorable = frozenset(t for t in ignorable if t not in postings)

    def _canonical(self, token: str) -> str | None:
        """The knowledge-base word a (possibly misspelt) token stands for, or ``None``."""
        if token in self._postings:
            return token
        cutoff = _typo_cutoff(token)
        if cutoff is None:
            return None
        found = process.extractOne(token, self._vocabulary, scorer=fuzz.ratio, processor=None,
                                   score_cutoff=cutoff)
        return str(found[0]) if found else None

    def query_tokens(self, text: str) -> list[str]:
        tokens = [t for t in self.normalizer.content(self.normalizer.tokens(text)) if t not in self._ignorable]
        return tokens

    def match(self, text: str) -> MatchResult:
        tokens = self.query_tokens(text)
        if not tokens:
            return MatchResult("fallback", (), 1.0)
        mapped = [self._canonical(tok) for tok in tokens]
        weights = [self._idf[m] if m else self._unknown_idf for m in mapped]
        total = sum(weights)
        unknown_share = sum(w for m, w in zip(mapped, weights, strict=True) if m is None) / total
        known = {m for m in mapped if m}
        query_norm = " ".join(m or t for m, t in zip(mapped, tokens, strict=True))

        candidates = []
        for entry_id in {e for tok in known for e in self._postings[tok]}:
            vocab = self._entry_tokens[entry_id]
            recall = sum(w for m, w in zip(mapped, weights, strict=True) if m in vocab) / total
            best_precision, best_phrasing, best_similarity = 0.0, "", 0.0
            for phrasing in self._phrasings[entry_id]:
                phrase_weight = sum(self._idf[t] for t in phrasing.tokens) or 1.0
                precision = sum(self._idf[t] for t in phrasing.tokens & known) / phrase_weight
                similarity = fuzz.token_sort_ratio(query_norm, phrasing.normalised, processor=None)
                if (precision, similarity) > (best_precision, best_similarity):
                    best_precision, best_phrasing, best_similarity = precision, phrasing.text, similarity
            score = 100 * (0.55 * recall + 0.25 * best_precision) + 0.20 * best_similarity
            candidates.append(Candidate(entry_id, round(score, 1), best_phrasing))
        candidates.sort(key=lambda c: (-c.score, c.entry_id))
        return MatchResult(self._decide(candidates, unknown_share), tuple(candidates[:10]), unknown_share)

    def _decide(self, candidates: list[Candidate], unknown_share: float) -> Outcome:
        t = self.thresholds
        if not candidates or candidates[0].score < t.suggest:
            return "fallback"
        top = candidates[0].score
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        if top >= t.answer and top - runner_up >= t.margin and unknown_share <= t.max_unknown:
            return "answer"
        return "suggestions"

    def suggestions(self, result: MatchResult) -> list[Candidate]:
        """The plausible entries to offer: within a window of the best, above the suggestion bar."""
        if not result.candidates:
            return []
        floor = max(self.thresholds.suggest, result.candidates[0].score - self.thresholds.suggest_window)
        return [c for c in result.candidates if c.score >= floor][: self.thresholds.max_suggestions]
