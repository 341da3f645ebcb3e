"""Knowledge-base loading and validation (bot.knowledge), and the bundled knowledge base itself."""

import re
from pathlib import Path

import pytest

from bot.knowledge import ENTRIES_PER_CHECK, REQUIRED_MESSAGES, KnowledgeBase, check_knowledge, load_knowledge
from bot.problems import ProblemsError
from tests.generated import long_knowledge_file


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_bundled_knowledge_is_valid(kb: KnowledgeBase) -> None:
    """The shipped knowledge base loads with no problems."""
    assert kb.entries and kb.sources and kb.version


def test_bundled_knowledge_size(kb: KnowledgeBase) -> None:
    """At least 30 entries, each asked at least five ways in each language."""
    assert len(kb.entries) >= 30
    for entry in kb.entries.values():
        assert len(entry.questions.en) >= 5, entry.id
        assert len(entry.questions.id) >= 5, entry.id


@pytest.mark.parametrize(
    "term",
    ["ASEAN", "ATUC", "ACE", "IOM", "IALI", "ILO", "AEC", "MEA", "Cebu", "Ministry of Manpower", "Kemnaker"],
)
def test_glossary_names_every_organisation(kb: KnowledgeBase, term: str) -> None:
    """Every organisation, agreement and acronym the articles name has a glossary-style entry."""
    assert any(
        term.casefold() in " ".join(e.questions.en + e.questions.id).casefold()
        and (e.topic in ("glossary", "agreements"))
        for e in kb.entries.values()
    )


def test_answers_state_only_dates_the_sources_carry(kb: KnowledgeBase) -> None:
    """Every year in an answer is a year of a cited source's publication (no invented dates)."""
    for entry in kb.entries.values():
        cited = kb.sources.values()
        years = {s.published[:4] for s in cited} | {m.published[:4] for s in cited for m in s.also if m.published}
        for lang in ("en", "id"):
            for year in re.findall(r"\b(?:19|20)\d\d\b", entry.answer.get(lang)):
                assert year in years, f"{entry.id}: {year}"


def test_no_phone_numbers_or_unknown_urls(kb: KnowledgeBase) -> None:
    """No text holds a phone-number-like digit run or a URL that is not a source's."""
    urls = {s.url for s in kb.sources.values()} | {m.url for s in kb.sources.values() for m in s.also}
    texts = [e.answer.en for e in kb.entries.values()] + [e.answer.id for e in kb.entries.values()]
    texts += [m.en for m in kb.messages.values()] + [m.id for m in kb.messages.values()]
    for text in texts:
        assert not re.search(r"\+?\d[\d\s-]{6,}\d", text), text
        for url in re.findall(r"https?://\S+", text):
            assert url in urls


def test_answers_carry_their_time(kb: KnowledgeBase) -> None:
    """Every answer that reports an article says when (a year) in both languages."""
    for entry in kb.entries.values():
        for lang in ("en", "id"):
            assert re.search(r"\b20\d\d\b", entry.answer.get(lang)), f"{entry.id} ({lang})"


def test_unknown_source_id_names_file_and_line(kb_copy: Path) -> None:
    """An entry citing a source that does not exist is an error at that entry's line."""
    path = kb_copy / "glossary.yaml"
    _replace(path, "sources: [labour-inspection-2023]\n\n  - id: iali", "sources: [no-such-source]\n\n  - id: iali")
    kb, problems = check_knowledge(kb_copy)
    assert kb is None
    assert [str(p) for p in problems] == [
        f"{path}:{_line_of(path, '- id: iom')}: entry 'iom': unknown source id 'no-such-source'"
    ]


def test_duplicate_entry_id_across_files(kb_copy: Path) -> None:
    """The same entry id in two files is an error that points at both places."""
    path = kb_copy / "glossary.yaml"
    _replace(path, "  - id: iali\n", "  - id: cebu-declaration\n")
    _, problems = check_knowledge(kb_copy)
    assert len(problems) == 1
    assert "duplicate entry id 'cebu-declaration'" in problems[0].message
    assert "entries-agreements.yaml" in problems[0].message


