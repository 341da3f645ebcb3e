"""Text normalisation shared by indexing and querying, so both sides see the same words.

Workers type on phones: mixed case, missing accents, chat abbreviations ("yg", "gk", "tki"),
reduplication written "anak2", British or American spelling. The pipeline is
fold (Unicode, case, punctuation) → words → spelling → abbreviations → synonyms → de-duplication;
all word lists come from the knowledge base, so admins extend them without touching code.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping

from rapidfuzz import fuzz, process

from bot.morphology import roots

#: Distinct words whose spelling, and whose tokens, are remembered (least recently used out first).
SPELLING_CACHE = 100_000
WORD_CACHE = 200_000
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")  # "Singapore's" → "Singapore"
_REDUPLICATION = re.compile(r"\b([^\W\d_]{2,})2\b")  # Indonesian chat: "anak2" = "anak-anak"
_NOT_WORD = re.compile(r"[\W_]+")
#: "right?" ending a statement checks it ("it was in Geneva, right?"): a tag, not the word "rights" (the
#: spelling would take it for that), read as "correct?", a check tag (Matcher._corrects). "…have a
#: right?" keeps it. English tags after a comma ("…, wasn't it?", "…, didn't he?") are read the same
#: way ("Why didn't they?" is no tag).
_TAG_QUESTION = re.compile(
    # each alternative starts where a run of spaces and commas starts: tried at every position inside
    # a long run, the search grew with the square of the message's length (24 ms at 500 characters)
    r"(?<![\s,])(?:(?<!\ba)(?<!\bthe)(?<!\bany)(?<!\bno)[\s,]+right"
    r"|\s*,\s*(?:is|was|were|are|did|does|do|has|have|had)n['’]?t\s+(?:it|he|she|they|there|that))\s*\?[\W_]*$",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
#: ASCII text (nearly all of it) takes a fast path: one bytes.translate() (a table look-up per byte,
#: three times faster than str.translate) instead of a regex substitution.
_ASCII_SEPARATORS = bytes(code if chr(code).isalnum() else ord(" ") for code in range(256))


def fold(text: str) -> str:
    """Case-fold, strip accents and punctuation, collapse white space."""
    return " ".join(words(text))


def words(text: str) -> list[str]:
    """The words of :func:`fold`; the index splits every phrasing with this, so it avoids a join and
    a second split."""
    ascii_only = text.isascii()
    if ascii_only:
        bare = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    if "'" in bare or "’" in bare:
        bare = _POSSESSIVE.sub("", bare)
    if _DIGIT.search(bare):
        bare = _REDUPLICATION.sub(r"\1", _ORDINAL.sub(r"\1", bare))
    if ascii_only and bare.isascii():
        return bare.encode("ascii").translate(_ASCII_SEPARATORS).decode("ascii").split()
    return _NOT_WORD.sub(" ", bare).split()


def _without_repeats(tokens: list[str]) -> list[str]:
    """Repeated neighbours once: "anak anak", or an expansion that repeats the next word. ``tokens`` is
    a list of the caller's own, returned as it is when no word repeats (most texts; a set is cheaper
    than the loop)."""
    if len(set(tokens)) == len(tokens):
        return tokens
    return [tok for j, tok in enumerate(tokens) if j == 0 or tok != tokens[j - 1]]


def typo_cutoff(word: str) -> float | None:
    """How similar (rapidfuzz ratio) a misspelling must be to a known word; ``None``: no guessing.

    Words under four letters and numbers are too easy to confuse ("ILO"/"IOM", "2015"/"2017"); a
    four-letter word is not given a fifth letter ("main" is not "makin").
    """
    if len(word) < 4 or any(ch.isdigit() for ch in word):
        return None
    return 90.0 if len(word) < 6 else 80.0


class Normalizer:
    """Turns text into canonical content tokens; callable as a rapidfuzz ``processor``."""

    def __init__(
        self,
        abbreviations: Mapping[str, str],
        synonyms: Iterable[Iterable[str]],
        stopwords: Iterable[str],
        vocabulary: Iterable[str] = (),
        everyday: Iterable[str] = (),
    ) -> None:
        """``everyday``: words that are words, not misspellings, though no phrasing uses them."""
        self._abbreviations = {fold(short): tuple(words(full)) for short, full in abbreviations.items()}
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for group in synonyms:
            variants = [tuple(words(v)) for v in group if words(v)]
            if not variants:
                continue
            canonical = variants[0]
            for variant in variants:
                self._phrases.setdefault(variant, canonical)
        self._longest = max((len(p) for p in self._phrases), default=1)
        # Only words that start a multi-word phrase need the longer look-ups, and a text with no word
        # that starts any phrase needs no phrase pass at all.
        self._starts = frozenset(p[0] for p in self._phrases if len(p) > 1)
        self._single = {p[0]: canonical for p, canonical in self._phrases.items() if len(p) == 1}
        # A one-word synonym of a word no longer phrase uses ("siapa" → "who") does not depend on
        # its neighbours: it is applied with the word's own expansion, once per word (cached), and
        # only texts with a word that starts a phrase or has another synonym need the phrase pass.
        in_phrases = {w for p in self._phrases if len(p) > 1 for w in p}
        self._word_synonyms = {
            w: c[0] for w, c in self._single.items() if w not in in_phrases and len(c) == 1 and c[0] not in in_phrases
        }
        self._needs_pass = self._starts | {
            w for w, c in self._single.items() if w not in self._word_synonyms and c != (w,)
        }
        self.stopwords = frozenset(fold(w) for w in stopwords)
        # Stopwords are no spelling targets: "hits" must stay an unknown word, not become "his".
        known = set(vocabulary) | set(self._abbreviations)
        known |= {w for phrase in self._phrases for w in phrase}
        known -= self.stopwords
        self._known_set = frozenset(known)
        self._everyday = frozenset(fold(w) for w in everyday) - self._known_set
        # Spelling candidates by first and by last letter: a typo seldom changes both, and searching
        # one bucket instead of every known word keeps a first-seen typo cheap at any vocabulary size.
        self._by_first: dict[str, list[str]] = {}
        self._by_last: dict[str, list[str]] = {}
        for word in sorted(known):
            self._by_first.setdefault(word[0], []).append(word)
            self._by_last.setdefault(word[-1], []).append(word)
        # Bounded, least recently used first out: a bot that has seen a million distinct misspellings
        # keeps the recent ones, not the first 100,000 (functools' cache is C and thread-safe).
        self.spell: Callable[[str], str] = functools.lru_cache(maxsize=SPELLING_CACHE)(self._spell)
        self._expand = functools.lru_cache(maxsize=WORD_CACHE)(self._expand_word)
        self._by_root: dict[str, list[str]] | None = None  # see prepare()
        self._by_root_lock = threading.Lock()

    def _spell(self, word: str) -> str:
        """For a word the knowledge base does not know: a known word with a root in common
        (:mod:`bot.morphology`: "ditahan" → "menahan"), else the known word closest to it (rapidfuzz
        ``ratio``) with the same first letter, else with the same last letter; or ``word`` itself.
        Called through the cached ``spell``."""
        if word in self._known_set or word in self.stopwords or word in self._everyday:
            return word
        cutoff = typo_cutoff(word)
        if cutoff is None:
            return word
        return self._same_root(word) or self._closest(word, cutoff) or word

    def _expand_word(self, word: str) -> tuple[str, ...]:
        """One word's tokens: its abbreviation's words or its spelling, each made canonical."""
        found = self._abbreviations.get(word) or (self.spell(word),)
        return tuple(self._word_synonyms.get(tok, tok) for tok in found)

    def _closest(self, word: str, cutoff: float) -> str | None:
        for bucket in (self._by_first.get(word[0], []), self._by_last.get(word[-1], [])):
            found = process.extractOne(word, bucket, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff)
            if found:
                return str(found[0])
        return None

    def prepare(self) -> None:
        """Build the index of known words by root now rather than on the first unknown word (0.2 s at
        10,000 entries): the bot does it in a worker thread after loading, before anyone waits."""
        with self._by_root_lock:
            if self._by_root is None:
                by_root: dict[str, list[str]] = {}
                # stopwords too: "dibilang" is "bilang" (said), not "bilangan" (a number)
                for known in sorted(self._known_set | self.stopwords):
                    for root in roots(known):
                        by_root.setdefault(root, []).append(known)
                self._by_root = by_root

    def _same_root(self, word: str) -> str | None:
        """The known word sharing a root with ``word``, the most alike when several do."""
        if self._by_root is None:
            self.prepare()
        assert self._by_root is not None
        found = {known for root in roots(word) for known in self._by_root.get(root, ())}
        if not found:
            return None
        return max(sorted(found), key=lambda known: fuzz.ratio(word, known))

    def tokens(self, text: str) -> list[str]:
        """All tokens, abbreviations expanded and synonyms made canonical (stopwords kept)."""
        return self.tokens_of(words(_TAG_QUESTION.sub(" correct?", text) if "?" in text else text))

    def tokens_of(self, split: list[str]) -> list[str]:
        """:meth:`tokens` for text already split by :func:`words`."""
        expanded: list[str] = []
        expand = self._expand
        for word in split:
            expanded += expand(word)
        if self._needs_pass.isdisjoint(expanded):
            return _without_repeats(expanded)
        canonical: list[str] = []
        phrases, single, starts = self._phrases, self._single, self._starts
        i, count = 0, len(expanded)
        while i < count:
            word = expanded[i]
            size = 1
            if word in starts:  # the longest phrase starting here wins
                size = min(self._longest, count - i)
                while size > 1 and tuple(expanded[i : i + size]) not in phrases:
                    size -= 1
            replacement = phrases.get(tuple(expanded[i : i + size])) if size > 1 else single.get(word)
            if replacement is None:
                canonical.append(word)
            else:
                canonical += replacement
            i += size
        return _without_repeats(canonical)

    def content(self, tokens: list[str]) -> list[str]:
        """Tokens without stopwords; the tokens themselves when nothing else is left."""
        kept = [tok for tok in tokens if tok not in self.stopwords]
        return kept or tokens

    def __call__(self, text: str) -> str:
        return " ".join(self.content(self.tokens(text)))
