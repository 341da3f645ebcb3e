"""Which language a message is written in, decided from the message itself.

Counting evidence beats a general-purpose detector here: messages are three to ten words of chat
Indonesian or English, and the knowledge base already holds the best evidence there is (each
language's stopwords, chat abbreviations, and the words of its own phrasings).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from bot.normalize import words
from bot.schema import LANGS, Lang

#: Word shapes typical of each language, for words no list knows: Indonesian and Malay particles and
#: affixes (siapa-kah, bagaimana-kah, ke-pada, dia-nya, di-…-kan), English inflections.
_SHAPES: dict[Lang, re.Pattern[str]] = {
    "id": re.compile(r"^\w{3,}(?:kah|lah|nya|kan)$|^(?:meng|peng|mem|pem|ber|ter)\w{3,}$"),
    "en": re.compile(r"^\w{3,}(?:ing|tion|tions|ness|ment|ed|ly)$"),
}


class LanguageGuesser:
    """Scores a message's words against per-language word lists; ties go to the hint, then the default."""

    def __init__(
        self,
        stopwords: Mapping[Lang, Iterable[str]],
        abbreviations: Mapping[Lang, Iterable[str]],
        vocabulary: Mapping[Lang, set[str]],
        default: Lang = "en",
    ) -> None:
        self._strong: dict[Lang, frozenset[str]] = {
            lang: frozenset(w for text in [*stopwords[lang], *abbreviations[lang]] for w in words(text))
            for lang in LANGS
        }
        # Words only one language's phrasings use are weak evidence of that language.
        self._weak: dict[Lang, frozenset[str]] = {
            "en": frozenset(vocabulary["en"] - vocabulary["id"]),
            "id": frozenset(vocabulary["id"] - vocabulary["en"]),
        }
        self.default = default

    def scores(self, text: str) -> dict[Lang, float]:
        tokens = words(text)
        return {lang: sum(self._evidence(tok, lang) for tok in tokens) for lang in LANGS}

    def _evidence(self, token: str, lang: Lang) -> float:
        if token in self._strong[lang]:
            return 2.0
        if token in self._weak[lang]:
            return 1.0
        other: Lang = "en" if lang == "id" else "id"
        known = token in self._strong[other] or token in self._weak[other]
        return 0.5 if not known and _SHAPES[lang].match(token) else 0.0

    def guess(self, text: str, hint: str | None = None) -> Lang:
        """``hint`` (e.g. Telegram's ``language_code``) only breaks a tie."""
        scores = self.scores(text)
        if scores["en"] != scores["id"]:
            return "en" if scores["en"] > scores["id"] else "id"
        if hint:
            short = hint.split("-")[0].casefold()
            if short in ("id", "ms", "in"):
                return "id"
            if short == "en":
                return "en"
        return self.default


class RecentLanguages:
    """The language each person last wrote in, so a command, a button or a "1" is answered in it.

    Kept in memory only and bounded (least recently heard from is dropped first): it is a
    convenience, not a record, and a restart forgetting it costs one reply in the hinted language.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._last: OrderedDict[str, Lang] = OrderedDict()

    def get(self, key: str) -> Lang | None:
        return self._last.get(key)

    def remember(self, key: str, lang: Lang) -> None:
        self._last[key] = lang
        self._last.move_to_end(key)
        if len(self._last) > self._capacity:
            self._last.popitem(last=False)

    def forget(self, key: str) -> None:
        self._last.pop(key, None)
