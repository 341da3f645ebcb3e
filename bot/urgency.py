"""Recognising a worker in danger however they write it.

Why word lists and rules rather than a list of phrasings or a trained model: people describe the
same danger in a thousand ways ("boss hit me", "kena pukul dgn tauke", "badan sy biru2, nyonya suka
nendang"), so a phrasing that must match whole misses most of them; but the words that carry the
danger are few per situation and language, and a worker's affixes, typos and chat spellings can be
taken off before the words are compared. So a situation is a few *concepts* that must all be
present (a document and holding it; a wage and a negation), each concept a list of roots in any
language (``knowledge/urgent.yaml``), and a small gate of cue concepts tells a present danger from a
policy question, news, research, a joke, a hypothetical, or a past and resolved story. Admins add
words without code, every decision can be explained (:class:`Detection` says which words and which
cue), and it costs microseconds. The measured figures are in docs/urgent.md.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.morphology import roots
from bot.normalize import typo_cutoff
from bot.schema import Urgent

#: Cue concepts the gate reads; knowledge/urgent.yaml must define each one.
CUES = ("not", "personal", "actor", "help", "now", "still", "past", "resolved", "if", "suppose", "asking",
        "may", "general", "research", "joke", "firm")  # fmt: skip
#: Optional: phrases whose words are never evidence ("pukul 4" is four o'clock, not a beating).
IGNORE = "ignore"
#: Optional: words that play a trouble down ("tp gpp", "takpe lah", "annoying but ok"). They never
#: veto the words' own findings (a worker in danger may say "gpp" too), but the semantic signal needs
#: a wider margin to call such a message an emergency (bot.semantic.VETOED_MARGIN).
FINE = "fine"
#: Cues that set a message aside as something other than an emergency now, found or not a danger.
_SETTLING = ("resolved", "joke", "research", FINE)

#: Cues a negation turns round: "no news" is no news story, "not kidding" no joke, "not safe" not resolved,
#: "never again" / "tidak lagi" no longer going on.
_NEGATABLE_CUES = frozenset({"research", "joke", "resolved", "still"})

#: How close a misspelling must be to a listed word (rapidfuzz ratio); see also :func:`_slip`.
SPELLING_CUTOFF = 85.0

#: How many words from the danger a `still` cue must be to keep a past story open ("dulu paspor
#: ditahan, sampai sekarang masih"), not a later "lagi" about something else ("mau berangkat lagi").
STILL_REACH = 8

#: How many words before a concept's word a negation cancels it ("tidak pernah dipukul").
NEGATION_REACH = 2

_CONTRACTION = re.compile(r"\b(can|won|ain)['’]t\b")
_NOT_SUFFIX = re.compile(r"n['’]t\b")
_TOKEN = re.compile(r"\w+|!+|\?|[^\w\s]")
_REDUPLICATED = re.compile(r"^([^\W\d_]{2,})2(in|an|kan|nya|i)?$")  # "hari2" = "hari hari", "apa2in"
#: Punctuation that ends a clause: a phrase or a negation does not reach across it ("in his safe, now").
_CLAUSE_ENDS = frozenset(".,;:()")
BOUNDARY = "|"
#: Zero-width characters and the soft hyphen, which can sit inside a word unseen ("memu\u00adkul").
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_CONTRACTIONS = {"can": "can not", "won": "will not", "ain": "is not"}
_SHORT_VERB = re.compile(r"['’](m|re|ll|ve|d)\b")  # i'm → i am, they're → they are
_PRONOUN_IS = re.compile(r"\b(he|she|it|that|there|who|what)['’]s\b")  # she's → she is (not boss's)
_SHORT_VERBS = {"m": "am", "re": "are", "ll": "will", "ve": "have", "d": "would"}


def split_words(text: str) -> list[str]:
    """Lower-case words without accents, "n't" as "not", and the signs that count as words here:
    "?", runs of "!" ("!!" for two or more), and emoji."""
    text = text.casefold()
    if not text.isascii():
        text = text.translate(_INVISIBLE)
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if "'" in text or "’" in text:
        text = _NOT_SUFFIX.sub(" not", _CONTRACTION.sub(lambda m: _CONTRACTIONS[m.group(1)], text))
        text = _SHORT_VERB.sub(lambda m: " " + _SHORT_VERBS[m.group(1)], text)
        text = _PRONOUN_IS.sub(r"\1 is", text)
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        if tok in _CLAUSE_ENDS:
            if out and out[-1] != BOUNDARY:
                out.append(BOUNDARY)
        elif tok[0] == "!":
            out.append("!!" if len(tok) > 1 else "!")
        elif tok[0].isalnum() or tok in "?#" or not tok.isascii():
            doubled = _REDUPLICATED.match(tok)
            out += [doubled.group(1), doubled.group(1) + (doubled.group(2) or "")] if doubled else [tok]
    return out


def english_stems(word: str) -> set[str]:
    """locked → lock, beats → beat, hitting → hit, chased → chase: enough for word lists in base form."""
    out: set[str] = set()
    if len(word) < 4 or not word.isascii():
        return out
    if word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
        out |= {stem, stem + "e"}
        if stem[-1] == stem[-2]:
            out.add(stem[:-1])
    elif word.endswith("ed") and len(word) > 4:
        stem = word[:-2]
        out |= {stem, word[:-1]}
        if stem[-1] == stem[-2]:
            out.add(stem[:-1])
    elif word.endswith(("ses", "xes", "zes", "ches", "shes")):
        out |= {word[:-2], word[:-1]}
    elif word.endswith("s") and not word.endswith("ss"):
        out.add(word[:-1])
    return out


@dataclass(frozen=True)
class Detection:
    """What the detector found: the situations (crisis first), or why it set them aside."""

    situations: tuple[Urgent, ...] = ()
    #: The situations the words described before the gate looked at them.
    described: tuple[Urgent, ...] = ()
    #: The cue that set them aside: research, joke, resolved, past, hypothetical, question.
    vetoed_by: str | None = None
    #: Concept → the words of the message that matched it (for eval -v and the docs).
    evidence: dict[str, list[str]] = field(default_factory=dict)
    #: Whether the message holds words that set a trouble aside (resolved, a joke, research, "gpp"),
    #: whatever it describes: the semantic signal then needs a wider margin.
    settling: bool = False

    @property
    def urgent(self) -> bool:
        return bool(self.situations)


class UrgencyDetector:
    """Built once per knowledge-base version; :meth:`detect` is pure and thread-safe."""

    def __init__(
        self,
        concepts: Mapping[str, Iterable[str]],
        situations: Sequence[Urgent],
        abbreviations: Mapping[str, str] | None = None,
        known: Iterable[str] = (),
    ) -> None:
        self._abbreviations = {short: tuple(split_words(full)) for short, full in (abbreviations or {}).items()}
        self._single: dict[str, set[str]] = {}
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for concept, entries in concepts.items():
            for entry in entries:
                split = self._expand(split_words(entry))
                if len(split) == 1:
                    self._single.setdefault(split[0], set()).add(concept)
                elif split:
                    self._phrases.setdefault(split[0], []).append((tuple(split[1:]), concept))
        vocabulary = set(self._single) | set(self._phrases)
        vocabulary |= {w for tails in self._phrases.values() for tail, _ in tails for w in tail}
        self._vocabulary = frozenset(vocabulary)
        self._known = frozenset(known) | self._vocabulary | frozenset(self._abbreviations)
        self._by_first: dict[str, list[str]] = {}
        for word in sorted(w for w in self._vocabulary if w.isalpha()):
            self._by_first.setdefault(word[0], []).append(word)
        # crisis situations first, then the order of the file (the admins' order of priority)
        self.situations = tuple(sorted(situations, key=lambda s: not s.crisis))
        self._forms: dict[str, frozenset[str]] = {}

    def _expand(self, split: list[str]) -> list[str]:
        out: list[str] = []
        for word in split:
            out += self._abbreviations.get(word, (word,))
        return out

    def forms(self, word: str) -> frozenset[str]:
        """The word and the forms it may stand for: roots, English base form, "#" for a number, and
        the listed word it is a misspelling of."""
        cached = self._forms.get(word)
        if cached is not None:
            return cached
        found = {word} | roots(word) | english_stems(word)
        if word.isdigit():
            found.add("#")
        if word not in self._known and found.isdisjoint(self._vocabulary):
            cutoff = typo_cutoff(word)
            if cutoff is not None and word.isalpha():
                close = process.extract(
                    word, self._by_first.get(word[0], []), scorer=fuzz.ratio, processor=None,
                    score_cutoff=max(cutoff, SPELLING_CUTOFF), limit=3,
                )  # fmt: skip
                typo = next((str(c) for c, _, _ in close if _slip(word, str(c))), None)
                if typo is not None:
                    found.add(typo)
        result = frozenset(found)
        if len(self._forms) < 50_000:
            self._forms[word] = result
        return result

    def _hits(self, forms: list[frozenset[str]]) -> dict[str, list[tuple[int, int]]]:
        """Concept → (first, last) word positions of each match."""
        hits: dict[str, list[tuple[int, int]]] = {}
        for i, here in enumerate(forms):
            for form in here:
                for concept in self._single.get(form, ()):
                    hits.setdefault(concept, []).append((i, i))
                for tail, concept in self._phrases.get(form, ()):
                    end = _follows(forms, i, tail)
                    if end is not None:
                        hits.setdefault(concept, []).append((i, end))
        for concept in hits:
            hits[concept] = sorted(set(hits[concept]))
        return hits

    def _split_negation(self, words: list[str]) -> list[str]:
        """Malaysian chat glues "x" (tak) to its word: "xbayar", "xboleh" → "tak bayar", "tak boleh"."""
        out: list[str] = []
        for word in words:
            rest = word[1:]
            glued = word.startswith("x") and len(rest) >= 3 and word not in self._known
            if glued and (rest in self._known or not roots(rest).isdisjoint(self._vocabulary)):
                out += ["tak", rest]
            else:
                out.append(word)
        return out

    def detect(self, text: str) -> Detection:
        words = self._split_negation(self._expand(split_words(text)))
        forms = [self.forms(w) for w in words]
        hits = self._hits(forms)
        ignored = {p for start, end in hits.pop(IGNORE, ()) for p in range(start, end + 1)}
        # where each word's clause opens: both which clause a word is in and how far back a
        # negation may reach
        opens: list[int] = []
        for i in range(len(words)):
            opens.append(opens[-1] if i and words[i - 1] != BOUNDARY else i)

        def negated(start: int) -> bool:
            if start in negations:  # a phrase that is itself negative: "tak langsai, tak boleh berhenti"
                return False
            return not negations.isdisjoint(range(max(start - NEGATION_REACH, opens[start]), start))

        unnegated: dict[str, list[tuple[int, int]]] = {}
        kept: dict[str, list[tuple[int, int]]] = {}

        def usable(concept: str, negatable: bool) -> list[tuple[int, int]]:
            """The concept's matches outside `ignore` phrases (and, if ``negatable``, not negated);
            worked out once per message, as many rules share a concept."""
            if concept not in unnegated:
                unnegated[concept] = [
                    (s, e) for s, e in hits.get(concept, ()) if ignored.isdisjoint(range(s, e + 1))
                ]  # fmt: skip
            if not negatable:
                return unnegated[concept]
            if concept not in kept:
                kept[concept] = [(s, e) for s, e in unnegated[concept] if not negated(s)]
            return kept[concept]

        negations = {p for start, end in usable("not", False) for p in range(start, end + 1)}

        described: list[Urgent] = []
        first = len(words)
        evidence: dict[str, list[str]] = {}
        evidence_spans: list[tuple[int, int]] = []

        def found(rule: tuple[str, ...], reach: int) -> tuple[tuple[int, int], ...] | None:
            spans = [usable(concept, "not" not in rule) for concept in rule]
            if "not" not in rule:
                return _together(spans, reach)
            # "gaji tidak dibayar", not "dia tidak pernah kasar, gaji selalu tepat": the negation
            # and the words it negates are read within one clause
            for clause in sorted({opens[s] for s, _ in spans[rule.index("not")]}):
                within = [[(s, e) for s, e in each if opens[s] == clause] for each in spans]
                together = _together(within, reach)
                if together is not None:
                    return together
            return None

        for situation in self.situations:
            for rule in situation.when:
                together = found(tuple(rule), situation.reach)
                if together is not None:
                    if situation not in described:
                        described.append(situation)
                    first = min(first, *(start for start, _ in together))
                    evidence_spans += together
                    for concept, (start, end) in zip(rule, together, strict=True):
                        evidence.setdefault(concept, []).append(" ".join(words[start : end + 1]))
        settling = any(usable(cue, True) for cue in _SETTLING)
        if not described:
            return Detection(settling=settling)
        cues = {cue: usable(cue, cue in _NEGATABLE_CUES) for cue in CUES}
        # a question tag ("… gk?", "or not") is in `ignore` so that its negation negates nothing, but it asks
        cues["asking"] = list(hits.get("asking", ()))
        # "dulu" opens a past story ("dulu paspor sy ditahan") but after a verb means "first"
        # ("dilunasin dulu"): a past cue counts only among the first words of its clause.
        cues["past"] = [(s, e) for s, e in cues["past"] if s - opens[s] <= 2]
        near = {p for spans in evidence_spans for p in range(spans[0] - STILL_REACH, spans[1] + STILL_REACH + 1)}
        cues["still"] = [(s, e) for s, e in cues["still"] if s in near]
        vetoed_by = _veto(cues, first)
        if vetoed_by is not None:
            return Detection((), tuple(described), vetoed_by, evidence, settling)
        return Detection(tuple(described), tuple(described), None, evidence, settling)


#: Keys next to each other on a QWERTY phone keyboard, where a finger slips.
def _keyboard_neighbours(rows: Sequence[str]) -> frozenset[tuple[str, str]]:
    """Pairs of keys side by side in a row, or touching across rows, both ways round."""
    pairs = {
        (key, other)
        for row, below in itertools.pairwise((*rows, ""))
        for i, key in enumerate(row)
        for other in row[max(i - 1, 0) : i + 2] + below[max(i - 1, 0) : i + 2]
    }
    return frozenset(pairs | {(b, a) for a, b in pairs})


_NEIGHBOURS = _keyboard_neighbours(("qwertyuiop", "asdfghjkl", "zxcvbnm"))
_VOWELS = frozenset("aeiou")


def _slip(typed: str, listed: str) -> bool:
    """Whether ``typed`` is ``listed`` as people mistype it: letters dropped, doubled or swapped,
    a neighbouring key, or one vowel for another (chat spells by ear: "ngancem"). One letter
    changed for an unrelated one is usually another word: "pinggan" (a plate) is not "pingsan"."""
    for op in Levenshtein.editops(typed, listed):
        if op.tag == "replace":
            a, b = typed[op.src_pos], listed[op.dest_pos]
            if (a, b) not in _NEIGHBOURS and not (a in _VOWELS and b in _VOWELS):
                return False
    return True


def _together(found: list[list[tuple[int, int]]], reach: int) -> tuple[tuple[int, int], ...] | None:
    """One match of each concept of a rule, all within ``reach`` words of each other (the earliest
    such window), or ``None``: "gaji" and a "tidak" eight words later are not unpaid wages. Each
    match's start is tried as the window's start (matches come sorted), so a long message full of
    one concept's words costs a few bisections, not every combination."""
    if not all(found):
        return None
    if len(found) == 1:
        return (found[0][0],)
    for start in sorted({s for spans in found for s, _ in spans}):
        choice = []
        for spans in found:
            at = bisect.bisect_left(spans, (start, -1))
            if at == len(spans) or spans[at][0] > start + reach:
                break
            choice.append(spans[at])
        else:
            return tuple(choice)
    return None


