"""Loading and validating the knowledge base: every ``*.yaml`` file in one directory, merged.

Files are checked one by one against :mod:`bot.schema`, then as a set (duplicate ids, unknown
source/topic/related ids, required messages). Every problem carries its file and line. A set with
problems is never half-used: :func:`load_knowledge` raises, and the caller keeps what it had.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from bot import sourcetexts
from bot.bulk import paused_gc
from bot.problems import Problem, ProblemsError
from bot.schema import LANGS, NAME_PATTERN, Entry, KnowledgeFile, Lang, Localized, Smalltalk, Source, Topic, Urgent
from bot.urgency import BOUNDARY, CUES, split_words
from bot.yamlfile import LocatedData, PathKey, load_yaml

#: Texts the core itself needs; the knowledge base must define each in both languages.
REQUIRED_MESSAGES = (
    "help", "fallback", "referral", "referral_lead", "did_you_mean", "sources_heading", "also_published",
    "dated_now", "dated_year",
    # the Telegram front end
    "welcome", "privacy_note", "privacy", "language_prompt", "language_set", "non_text", "flood", "error",
    "feedback_thanks", "choose_topic", "choose_question", "back", "topics_button",
    "cmd_start", "cmd_help", "cmd_topics", "cmd_sources", "cmd_language", "cmd_privacy", "cmd_forget",
    "forget_confirm", "forget_yes", "forget_no", "forget_done", "forget_kept", "not_allowed",
    "urgent_crisis", "urgent_contacts", "handoff_offer", "placeholder_contacts", "human_console", "human_button",
    "telegram_only", "unknown_command",
    "back_to_bot", "ticket_opened", "ticket_open_already",
    "ticket_closed", "ticket_reply", "no_ticket", "cmd_human", "cmd_end",
    # moderators and admins
    "staff_review_empty", "staff_review_item", "staff_verdict_correct", "staff_verdict_wrong",
    "staff_verdict_new_entry", "staff_saved", "staff_gone", "staff_export_caption", "staff_export_too_big",
    "staff_reply_usage",
    "staff_close_usage", "staff_not_a_relay", "staff_ticket_not_open", "staff_ticket_closed", "staff_no_tickets",
    "staff_ticket_line",
    "staff_open_tickets", "staff_reloaded", "staff_not_reloaded", "staff_version", "staff_reload_refused",
    "staff_more_problems",
)  # fmt: skip

#: What a name must look like, by its pattern in bot.schema (ids take '-', names '_').
_PATTERN_NAMES = {
    NAME_PATTERN: "name (a lower-case letter, then lower-case letters, digits and '_')",
}

#: Telegram refuses messages longer than this; an answer plus its sources must fit.
MAX_ANSWER_CHARS = 3500


#: The language files' plain word lists (question words, entities, speech words…), each merged over
#: every file the same way: case-folded, as one set.
WORD_LISTS = (
    "question_words",
    "present_words",
    "entities",
    "speech_words",
    "count_words",
    "exclusion_words",
    "check_words",
    "check_tags",
    "setting_words",
    "asking_words",
)


@dataclass(frozen=True)
class KnowledgeBase:
    """The merged, validated knowledge base. Immutable, so it can be swapped atomically."""

    sources: dict[str, Source]
    topics: dict[str, Topic]
    entries: dict[str, Entry]
    abbreviations: dict[Lang, dict[str, str]]
    synonyms: list[list[str]]
    stopwords: dict[Lang, frozenset[str]]
    question_words: frozenset[str]
    present_words: frozenset[str]
    entities: frozenset[str]
    #: Words that attribute words to someone ("said", "speech", "bilang"): see Matcher.
    speech_words: frozenset[str]
    #: Words that ask for a count ("how many"): see Matcher.
    count_words: frozenset[str]
    #: Words that set something aside ("selain", "besides"): see Responder.first_pass.
    exclusion_words: frozenset[str]
    #: Words that open a yes/no check ("was…", "apakah…") and that close one ("…kan?"), words that
    #: set the place it checks ("in", "di"), and words that ask something else: see Matcher._corrects.
    check_words: frozenset[str]
    check_tags: frozenset[str]
    setting_words: frozenset[str]
    asking_words: frozenset[str]
    smalltalk: list[Smalltalk]
    messages: dict[str, Localized]
    version: str
    urgent: list[Urgent] = field(default_factory=list)
    #: The urgency detector's concepts (knowledge/urgent.yaml), merged across files.
    urgent_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Situation id → messages that describe it; and messages that do not (bot/semantic.py).
    urgent_examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    not_urgent_examples: tuple[str, ...] = ()
    #: Everyday words per language: evidence of the language only.
    language_words: dict[Lang, frozenset[str]] = field(default_factory=lambda: {"en": frozenset(), "id": frozenset()})
    files: tuple[Path, ...] = field(default=())
    #: Where things were defined: ("entry", id), ("source", id), ("phrasing", entry id, lang, index).
    origins: dict[tuple[str, ...], tuple[Path, int]] = field(default_factory=dict)

    def message(self, name: str, lang: Lang) -> str:
        return self.messages[name].get(lang)

    @functools.cached_property
    def by_topic(self) -> dict[str, tuple[str, ...]]:
        """Entry ids per topic, in file order: the related questions under an answer are filled up
        from here, once per knowledge-base version instead of a scan of every entry per answer
        (31 ms at 50,000 entries)."""
        topics: dict[str, list[str]] = {}
        for entry in self.entries.values():
            topics.setdefault(entry.topic, []).append(entry.id)
        return {topic: tuple(ids) for topic, ids in topics.items()}

    def where(self, *key: str) -> tuple[Path, int]:
        return self.origins.get(key, (self.files[0].parent if self.files else Path("."), 0))


@dataclass
class _Origin:
    """Where each id was defined, so set-level problems can name a line too."""

    lines: dict[tuple[str, ...], tuple[Path, int]] = field(default_factory=dict)

    def at(self, kind: str, ident: str) -> tuple[Path, int]:
        return self.lines[(kind, ident)]


def _format_loc(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_problems(located: LocatedData, errors: list[ErrorDetails]) -> list[Problem]:
    problems = []
    for err in errors:
        loc: PathKey = tuple(err["loc"])
        message = str(err["msg"])
        if err["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
        elif err["type"] == "missing":
            message = f"missing required field '{loc[-1]}'"
        elif err["type"] == "string_type" and isinstance(err.get("input"), bool):
            message += " (YAML reads a bare yes/no/on/off/true/false as true or false: put it in quotes)"
        elif err["type"] == "string_pattern_mismatch":
            what = _PATTERN_NAMES.get(str(err.get("ctx", {}).get("pattern")), "id (lower-case letters, digits and '-')")
            message = f"'{err.get('input')}' is not a valid {what}"
        problems.append(Problem(located.path, located.line_of(loc), f"{_format_loc(loc)}: {message}"))
    return problems


def parse_file(path: Path, raw: bytes | None = None) -> tuple[KnowledgeFile | None, LocatedData | None, list[Problem]]:
    """Parse and schema-check one file (``raw``: its bytes, when already read)."""
    located, problems = load_yaml(path, raw)
    if located is None:
        return None, None, problems
    data = located.data if located.data is not None else {}
    if not isinstance(data, dict):
        return None, located, [*problems, Problem(path, 1, "the file must be a mapping of sections")]
    validated, errors = _validated(data)
    if errors:
        return None, located, [*problems, *_schema_problems(located, errors)]
    return validated, located, problems


#: Entries are checked this many at a time: one call over 10,000 entries holds the GIL for about
#: 0.2 s, and a live reload runs beside the thread that serves (bench/reload.py).
ENTRIES_PER_CHECK = 250
_ENTRIES = TypeAdapter(list[Entry])


def _validated(data: dict[str, object]) -> tuple[KnowledgeFile | None, list[ErrorDetails]]:
    """The file checked against the schema, or every error found (with its location in the file)."""
    entries = data.get("entries")
    if not isinstance(entries, list) or len(entries) <= ENTRIES_PER_CHECK:
        try:
            return KnowledgeFile.model_validate(data), []
        except ValidationError as exc:
            return None, exc.errors(include_url=False)
    errors: list[ErrorDetails] = []
    try:
        head = KnowledgeFile.model_validate({**data, "entries": []})
    except ValidationError as exc:
        head = None
        errors.extend(exc.errors(include_url=False))
    checked: list[Entry] = []
    for start in range(0, len(entries), ENTRIES_PER_CHECK):
        try:
            checked.extend(_ENTRIES.validate_python(entries[start : start + ENTRIES_PER_CHECK]))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                index, *rest = err["loc"]
                errors.append({**err, "loc": ("entries", start + int(index), *rest)})
    if errors or head is None:
        return None, errors
    return head.model_copy(update={"entries": checked}), []


def _unusable_words(located: LocatedData, concept: str, listed: list[str]) -> list[Problem]:
    """Urgent words that would silently never match, or match every number."""
    if not listed:
        line = located.line_of(("urgent_words", concept))
        return [Problem(located.path, line, f"urgent_words.{concept}: the list is empty")]
    problems = []
    for i, word in enumerate(listed):
        split = [w for w in split_words(word) if w != BOUNDARY]
        line = located.line_of(("urgent_words", concept, i))
        if not split:
            problems.append(Problem(located.path, line, f"urgent_words.{concept}: {word!r} has no word in it"))
        elif split == ["#"]:
            problems.append(Problem(located.path, line, f"urgent_words.{concept}: '#' alone would count every number"))
    return problems


def knowledge_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def check_knowledge(directory: Path, phrasing_lines: bool = False) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Load and check a whole directory; the knowledge base is ``None`` when anything is wrong.

    ``phrasing_lines`` also records the line of every phrasing, for the linter; the running bot
    does not need them (they cost memory in proportion to the knowledge base)."""
    with paused_gc():
        return _check_knowledge(directory, phrasing_lines)


