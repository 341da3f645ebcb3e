"""Text normalisation shared by indexing and querying, so both sides see the same words.

Workers type on phones: mixed case, missing accents, chat abbreviations ("yg", "gk", "tki"),
reduplication written "anak2", British or American spelling. The pipeline is
fold (Unicode, case, punctuation) → words → spelling → abbreviations → synonyms → de-duplication;
all word lists come from the knowledge base, so admins extend them without touching code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process

_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")  # "Singapore's" → "Singapore"
_REDUPLICATION = re.compile(r"\b([^\W\d_]{2,})2\b")  # Indonesian chat: "anak2" = "anak-anak"
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Case-fold, strip accents and punctuation, collapse white space."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    bare = _POSSESSIVE.sub("", bare)
    bare = _ORDINAL.sub(r"\1", bare)
    bare = _REDUPLICATION.sub(r"\1", bare)
    return " ".join(_NOT_WORD.sub(" ", bare).split())


def words(text: str) -> list[str]:
    return fold(text).split()


def typo_cutoff(word: str) -> float | None:
    """How similar (rapidfuzz ratio) a misspelling must be to a known word; ``None``: no guessing.

    Words under four letters and numbers are too easy to confuse ("ILO"/"IOM", "2015"/"2017").
    """
    if len(word) < 4 or any(ch.isdigit() for ch in word):
        return None
    return 85.0 if len(word) < 6 else 80.0


class Normalizer:
    """Turns text into canonical content tokens; callable as a rapidfuzz ``processor``."""

    def __init__(
        self,
        abbreviations: Mapping[str, str],
        synonyms: Iterable[Iterable[str]],
        stopwords: Iterable[str],
        vocabulary: Iterable[str] = (),
    ) -> None:
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
        self.stopwords = frozenset(fold(w) for w in stopwords)
        # Stopwords are no spelling targets: "hits" must stay an unknown word, not become "his".
        known = {w for text in vocabulary for w in words(text)} | set(self._abbreviations)
        known |= {w for phrase in self._phrases for w in phrase}
        known -= self.stopwords
        self._known = sorted(known)
        self._known_set = frozenset(known)
        self._spelling: dict[str, str] = {}

    def spell(self, word: str) -> str:
        """The known word closest to ``word`` (rapidfuzz ``ratio``), or ``word`` itself."""
        if word in self._known_set or word in self.stopwords:
            return word
        cached = self._spelling.get(word)
        if cached is not None:
            return cached
        cutoff = typo_cutoff(word)
        found = None
        if cutoff is not None:
            found = process.extractOne(word, self._known, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff)
        result = str(found[0]) if found else word
        if len(self._spelling) < 100_000:
            self._spelling[word] = result
        return result

    def tokens(self, text: str) -> list[str]:
        """All tokens, abbreviations expanded and synonyms made canonical (stopwords kept)."""
        expanded: list[str] = []
        for word in words(text):
            expanded.extend(self._abbreviations.get(word) or (self.spell(word),))
        canonical: list[str] = []
        i = 0
        while i < len(expanded):
            for size in range(min(self._longest, len(expanded) - i), 0, -1):
                replacement = self._phrases.get(tuple(expanded[i : i + size]))
                if replacement is not None:
                    canonical.extend(replacement)
                    i += size
                    break
            else:
                canonical.append(expanded[i])
                i += 1
        return [tok for j, tok in enumerate(canonical) if j == 0 or tok != canonical[j - 1]]

    def content(self, tokens: list[str]) -> list[str]:
        """Tokens without stopwords; the tokens themselves when nothing else is left."""
        kept = [tok for tok in tokens if tok not in self.stopwords]
        return kept or tokens

    def __call__(self, text: str) -> str:
        return " ".join(self.content(self.tokens(text)))
