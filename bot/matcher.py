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

import heapq
import itertools
import math
import operator
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from rapidfuzz import fuzz, process

from bot.knowledge import KnowledgeBase
from bot.normalize import Normalizer

Outcome = Literal["answer", "suggestions", "fallback"]

_YEAR = re.compile(r"(19|20)\d\d")


@dataclass(frozen=True)
class Thresholds:
    """Calibrated on tests/data/dev.yaml and tests/data/holdout.yaml; see docs/matching.md."""

    answer: float = 58.0
    margin: float = 3.0
    suggest: float = 40.0
    suggest_window: float = 20.0
    max_unknown: float = 0.5
    #: When the runner-up also holds every word of the question, the best entry needs a phrasing the
    #: question covers at least this much; else the question is too vague to pick one ("labour
    #: inspection conference": its venue, dates, theme and outcome all fit).
    vague_precision: float = 0.7
    #: ... and must lead by this much: only the shape of its phrasings sets it apart.
    vague_margin: float = 4.0

    max_suggestions: int = 3


@dataclass(frozen=True)
class Weights:
    """How recall, precision and similarity combine into one 0-100 score."""

    recall: float = 0.55
    precision: float = 0.25
    similarity: float = 0.20
    #: A question word the entry's phrasings lack but its answer states counts this much toward
    #: recall: the answer names the event's context (place, date, people), so the words that
    #: decide between an event's entries are the ones the question asks about ("the theme of the
    #: conference in Nusa Dua" is the theme's entry, not the venue's).
    answer_words: float = 0.5

    def combine(self, recall: float, precision: float, similarity: float) -> float:
        return 100 * (self.recall * recall + self.precision * precision) + self.similarity * similarity


@dataclass(frozen=True)
class Candidate:
    """One entry's score, with the parts it was made of (for calibration and the logs)."""

    entry_id: str
    score: float
    phrasing: str
    recall: float = 0.0
    precision: float = 0.0
    similarity: float = 0.0


@dataclass(frozen=True)
class MatchResult:
    outcome: Outcome
    candidates: tuple[Candidate, ...]
    unknown_share: float
    #: The question names a time ("now", "2023"), a number or a name the best entry's answer does
    #: not state: at best suggestions, whatever else says otherwise.
    unsure: bool = False
    #: When the time is all that held the answer back: "now", or the year asked about. The reply
    #: gives the dated answer and says the sources hold nothing for that time.
    dated: str | None = None

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class _Entry(NamedTuple):
    """One entry's part of the index, laid out for the scoring of a shortlist."""

    texts: tuple[str, ...]  # the phrasings as written: the best one is shown with the score
    #: Each phrasing's tokens (stopwords included: "what … about" and "where …" differ here), sorted
    #: and joined: token_sort_ratio is ratio on these, so sorting once here saves it on every question.
    sorted_texts: list[str]
    #: Content token → the phrasings that use it; its keys are the entry's vocabulary. Precision is
    #: summed from the question's few known tokens instead of over every token of every phrasing.
    where: dict[str, list[int]]
    #: 1 / the IDF sum of each phrasing's content tokens: precision's denominator.
    inverse_weights: list[float]


