"""YAML loading that remembers where every value came from.

PyYAML's composer already knows the line of every node; we keep that map (path → line) beside the
plain data, so schema errors found later can still point at the right line. Duplicate mapping
keys, which PyYAML silently resolves to the last one, are reported as problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.problems import Problem

PathKey = tuple[str | int, ...]

#: libyaml's parser when PyYAML was built with it (the wheels are): ten times faster on large files.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class LocatedData:
    """Parsed YAML plus the 1-based line of every mapping key and sequence item."""

    path: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, loc: PathKey) -> int:
        """The line of ``loc``, or of its nearest ancestor that exists (a missing key's parent)."""
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)


def _walk(node: yaml.Node, loc: PathKey, lines: dict[PathKey, int], problems: list[Problem], path: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append(Problem(path, key_node.start_mark.line + 1, f"duplicate key '{key}'"))
            seen.add(key)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*loc, key), lines, problems, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = item.start_mark.line + 1
            _walk(item, (*loc, index), lines, problems, path)


def load_yaml(path: Path) -> tuple[LocatedData | None, list[Problem]]:
    """Read one YAML file; on a syntax error return ``None`` and a problem with line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(path, 0, f"not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [Problem(path, 0, f"cannot read: {exc.strerror or exc}")]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return LocatedData(path, None, {(): 1}), []
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        column = f" (column {mark.column + 1})" if mark else ""
        reason = exc.problem or exc.context or "invalid YAML"
        return None, [Problem(path, line, f"YAML syntax error: {reason}{column}")]
    except yaml.YAMLError as exc:
        return None, [Problem(path, 0, f"YAML error: {exc}")]
    finally:
        loader.dispose()
    lines: dict[PathKey, int] = {(): node.start_mark.line + 1}
    problems: list[Problem] = []
    _walk(node, (), lines, problems, path)
    return LocatedData(path, data, lines), problems
