"""The knowledge-base linter (bot.lint) and `validate --strict`: one fixture per rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.answer import Responder
from bot.knowledge import MAX_ANSWER_CHARS, check_knowledge, load_knowledge
from bot.lint import lint
from bot.problems import Problem

ROOT = Path(__file__).resolve().parent.parent


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _warnings(directory: Path) -> list[Problem]:
    kb, problems = check_knowledge(directory, phrasing_lines=True)
    assert kb is not None, problems
    return lint(Responder(kb))


def _add_phrasing(directory: Path, entry_anchor: str, phrasing: str) -> None:
    """Insert an English phrasing as the second one of the entry whose first phrasing is the anchor."""
    _edit(
        directory / "glossary.yaml", f"        - {entry_anchor}\n", f"        - {entry_anchor}\n        - {phrasing}\n"
    )


def test_bundled_knowledge_has_no_warnings(responder: Responder) -> None:
    """The shipped knowledge base is lint-clean, so each fixture below shows exactly its own rule."""
    assert lint(responder) == []


def test_confusable_entries(kb_copy: Path) -> None:
    """Two entries sharing a phrasing: both are named, with the phrasings, at the phrasing's line."""
    _add_phrasing(kb_copy, "What is the ILO?", "Was the ILO at the ASEAN labour inspection conference?")
    (warning,) = [w for w in _warnings(kb_copy) if "too close" in w.message]
    assert warning.severity == "warning"
    assert "'conference-participants'" in warning.message and "'ilo'" in warning.message
    assert "Was the ILO at the ASEAN labour inspection conference?" in warning.message
    assert str(warning).split(": warning: ")[0].split(":")[-1].isdigit()


def test_entry_not_retrieved_by_its_own_phrasing(kb_copy: Path) -> None:
    """A phrasing pasted into a second entry: one of the two no longer retrieves its own entry."""
    _add_phrasing(kb_copy, "What is ACE?", "When was the Cebu Declaration adopted?")
    messages = [w.message for w in _warnings(kb_copy)]
    expected = "entry 'cebu-declaration': its phrasing 'When was the Cebu Declaration adopted?' retrieves 'ace' instead"
    assert expected in messages


def test_uncited_source(kb_copy: Path) -> None:
    """A source that no entry cites is reported at its line."""
    with (kb_copy / "sources.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\n  - id: unused-report\n    title: An unused report\n    publisher: Nobody\n    published: 2024\n")
    (kb_copy / "sources" / "unused-report.txt").write_text("The report's text.\n", encoding="utf-8")
    (warning,) = _warnings(kb_copy)
    assert warning.message == "source 'unused-report' is not cited by any entry"
    assert warning.path.name == "sources.yaml" and warning.line > 1


def test_one_word_phrasing(kb_copy: Path) -> None:
    """A one-word phrasing is too little to match on."""
    _add_phrasing(kb_copy, "What is IALI?", "IALI")
    messages = [w.message for w in _warnings(kb_copy)]
    assert any("entry 'iali': phrasing 'IALI' is shorter than two words" in m for m in messages)


def test_answer_longer_than_telegram_allows_is_an_error(kb_copy: Path) -> None:
    """An answer that cannot fit one Telegram message with its sources is an error, not a warning."""
    _edit(kb_copy / "glossary.yaml", "        IALI is the International Association of Labor Inspection.",
          "        IALI is the International Association of Labor Inspection. " + "x" * MAX_ANSWER_CHARS)  # fmt: skip
    kb, problems = check_knowledge(kb_copy)
    assert kb is None and [p.message for p in problems] == [
        f"entry 'iali': answer.en is longer than {MAX_ANSWER_CHARS} characters"
    ]


def _validate(directory: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "validate", str(directory), *flags], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)  # fmt: skip


def test_warnings_fail_only_with_strict(kb_copy: Path) -> None:
    """Warnings are printed as file:line: warning: …; exit 0, or 1 with --strict."""
    _add_phrasing(kb_copy, "What is IALI?", "IALI")
    relaxed = _validate(kb_copy)
    assert relaxed.returncode == 0 and ": warning: entry 'iali'" in relaxed.stdout
    assert "1 warning(s)" in relaxed.stdout
    assert _validate(kb_copy, "--strict").returncode == 1


def test_kb_stats(kb_copy: Path) -> None:
    """`kb stats` counts entries, phrasings per language, topics, sources and ambiguity warnings."""
    before = load_knowledge(kb_copy)
    en = sum(len(e.questions.en) for e in before.entries.values()) + 1
    ind = sum(len(e.questions.id) for e in before.entries.values())
    _add_phrasing(kb_copy, "What is the ILO?", "Was the ILO at the ASEAN labour inspection conference?")
    done = subprocess.run([sys.executable, "-m", "bot", "kb", "stats", str(kb_copy)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)  # fmt: skip
    assert done.returncode == 0
    assert f"entries:    {len(before.entries)}" in done.stdout and f"phrasings:  en {en}, id {ind}" in done.stdout
    assert "(1 ambiguity)" in done.stdout and "sources:    4" in done.stdout


def test_an_unrecognised_urgent_example_is_a_warning(kb_copy: Path) -> None:
    """An example the detector no longer recognises tells the admin their words do not cover it."""
    _edit(
        kb_copy / "urgent.yaml",
        "      - tolong sy dikunci di rmh\n",
        "      - tolong sy dikunci di rmh\n      - the sky is blue\n",
    )
    (warning,) = _warnings(kb_copy)
    assert warning.path == kb_copy / "urgent.yaml" and warning.severity == "warning"
    assert (
        "urgent 'confinement': example 'the sky is blue' is not recognised (no situation recognised)" in warning.message
    )