def test_missing_language_is_an_error(kb_copy: Path) -> None:
    """An answer without its Indonesian text is reported at the answer's line."""
    path = kb_copy / "glossary.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("      id: >-\n        IALI adalah")
    end = text.index("    sources:", start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    _, problems = check_knowledge(kb_copy)
    assert len(problems) == 1
    assert problems[0].path == path
    assert problems[0].message.endswith("answer.id: missing required field 'id'")
    assert "entries[4]" in problems[0].message


def test_unknown_key_is_an_error(kb_copy: Path) -> None:
    """A misspelt key is not silently ignored."""
    path = kb_copy / "glossary.yaml"
    _replace(path, "    related: [call-for-cooperation, joint-handling]", "    relatd: [call-for-cooperation]")
    _, problems = check_knowledge(kb_copy)
    assert len(problems) == 1
    assert problems[0].line == _line_of(path, "relatd:")
    assert "unknown key 'relatd'" in problems[0].message


def test_yaml_boolean_gets_a_hint(kb_copy: Path) -> None:
    """A bare `no` (read by YAML as false) is explained, since admins will meet it."""
    path = kb_copy / "language.yaml"
    _replace(path, "[a, an, the,", "[a, no, an, the,")
    _, problems = check_knowledge(kb_copy)
    assert len(problems) == 1 and "put it in quotes" in problems[0].message


def test_broken_yaml_reports_only_its_own_problem(kb_copy: Path) -> None:
    """A file that does not parse yields its syntax error, not a cascade of missing definitions."""
    path = kb_copy / "conversation.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  bad: [\n", encoding="utf-8")
    _, problems = check_knowledge(kb_copy)
    assert len(problems) == 1 and problems[0].path == path and "syntax" in problems[0].message


def test_required_messages_are_checked(kb_copy: Path) -> None:
    """A knowledge base without the fallback text cannot be loaded."""
    path = kb_copy / "conversation.yaml"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("  fallback:\n"), text.index("  referral:\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    _, problems = check_knowledge(kb_copy)
    assert [p.message for p in problems] == ["message 'fallback' is not defined in any file"]
    assert "fallback" in REQUIRED_MESSAGES


def test_load_raises_with_every_problem(kb_copy: Path) -> None:
    """load_knowledge refuses a broken set and carries all problems, first one as its message."""
    (kb_copy / "extra.yaml").write_text("entries:\n  - id: Bad Id\n", encoding="utf-8")
    with pytest.raises(ProblemsError) as caught:
        load_knowledge(kb_copy)
    assert len(caught.value.problems) >= 2
    assert str(caught.value).startswith(str(kb_copy / "extra.yaml") + ":2:")


def test_missing_directory(tmp_path: Path) -> None:
    """A knowledge directory that does not exist is one clear problem."""
    _, problems = check_knowledge(tmp_path / "nope")
    assert [p.message for p in problems] == ["knowledge directory not found"]


def test_version_changes_with_content(kb_copy: Path, kb: KnowledgeBase) -> None:
    """The version hash is the same for the same files and changes when a file changes."""
    assert load_knowledge(kb_copy).version == kb.version
    _replace(kb_copy / "glossary.yaml", "Who is Hanif Dhakiri?", "Who was Hanif Dhakiri?")
    assert load_knowledge(kb_copy).version != kb.version


def test_unknown_urgent_concept_names_file_and_line(kb_copy: Path) -> None:
    """A `when` line naming a concept no urgent_words list defines is an error at that situation."""
    path = kb_copy / "urgent.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("      - [sexual]\n", "      - [sexul]\n"), "utf-8")
    kb, problems = check_knowledge(kb_copy)
    assert kb is None
    (problem,) = problems
    assert problem.path == path and problem.line == _line_of(path, "- id: sexual-abuse")
    assert "urgent 'sexual-abuse': unknown concept 'sexul'" in problem.message


def test_a_missing_urgent_cue_is_an_error(kb_copy: Path) -> None:
    """The gate's cue concepts must all be defined, or questions could be taken for emergencies."""
    path = kb_copy / "urgent.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  joke: [")
    path.write_text(text[:start] + text[text.index("  firm: [", start) :], encoding="utf-8")
    kb, problems = check_knowledge(kb_copy)
    assert kb is None and any("the cue 'joke' is not defined" in p.message for p in problems)


def test_urgent_words_may_grow_in_another_file(kb_copy: Path) -> None:
    """An admin adds words to a concept in a file of their own; both lists count."""
    (kb_copy / "local.yaml").write_text("urgent_words:\n  hit: [zzbeat]\n", encoding="utf-8")
    kb = load_knowledge(kb_copy)
    assert "zzbeat" in kb.urgent_words["hit"] and "pukul" in kb.urgent_words["hit"]


@pytest.mark.parametrize(
    ("listed", "message"),
    [("[]", "urgent_words.pickup: the list is empty"),
     ('["...", jemput]', "urgent_words.pickup: '...' has no word in it"),
     ('["#", jemput]', "urgent_words.pickup: '#' alone would count every number")],
)  # fmt: skip
def test_urgent_words_that_could_never_work_are_errors(kb_copy: Path, listed: str, message: str) -> None:
    """An empty list, punctuation, or a bare number sign would silently break a rule: an error at its line."""
    path = kb_copy / "urgent.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  pickup: [")
    path.write_text(text[:start] + f"  pickup: {listed}\n" + text[text.index("\n", start) + 1 :], encoding="utf-8")
    kb, problems = check_knowledge(kb_copy)
    assert kb is None and [p.message for p in problems] == [message]
    assert problems[0].path == path and problems[0].line == _line_of(path, "  pickup: ")