class Matcher:
    """An index over every phrasing of every entry, built once per knowledge-base version.

    Matching runs in two stages, so its cost follows the question, not the size of the knowledge
    base: a shortlist of entries by IDF-weighted word overlap, read from an inverted index rarest
    word first (a very common word only adds to entries already found), then the full score for
    the shortlist alone.
    """

    #: How many entries get the full score.
    SHORTLIST = 40
    #: A word in more entries than this is "common": it only adds to entries already shortlisted.
    COMMON_SHARE = 0.02
    #: At most this many entries are looked at when even the rarest word of a question is common.
    WIDEST = 2000
    #: Word weights (IDF) are reckoned as if the knowledge base had at most this many entries (see
    #: __init__): the size of the bundled one, which the thresholds were calibrated on, so they hold
    #: at any size. A smaller base gets the plain IDF.
    REFERENCE_ENTRIES = 40
    #: The weight of a word in more entries than that.
    COMMONEST_WEIGHT = 0.05
    #: A message of more sentences than this is a story, not matched sentence by sentence.
    MAX_PARTS = 6

    def __init__(
        self,
        kb: KnowledgeBase,
        normalizer: Normalizer,
        thresholds: Thresholds | None = None,
        ignorable: frozenset[str] = frozenset(),
        weights: Weights | None = None,
        split: Mapping[str, list[str]] | None = None,
    ) -> None:
        """``split`` optionally holds every phrasing already split into words (saves doing it twice)."""
        self.normalizer = normalizer
        self.thresholds = thresholds or Thresholds()
        self.weights = weights or Weights()
        self._kb = kb
        postings: dict[str, list[str]] = defaultdict(list)
        self._entries: dict[str, _Entry] = {}
        stopwords = normalizer.stopwords
        split = split or {}
        for entry in kb.entries.values():
            texts = (*entry.questions.en, *entry.questions.id)
            sorted_texts = []
            where: defaultdict[str, list[int]] = defaultdict(list)
            for index, text in enumerate(texts):
                known_split = split.get(text)
                every = normalizer.tokens(text) if known_split is None else normalizer.tokens_of(known_split)
                everything = frozenset(every)
                tokens = everything - stopwords or everything  # as Normalizer.content, as a set
                sorted_texts.append(" ".join(sorted(every)))
                for tok in tokens:
                    where[tok].append(index)
            self._entries[entry.id] = _Entry(texts, sorted_texts, where, [])
            for tok in where:
                postings[tok].append(entry.id)
        self._postings = {tok: tuple(ids) for tok, ids in postings.items()}
        # A word's weight depends on how many entries use it, not on how many entries there are:
        # counted against the whole base, 10,000 unrelated entries made every known word nearly as
        # rare as an unknown one, and out-of-scope questions ("Berapa levi pekerja asing di
        # Malaysia?") were answered. A word in more entries than this counts as barely anything.
        total = max(min(len(kb.entries), self.REFERENCE_ENTRIES), 1)
        self._idf = {
            tok: max(math.log((total + 1) / (len(ids) + 0.5)), self.COMMONEST_WEIGHT) for tok, ids in postings.items()
        }
        self._unknown_idf = math.log((total + 1) / 0.5)
        # "where" vs "when" decides which of an event's entries is meant, however common the word.
        rarest = math.log((total + 1) / 1.5)
        for word in kb.question_words:
            if word in self._idf:
                self._idf[word] = max(self._idf[word], rarest)
        idf = self._idf
        for indexed in self._entries.values():  # summed from `where`: a set per phrasing cost 55 MB at 10,000 entries
            totals = [0.0] * len(indexed.texts)
            for tok, indexes in indexed.where.items():
                weight = idf[tok]
                for index in indexes:
                    totals[index] += weight
            indexed.inverse_weights.extend(1.0 / (total or 1.0) for total in totals)
        self._common = max(64, int(len(kb.entries) * self.COMMON_SHARE))
        self._ignorable = frozenset(t for t in ignorable if t not in postings)
        self._present = kb.present_words
        self._entities = kb.entities
        #: The names each source gives (title, description, publisher, author): see _spoken_of. Once per
        #: source, not once per entry citing it (10,000 entries may cite one).
        self._cited = {
            source.id: self._entities.intersection(
                normalizer.tokens(
                    " ".join(f for f in (source.title, source.description, source.publisher, source.author) if f)
                )
            )
            for source in kb.sources.values()
        }
        self._speech = kb.speech_words
        self._count = kb.count_words
        self._check = kb.check_words
        self._tags = kb.check_tags
        self._setting = kb.setting_words
        self._asking = kb.asking_words
        self._spoken: dict[str, frozenset[str]] = {}
        self._stated: dict[str, frozenset[str]] = {}
        self._voices: dict[str, frozenset[str]] = {}

    def _canonical(self, token: str) -> str | None:
        """``token`` if some phrasing uses it, else ``None`` (a word the knowledge base does not know)."""
        return token if token in self._postings else None

    def _spoken_of(self, entry_id: str) -> frozenset[str]:
        """The entities (countries, places, organisations, people) and years the entry's answer states,
        the years its phrasings ask about, and the entities its sources name: "according to The Jakarta
        Post" or "at the Geneva meeting" is where the answer comes from, not a claim it leaves out."""
        spoken = self._spoken.get(entry_id)
        if spoken is None:
            entry = self._kb.entries[entry_id]
            words = self._answer_words(entry_id)
            asked = self.normalizer.tokens(" ".join((*entry.questions.en, *entry.questions.id)))
            spoken = frozenset(w for w in words if w in self._entities or _YEAR.fullmatch(w))
            spoken |= {w for w in asked if _YEAR.fullmatch(w)}
            spoken = spoken.union(*(self._cited[source] for source in entry.sources))
            self._spoken[entry_id] = spoken
        return spoken

    def _answer_words(self, entry_id: str) -> list[str]:
        """The entry's answers, both languages, as normalised words (for _spoken_of and _stated_in)."""
        entry = self._kb.entries[entry_id]
        return self.normalizer.tokens(f"{entry.answer.en} {entry.answer.id}")

    def _stated_in(self, entry_id: str) -> frozenset[str]:
        """The known content words of the entry's answer that its phrasings do not use (built on
        first use: at 10,000 entries only the shortlisted ones are ever read)."""
        stated = self._stated.get(entry_id)
        if stated is None:
            where = self._entries[entry_id].where
            stated = frozenset(w for w in self._answer_words(entry_id) if w in self._postings and w not in where)
            self._stated[entry_id] = stated
        return stated

    def _voices_of(self, entry_id: str) -> frozenset[str]:
        """Whose words the entry reports: its quote's speaker, and the names in an answer that
        reports what someone said."""
        voices = self._voices.get(entry_id)
        if voices is None:
            entry = self._kb.entries[entry_id]
            voices = frozenset(self.normalizer.tokens(entry.quote.by or "") if entry.quote else ())
            for text in (entry.answer.en, entry.answer.id):
                words = self.normalizer.tokens(text)
                if not self._speech.isdisjoint(words):
                    voices |= self._entities.intersection(words)
            self._voices[entry_id] = voices
        return voices

    def query_tokens(self, tokens: list[str]) -> list[str]:
        """The content of a question's tokens (from Normalizer.tokens), greeting words left out."""
        return self.normalizer.content([t for t in tokens if t not in self._ignorable])

    def _shortlist(self, known: set[str]) -> list[str]:
        """Entries sharing the question's words, by IDF-weighted overlap, best first.

        Words are read rarest first (by how many entries use them, not by their boosted weight);
        a common word only adds to entries already found, and a question made of common words
        alone looks at a bounded number of entries."""
        overlap: dict[str, float] = {}
        for tok in sorted(known, key=lambda t: (len(self._postings[t]), t)):
            weight = self._idf[tok]
            posting = self._postings[tok]
            if not overlap:
                for entry_id in posting[: self.WIDEST]:
                    overlap[entry_id] = weight
            elif len(posting) <= self._common:
                for entry_id in posting:
                    overlap[entry_id] = overlap.get(entry_id, 0.0) + weight
            else:
                for entry_id in overlap:
                    if tok in self._entries[entry_id].where:
                        overlap[entry_id] += weight
        return heapq.nlargest(self.SHORTLIST, overlap, key=lambda e: (overlap[e], e))

    def match(self, text: str) -> MatchResult:
        return self.match_tokens(self.normalizer.tokens(text))

    def match_tokens(self, normalised: list[str]) -> MatchResult:
        """:meth:`match` for text already normalised (Normalizer.tokens), so callers do it once."""
        every, tokens, mapped = self._read(normalised)
        if not tokens:
            return MatchResult("fallback", (), 1.0)
        weights = [self._idf[m] if m else self._unknown_idf for m in mapped]
        total = sum(weights)
        unknown_share = sum(w for m, w in zip(mapped, weights, strict=True) if m is None) / total
        known = {m for m in mapped if m}
        query_sorted = " ".join(sorted(every))
        known_idf = [(m, self._idf[m]) for m in known]

        candidates = []
        for entry_id in self._shortlist(known):
            entry = self._entries[entry_id]
            where = entry.where
            overlap = [0.0] * len(entry.texts)  # per phrasing: the IDF of the question's words it has
            for tok, weight in known_idf:
                for index in where.get(tok, ()):
                    overlap[index] += weight
            # Full credit for the words of the phrasing that holds most of the question; part credit
            # for the rest of the entry's words, in its other phrasings or its answer.
            held = max(overlap)
            stated_words = self._stated_in(entry_id)
            elsewhere = sum(w for m, w in zip(mapped, weights, strict=True) if m in where) - held
            stated = sum(w for m, w in zip(mapped, weights, strict=True) if m in stated_words)
            recall = (held + self.weights.answer_words * (elsewhere + stated)) / total
            precision = max(map(operator.mul, overlap, entry.inverse_weights))
            # token_sort_ratio, with both sides sorted already
            _, similarity, best = process.extractOne(
                query_sorted, entry.sorted_texts, scorer=fuzz.ratio, processor=None
            )
            score = self.weights.combine(recall, precision, similarity)
            candidates.append(Candidate(entry_id, round(score, 1), entry.texts[best], recall, precision, similarity))
        candidates.sort(key=lambda c: (-c.score, c.entry_id))
        if candidates:
            unsure, when = self._doubts(every, tokens, mapped, candidates[0].entry_id)
        else:
            unsure, when = False, "now" if not self._present.isdisjoint(every) else None
        outcome = self._decide(candidates, unknown_share, unsure)
        # Only the time stood in the way of an answer: suggestions, and the dated answer said to be dated.
        dated = when if outcome == "answer" else None
        if dated:
            outcome = "suggestions"
        return MatchResult(outcome, tuple(candidates[:10]), unknown_share, unsure or when is not None, dated)

    def match_parts(self, parts: list[list[str]], whole: list[str]) -> MatchResult | None:
        """The answer to a message of several sentences that :meth:`match_tokens` left unsure, or
        ``None``. A story or a second question around the question adds words that spread the
        whole message's score over several entries ("…yg blm ditandatangani, bener gak? trus siapa
        yg nyatakan keprihatinan?"). Each sentence is matched on its own: the message is answered
        when the sentences answer one entry only, every sentence with content offers it among its
        first suggestions, and the whole message names nothing that entry's answer does not state (a
        number, a year, a name, "now"). Letting a sentence that matches nothing (a story) pass too
        answered 3 more questions of the opened sets but 1 wrongly, so it does not.
        ``parts``: each sentence's tokens; ``whole``: the message's. Messages of more than
        :attr:`MAX_PARTS` sentences are left as they are."""
        if len(parts) > self.MAX_PARTS:
            return None
        results = [self.match_tokens(part) for part in parts if self.query_tokens(part)]
        answers = {result.best.entry_id for result in results if result.outcome == "answer" and result.best}
        if len(results) < 2 or len(answers) != 1:
            return None
        entry_id = answers.pop()
        for result in results:
            offered = [c.entry_id for c in result.candidates[: self.thresholds.max_suggestions]]
            if entry_id not in offered:
                return None
        answered = next(r for r in results if r.outcome == "answer")
        unsure, when = self._doubts(*self._read(whole), entry_id)
        if unsure or when is not None:
            return None
        return answered

    def _read(self, normalised: list[str]) -> tuple[list[str], list[str], list[str | None]]:
        """A question's tokens without greeting words, its content words, and each content word as
        the index knows it (``None``: no phrasing uses it): what scoring and :meth:`_doubts` read."""
        every = [t for t in normalised if t not in self._ignorable]
        tokens = self.normalizer.content(every)
        return every, tokens, [self._canonical(tok) for tok in tokens]

    def _doubts(
        self, every: list[str], tokens: list[str], mapped: list[str | None], entry_id: str
    ) -> tuple[bool, str | None]:
        """Whether the question names what the entry's answer does not state (a number, a name, a
        speaker, a thing counted), and the time it asks about if that is not the answer's ("now",
        or a year). ``every``: the question's tokens; ``tokens``: its content; ``mapped``: each
        content token, or ``None`` where no phrasing uses it."""
        # Every source is dated, so "now" and "next" are not the knowledge base's to answer.
        when = "now" if not self._present.isdisjoint(every) else None
        spoken = self._spoken_of(entry_id)
        # A number no phrasing uses ("13th conference", "convention 189") means a thing with no
        # entry, unless it is a year the answer states ("Cebu Declaration 2007").
        numbers = {t for m, t in zip(mapped, tokens, strict=True) if m is None and t.isdigit()}
        # A year is a time: "the Minister of Manpower in 2023" is not answered with 2015's.
        years = sorted(t for t in tokens if _YEAR.fullmatch(t) and t not in spoken)
        numbers -= set(years)
        # The answer must speak of every name the question does: "Singapore's Ministry of
        # Manpower" is not answered with Indonesia's, however alike the words are. A name no
        # phrasing uses counts too: "agency fees to Hong Kong" does not get the Consensus on fees.
        named = self._entities.intersection(tokens)
        if not years and self._corrects(every, entry_id, named, spoken):
            named = named & spoken
        when = years[0] if years else when
        # "What did the ILO say…" asks for someone's words: an entry that only lists the ILO
        # among the participants does not hold them.
        quoted = not named or self._speech.isdisjoint(every) or not named.isdisjoint(self._voices_of(entry_id))
        # "How many delegates…": one of the entry's phrasings must ask for a count of that thing.
        counted = next((b for a, b in itertools.pairwise(tokens) if a in self._count), None)
        phrasings_of = self._entries[entry_id].where
        miscounted = counted is not None and not any(
            set(phrasings_of.get(counted, ())).intersection(phrasings_of.get(word, ())) for word in self._count
        )
        return not numbers <= spoken or not named <= spoken or not quoted or miscounted, when

    def _corrects(self, every: list[str], entry_id: str, named: frozenset[str], spoken: frozenset[str]) -> bool:
        """Whether the one name the entry's answer leaves out is a place a yes/no check proposes, which
        the answer corrects: "was the 12th conference held in Jakarta?" is answered by the entry that
        says where it was. The message opens with a check word ("was", "apakah") or closes with a tag
        ("correct?", "kan?", "ke?"); it asks nothing else (no "what", "siapa", "mana"…:
        ``asking_words``); the name follows a setting word ("in", "di") or ends the check ("kuala
        lumpur ke?"); it is the only name in the question, so the question is not about where a
        named body is ("Is the ILO in Geneva?"); and the entry's phrasings ask where. A year is not
        corrected: a question about another year gets the dated reply."""
        if len(named) != 1 or named <= spoken or not self._asking.isdisjoint(every):
            return False
        if every[0] not in self._check and every[-1] not in self._tags:
            return False
        (place,) = named
        at = every.index(place)
        proposed = (at > 0 and every[at - 1] in self._setting) or (at == len(every) - 2 and every[-1] in self._tags)
        return proposed and "where" in self._entries[entry_id].where

    def _decide(self, candidates: list[Candidate], unknown_share: float, unsure: bool) -> Outcome:
        """The threshold ladder; ``unsure`` questions get suggestions at best."""
        t = self.thresholds
        if not candidates or candidates[0].score < t.suggest:
            return "fallback"
        top = candidates[0].score
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        clear = top - runner_up >= t.margin
        if len(candidates) > 1 and candidates[1].recall >= 0.99:
            # the runner-up holds every word too: the words do not tell the two apart
            clear = clear and candidates[0].precision >= t.vague_precision and top - runner_up >= t.vague_margin
        if top >= t.answer and clear and unknown_share <= t.max_unknown and not unsure:
            return "answer"
        return "suggestions"

    def suggestions(self, result: MatchResult) -> list[Candidate]:
        """The plausible entries to offer: within a window of the best, above the suggestion bar."""
        if not result.candidates:
            return []
        floor = max(self.thresholds.suggest, result.candidates[0].score - self.thresholds.suggest_window)
        return [c for c in result.candidates if c.score >= floor][: self.thresholds.max_suggestions]