def _check_knowledge(directory: Path, phrasing_lines: bool) -> tuple[KnowledgeBase | None, list[Problem]]:
    if not directory.is_dir():
        return None, [Problem(directory, 0, "knowledge directory not found")]
    paths = knowledge_files(directory)
    if not paths:
        return None, [Problem(directory, 0, "no *.yaml files in the knowledge directory")]
    problems: list[Problem] = []
    parsed: list[tuple[KnowledgeFile, LocatedData]] = []
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        raw = None
        with contextlib.suppress(OSError):  # load_yaml reports the unreadable file
            raw = path.read_bytes()  # read once: hashed for the version, then parsed
            digest.update(raw)
        kfile, located, file_problems = parse_file(path, raw)
        problems.extend(file_problems)
        if kfile is not None and located is not None:
            parsed.append((kfile, located))
    texts, text_problems = sourcetexts.read_texts(sourcetexts.text_files(directory))
    for source_id, text in texts.items():  # a source's text decides whether its quotes hold: part of the version
        digest.update(f"{sourcetexts.FOLDER}/{source_id}\0{text.text}".encode())
    problems.extend(text_problems)
    complete = len(parsed) == len(paths) and not text_problems
    kb, set_problems = _merge(parsed, tuple(paths), digest.hexdigest()[:12], complete, phrasing_lines, texts)
    problems.extend(set_problems)
    return (kb if not problems else None), sorted(problems)