def _follows(forms: list[frozenset[str]], start: int, tail: tuple[str, ...]) -> int | None:
    """Where ``tail`` ends if its words follow position ``start`` in order, each at most one word
    after the previous one."""
    at = start
    for word in tail:
        if at + 1 < len(forms) and word in forms[at + 1]:
            at += 1
        elif at + 2 < len(forms) and word in forms[at + 2] and BOUNDARY not in forms[at + 1]:
            at += 2
        else:
            return None
    return at


def _veto(cues: Mapping[str, list[tuple[int, int]]], first: int) -> str | None:
    """Why words that describe a danger are not an emergency now, if they are not."""
    firm = bool(cues["firm"])
    if cues["suppose"] and cues["suppose"][0][0] < first and not firm:
        return "hypothetical"  # "kalau satu hari nanti …, siapa boleh tolong?": even with a call for help
    if cues["help"]:
        return None
    if cues["research"]:
        return "research"
    if cues["joke"] and not firm:
        return "joke"
    if cues["resolved"]:
        return "resolved"
    if cues["past"] and cues["past"][0][0] < first and not cues["still"]:
        # "mau tanya dulu soal cuti… last night majikan masuk bilik": a `now` after the past marker
        # and before the danger moves the story to now
        opened = cues["past"][0][0]
        if not any(opened < start < first for start, _ in cues["now"]):
            return "past"
    if cues["if"] and cues["if"][0][0] < first and cues["asking"] and not (firm or cues["now"] or cues["still"]):
        return "hypothetical"
    if cues["may"] and cues["may"][0][0] < first and not (cues["now"] or cues["still"]):
        return "question"
    # "gaji tki tidak dibayar" is a topic; "tauke ambik fon semua pekerja" is one boss, today
    topic = cues["asking"] or (cues["general"] and not cues["actor"])
    if topic and not cues["personal"] and not cues["now"]:
        return "question"
    return None
