"""Which language a message is written in, decided from the message itself.

Counting evidence beats a general-purpose detector here: messages are three to ten words of chat
Indonesian or English, and the knowledge base already holds the best evidence there is (each
language's stopwords, chat abbreviations, and the words of its own phrasings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.normalize import words
from bot.schema import LANGS, Lang


class LanguageGuesser:
    """Scores a message's words against per-language word lists; ties go to the hint, then the default."""

    def __init__(
        self,
        stopwords: Mapping[Lang, Iterable[str]],
        abbreviations: Mapping[Lang, Iterable[str]],
        phrasings: Mapping[Lang, Iterable[str]],
        default: Lang = "en",
    ) -> None:
        self._strong: dict[Lang, frozenset[str]] = {
            lang: frozenset(w for text in [*stopwords[lang], *abbreviations[lang]] for w in words(text))
            for lang in LANGS
        }
        vocab: dict[Lang, set[str]] = {lang: {w for text in phrasings[lang] for w in words(text)} for lang in LANGS}
        self._weak: dict[Lang, frozenset[str]] = {
            "en": frozenset(vocab["en"] - vocab["id"]),
            "id": frozenset(vocab["id"] - vocab["en"]),
        }
        self.default = default

    def scores(self, text: str) -> dict[Lang, float]:
        tokens = words(text)
        return {
            lang: sum(2.0 if tok in self._strong[lang] else 1.0 if tok in self._weak[lang] else 0.0 for tok in tokens)
            for lang in LANGS
        }

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
