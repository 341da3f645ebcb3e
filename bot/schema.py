"""The knowledge-base file schema (documented in docs/knowledge.md).

pydantic does the type checking, the "unknown key" and "missing field" checks and gives every
error a path into the document; :mod:`bot.knowledge` maps that path back to a YAML line. Writing
that by hand for a nested schema would be longer and would drift from the documentation.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

Lang = Literal["en", "id"]
LANGS: tuple[Lang, ...] = ("en", "id")

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _date_text(value: object) -> object:
    """YAML turns 2007-01-13 into a date but leaves 2015-06 a string; keep both as text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=48)]  # fits callback data
#: Message and concept names: a lower-case letter, then lower-case letters, digits and '_'.
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
MessageName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
DateText = Annotated[str, BeforeValidator(_date_text), StringConstraints(pattern=_DATE.pattern)]


class Strict(BaseModel):
    """Every schema object rejects unknown keys: a typo in a key name must not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    """A text in every language the bot speaks."""

    en: Text
    id: Text

    def get(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.id


class Phrasings(Strict):
    """Ways a person may ask, per language; the first one is shown in "Did you mean…?"."""

    en: list[Text] = Field(min_length=1)
    id: list[Text] = Field(min_length=1)

    def get(self, lang: Lang) -> list[str]:
        return self.en if lang == "en" else self.id


class Mention(Strict):
    """Another publication of the same material (a repost, another outlet's report)."""

    title: Text
    publisher: Text
    published: DateText | None = None
    url: Text | None = None


class Source(Strict):
    """A publication an answer rests on. ``title`` or, when the title is unknown, ``description``."""

    id: Id
    title: Text | None = None
    description: Text | None = None
    publisher: Text
    author: Text | None = None
    published: DateText
    url: Text | None = None
    also: list[Mention] = []

    @model_validator(mode="after")
    def _named(self) -> Source:
        if not (self.title or self.description):
            raise ValueError("a source needs a title or, when the title is unknown, a description")
        return self

    @property
    def label(self) -> str:
        return self.title or self.description or self.id


class Quote(Strict):
    """A short verbatim quote from a source, in the source's own language."""

    text: Text
    by: Text | None = None
    source: Id


class Entry(Strict):
    """One answerable question: how people ask it, the answer, and what the answer rests on."""

    id: Id
    topic: Id
    questions: Phrasings
    answer: Localized
    sources: list[Id] = Field(min_length=1)
    quote: Quote | None = None
    related: list[Id] = []


ConceptName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class Urgent(Strict):
    """A situation in which a worker needs people first (see knowledge/urgent.yaml and bot.urgency):
    recognised when every concept of one ``when`` line is in the message."""

    id: Id
    says: Localized
    when: list[Annotated[list[ConceptName], Field(min_length=1)]] = Field(min_length=1)
    crisis: bool = False
    #: How many words apart the concepts of one ``when`` line may be (about a clause; a story such
    #: as a debt that binds a worker spreads over several).
    reach: int = Field(6, ge=1, le=50)
    related: list[Id] = []
    examples: list[Text] = []


class Topic(Strict):
    id: Id
    title: Localized


class Smalltalk(Strict):
    """Greetings and thanks: answered kindly, never with a fact."""

    id: Id
    #: Per language: the words also tell which language to reply in ("selamat pagi" gets Indonesian).
    phrasings: Phrasings
    reply: Localized


class Abbreviations(Strict):
    """Chat abbreviations per language; the language also counts as evidence of what the user writes."""

    en: dict[str, Text] = {}
    id: dict[str, Text] = {}


class Stopwords(Strict):
    """Words that carry no topic; also the strongest sign of which language a message is in."""

    en: list[Text] = []
    id: list[Text] = []


class KnowledgeFile(Strict):
    """One file of the knowledge base; every section is optional, the set is checked as a whole."""

    #: Everyday words of each language that no phrasing uses ("perut", "muntah"): evidence of which
    #: language a message is in, nothing else (a worker in danger is answered in their language).
    language_words: Stopwords = Stopwords()

    sources: list[Source] = []
    topics: list[Topic] = []
    entries: list[Entry] = []
    urgent: list[Urgent] = []
    urgent_words: dict[ConceptName, list[Text]] = {}
    #: Messages the semantic signal compares a new one with (bot/semantic.py): situation id → messages
    #: that describe it, and messages that use the same words but are no emergency.
    urgent_examples: dict[Id, list[Text]] = {}
    not_urgent_examples: list[Text] = []
    abbreviations: Abbreviations = Abbreviations()
    synonyms: list[list[Text]] = []
    stopwords: Stopwords = Stopwords()
    question_words: list[Text] = []
    present_words: list[Text] = []
    entities: list[Text] = []
    speech_words: list[Text] = []
    count_words: list[Text] = []
    exclusion_words: list[Text] = []
    check_words: list[Text] = []
    check_tags: list[Text] = []
    setting_words: list[Text] = []
    asking_words: list[Text] = []
    smalltalk: list[Smalltalk] = []
    messages: dict[MessageName, Localized] = {}