def load_knowledge(directory: Path) -> KnowledgeBase:
    """The knowledge base in ``directory``, or :class:`ProblemsError` listing every problem."""
    kb, problems = check_knowledge(directory)
    if kb is None:
        raise ProblemsError(problems)
    return kb


def _merge(
    parsed: list[tuple[KnowledgeFile, LocatedData]],
    paths: tuple[Path, ...],
    version: str,
    complete: bool,
    phrasing_lines: bool,
    texts: dict[str, sourcetexts.SourceText],
) -> tuple[KnowledgeBase, list[Problem]]:
    """Merge parsed files; cross-references are checked only when every file parsed (``complete``),
    since a file that failed could hold the missing definitions."""
    problems: list[Problem] = []
    origin = _Origin()
    sources: dict[str, Source] = {}
    topics: dict[str, Topic] = {}
    entries: dict[str, Entry] = {}
    abbreviations: dict[Lang, dict[str, str]] = {"en": {}, "id": {}}
    synonyms: list[list[str]] = []
    stopwords: dict[Lang, set[str]] = {"en": set(), "id": set()}
    language_words: dict[Lang, set[str]] = {"en": set(), "id": set()}
    word_lists: dict[str, set[str]] = {name: set() for name in WORD_LISTS}
    smalltalk: list[Smalltalk] = []
    urgent: list[Urgent] = []
    urgent_words: dict[str, list[str]] = {}
    urgent_examples: dict[str, list[str]] = {}
    not_urgent_examples: list[str] = []
    messages: dict[str, Localized] = {}

    def claim(kind: str, ident: str, located: LocatedData, loc: PathKey) -> bool:
        line = located.line_of(loc)
        if (kind, ident) in origin.lines:
            first_path, first_line = origin.at(kind, ident)
            problems.append(
                Problem(
                    located.path, line, f"duplicate {kind} id '{ident}' (first defined at {first_path}:{first_line})"
                )
            )
            return False
        origin.lines[(kind, ident)] = (located.path, line)
        return True

    for kfile, located in parsed:
        for i, source in enumerate(kfile.sources):
            if claim("source", source.id, located, ("sources", i)):
                sources[source.id] = source
        for i, topic in enumerate(kfile.topics):
            if claim("topic", topic.id, located, ("topics", i)):
                topics[topic.id] = topic
        for i, entry in enumerate(kfile.entries):
            if claim("entry", entry.id, located, ("entries", i)):
                entries[entry.id] = entry
                if entry.quote is not None:
                    origin.lines[("quote", entry.id)] = (located.path, located.line_of(("entries", i, "quote", "text")))
                for lang in LANGS if phrasing_lines else ():
                    for j, _ in enumerate(entry.questions.get(lang)):
                        line = located.line_of(("entries", i, "questions", lang, j))
                        origin.lines[("phrasing", entry.id, lang, str(j))] = (located.path, line)
        for i, alarm in enumerate(kfile.urgent):
            if claim("urgent", alarm.id, located, ("urgent", i)):
                urgent.append(alarm)
        for concept, listed in kfile.urgent_words.items():
            urgent_words.setdefault(concept, []).extend(listed)  # a list may grow in another file
            origin.lines.setdefault(
                ("urgent_words", concept), (located.path, located.line_of(("urgent_words", concept)))
            )
            problems.extend(_unusable_words(located, concept, listed))
        for situation_id, said in kfile.urgent_examples.items():
            urgent_examples.setdefault(situation_id, []).extend(said)
            origin.lines.setdefault(
                ("urgent_examples", situation_id),
                (located.path, located.line_of(("urgent_examples", situation_id))),
            )
        not_urgent_examples.extend(kfile.not_urgent_examples)
        for i, talk in enumerate(kfile.smalltalk):
            if claim("smalltalk", talk.id, located, ("smalltalk", i)):
                smalltalk.append(talk)
        for name, text in kfile.messages.items():
            if claim("message", name, located, ("messages", name)):
                messages[name] = text
        for lang in LANGS:
            for short, full in getattr(kfile.abbreviations, lang).items():
                abbreviations[lang][short.casefold()] = full
            stopwords[lang].update(w.casefold() for w in getattr(kfile.stopwords, lang))
            language_words[lang].update(w.casefold() for w in getattr(kfile.language_words, lang))
        synonyms.extend(kfile.synonyms)
        for name in WORD_LISTS:
            word_lists[name].update(w.casefold() for w in getattr(kfile, name))

    for entry in entries.values() if complete else ():
        path, line = origin.at("entry", entry.id)
        for source_id in entry.sources:
            if source_id not in sources:
                problems.append(Problem(path, line, f"entry '{entry.id}': unknown source id '{source_id}'"))
        if entry.quote and entry.quote.source not in entry.sources:
            problems.append(
                Problem(
                    path,
                    line,
                    f"entry '{entry.id}': quote.source '{entry.quote.source}' is not one of the entry's sources",
                )
            )
        if entry.topic not in topics:
            problems.append(Problem(path, line, f"entry '{entry.id}': unknown topic '{entry.topic}'"))
        for other in entry.related:
            if other not in entries:
                problems.append(Problem(path, line, f"entry '{entry.id}': unknown related entry '{other}'"))
        for lang in LANGS:
            if len(entry.answer.get(lang)) > MAX_ANSWER_CHARS:
                problems.append(
                    Problem(
                        path, line, f"entry '{entry.id}': answer.{lang} is longer than {MAX_ANSWER_CHARS} characters"
                    )
                )
    if complete:
        problems.extend(
            sourcetexts.check(
                {source_id: origin.at("source", source_id) for source_id in sources},
                [(e.id, e.quote.source, e.quote.text, *origin.at("quote", e.id)) for e in entries.values() if e.quote],
                texts,
            )
        )
    for alarm in urgent if complete else ():
        path, line = origin.at("urgent", alarm.id)
        for other in alarm.related:
            if other not in entries:
                problems.append(Problem(path, line, f"urgent '{alarm.id}': unknown related entry '{other}'"))
        for concept in sorted({c for rule in alarm.when for c in rule} - urgent_words.keys()):
            problems.append(
                Problem(path, line, f"urgent '{alarm.id}': unknown concept '{concept}' (define it in urgent_words)")
            )
    known_situations = {alarm.id for alarm in urgent}
    for situation_id in sorted(urgent_examples.keys() - known_situations if complete else ()):
        path, line = origin.at("urgent_examples", situation_id)
        problems.append(Problem(path, line, f"urgent_examples: unknown situation '{situation_id}'"))
    for cue in CUES if urgent and complete else ():
        if cue not in urgent_words:
            path, line = origin.at("urgent", urgent[0].id)
            problems.append(Problem(path, line, f"urgent_words: the cue '{cue}' is not defined (see docs/urgent.md)"))
    for name in REQUIRED_MESSAGES if complete else ():
        if name not in messages:
            where = paths[0].parent if paths else Path(".")
            problems.append(Problem(where, 0, f"message '{name}' is not defined in any file"))
    if not entries and complete:
        problems.append(Problem(paths[0].parent, 0, "the knowledge base has no entries"))

    kb = KnowledgeBase(
        sources=sources,
        topics=topics,
        entries=entries,
        abbreviations=abbreviations,
        synonyms=synonyms,
        stopwords={lang: frozenset(words) for lang, words in stopwords.items()},
        **{name: frozenset(listed) for name, listed in word_lists.items()},
        smalltalk=smalltalk,
        urgent=urgent,
        urgent_words={concept: tuple(listed) for concept, listed in urgent_words.items()},
        urgent_examples={
            situation: tuple(said) for situation, said in urgent_examples.items() if situation in known_situations
        },
        not_urgent_examples=tuple(not_urgent_examples),
        language_words={lang: frozenset(listed) for lang, listed in language_words.items()},
        origins=dict(origin.lines),
        messages=messages,
        version=version,
        files=paths,
    )
    return kb, problems
