"""The publishers' texts the knowledge base rests on, and the check that every quote is in them.

Each source declared in the YAML files has its text in ``sources/<source id>.txt`` beside them,
as the publisher wrote it (for a document known only through a recorded summary, that summary).
A quote shown to a worker as someone's words must be those words: ``validate`` and every reload
refuse a quote that is not in its source's text, with the quote's ``file:line``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.problems import Problem

FOLDER = "sources"
#: A source text larger than this is not an article: refused rather than read into memory.
MAX_BYTES = 4 * 1024 * 1024

_DOUBLE = re.compile(r"[\"“”„‟«»]")
_SINGLE = re.compile(r"['‘’‚‛`]")
_SPACE = re.compile(r"\s+")
#: A quote may end a sentence that the source goes on with ("…workers," he said): its own final
#: punctuation is not the source's.
_END = re.compile(r"[\s.,;:!?]+$")


@dataclass(frozen=True, slots=True)
class SourceText:
    path: Path
    text: str  # normalised (quote_form)


def quote_form(text: str) -> str:
    """``text`` with every kind of quote mark made one and runs of white space made one space."""
    return _SPACE.sub(" ", _SINGLE.sub("'", _DOUBLE.sub('"', text))).strip()


def text_files(directory: Path) -> list[Path]:
    folder = directory / FOLDER
    return sorted(p for p in folder.glob("*.txt") if p.is_file()) if folder.is_dir() else []


def read_texts(paths: Iterable[Path]) -> tuple[dict[str, SourceText], list[Problem]]:
    """The source texts by source id (the file's name), and a problem for each unreadable file."""
    texts: dict[str, SourceText] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            if path.stat().st_size > MAX_BYTES:
                problems.append(Problem(path, 0, f"larger than {MAX_BYTES // 1024 // 1024} MB: not a source text"))
                continue
            texts[path.stem] = SourceText(path, quote_form(path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            problems.append(Problem(path, 0, "not UTF-8 text: save it as UTF-8"))
        except OSError as error:
            problems.append(Problem(path, 0, f"cannot read: {error.strerror or error}"))
    return texts, problems


def check(
    declared: Mapping[str, tuple[Path, int]],
    quotes: Iterable[tuple[str, str, str, Path, int]],
    texts: Mapping[str, SourceText],
) -> list[Problem]:
    """Problems with the texts: a declared source (id → where) without its text, a text no source
    declares, a quote (entry id, source id, text, where) not word for word in its source's text."""
    problems = [
        Problem(
            path,
            line,
            f"source '{source_id}': its text is missing; add the publisher's text as "
            f"{FOLDER}/{source_id}.txt (docs/knowledge.md)",
        )
        for source_id, (path, line) in declared.items()
        if source_id not in texts
    ]
    problems += [
        Problem(text.path, 0, f"no source with id '{source_id}' is declared for this text")
        for source_id, text in texts.items()
        if source_id not in declared
    ]
    for entry_id, source_id, quote, path, line in quotes:
        text = texts.get(source_id)
        if text is not None and _END.sub("", quote_form(quote)) not in text.text:
            problems.append(
                Problem(path, line, f"entry '{entry_id}': the quote is not word for word in {FOLDER}/{source_id}.txt")
            )
    return problems