def test_a_bad_concept_name_says_what_a_name_is(kb_copy: Path) -> None:
    """Concept names take '_', not '-': the error says so rather than describing an id."""
    path = kb_copy / "urgent.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  pickup: [", "  pick-up: ["), encoding="utf-8")
    _, problems = check_knowledge(kb_copy)
    assert any("'pick-up' is not a valid name (a lower-case letter, then" in p.message for p in problems)


def test_an_altered_quote_is_an_error_at_its_line(kb_copy: Path) -> None:
    """A quote that is not word for word in its source's text is refused at the quote's line."""
    path = kb_copy / "entries-geneva-2015.yaml"
    _replace(path, "we all should have the same willingness", "we all must have the same willingness")
    kb, problems = check_knowledge(kb_copy)
    assert kb is None
    line = _line_of(path, "we all must have the same willingness")
    assert [str(p) for p in problems] == [
        f"{path}:{line}: entry 'technical-social-protection': the quote is not word for word in "
        "sources/jakarta-post-2015.txt"
    ]


def test_quote_marks_and_spacing_do_not_count(kb_copy: Path) -> None:
    """Straight or curly quote marks, line breaks and a quote's final full stop are not differences."""
    text = kb_copy / "sources" / "jakarta-post-2015.txt"
    _replace(text, "Under the spirit of ASEAN, we all", "Under the spirit\n  of ASEAN, we all")
    _replace(text, "workers’ rights", "workers' rights")
    kb, problems = check_knowledge(kb_copy)
    assert problems == [] and kb is not None


def test_a_source_without_its_text_is_an_error(kb_copy: Path) -> None:
    """Every declared source needs its text, at the line the source is declared."""
    (kb_copy / "sources" / "asean-consensus-2017.txt").unlink()
    kb, problems = check_knowledge(kb_copy)
    path = kb_copy / "sources.yaml"
    assert kb is None
    assert [str(p) for p in problems] == [
        f"{path}:{_line_of(path, '- id: asean-consensus-2017')}: source 'asean-consensus-2017': its text is "
        "missing; add the publisher's text as sources/asean-consensus-2017.txt (docs/knowledge.md)"
    ]


def test_a_text_no_source_declares_is_an_error(kb_copy: Path) -> None:
    """A text under sources/ whose name is no source id is reported: most likely a misspelt name."""
    (kb_copy / "sources" / "jakarta-post.txt").write_text("Some text.", encoding="utf-8")
    kb, problems = check_knowledge(kb_copy)
    assert kb is None
    assert [p.message for p in problems] == ["no source with id 'jakarta-post' is declared for this text"]


def test_editing_a_source_text_changes_the_version(kb_copy: Path, kb: KnowledgeBase) -> None:
    """A reload must notice an edited source text: it decides whether the quotes hold."""
    (kb_copy / "sources" / "jakarta-post-2015.txt").write_text(
        (kb_copy / "sources" / "jakarta-post-2015.txt").read_text(encoding="utf-8") + "\nA later correction.\n",
        encoding="utf-8",
    )
    assert load_knowledge(kb_copy).version != kb.version


def test_entries_by_topic_hold_every_entry_once_in_file_order(kb: KnowledgeBase) -> None:
    """The topic index the related questions are filled from lists each entry once, under its topic."""
    listed = [entry_id for ids in kb.by_topic.values() for entry_id in ids]
    assert sorted(listed) == sorted(kb.entries)
    for topic, ids in kb.by_topic.items():
        assert list(ids) == [e.id for e in kb.entries.values() if e.topic == topic]


def test_a_schema_error_in_a_long_file_names_its_entry_and_line(kb_copy: Path) -> None:
    """Entries are checked in batches (ENTRIES_PER_CHECK); an error in a later batch still points at its entry."""
    count = ENTRIES_PER_CHECK + 60
    path = long_knowledge_file(kb_copy, count, bad=count - 5)
    kb, problems = check_knowledge(kb_copy)
    assert kb is None
    assert [str(p) for p in problems] == [
        f"{path}:{_line_of(path, 'colour: red')}: entries[{count - 5}].colour: unknown key 'colour'"
    ]


def test_a_long_valid_file_loads_every_entry(kb_copy: Path) -> None:
    """Batched checking keeps every entry, in order."""
    count = 2 * ENTRIES_PER_CHECK + 3
    long_knowledge_file(kb_copy, count)
    kb = load_knowledge(kb_copy)
    assert [e for e in kb.entries if e.startswith("filler-")] == [f"filler-{n}" for n in range(count)]
