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

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


#: libyaml's parser when PyYAML was built with it (the wheels are): ten times faster on large files.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader, with a shortcut for the commonest scalar: plain text.

    The parser asks ``resolve`` for the type of every scalar, and the safe resolver tries regular
    expressions keyed by the first character; a plain scalar starting with any other character is a
    string, so we say so at once (a tenth of the load time of a large file). Of words, only the
    booleans and null are typed. Path resolvers, which the safe loader never has, are skipped too.
    """

    #: Non-letters a typed scalar can start with (digits, signs, '.', '~', '<', '=').
    _TYPED_STARTS = frozenset(start for start in _BaseLoader.yaml_implicit_resolvers if start and not start.isalpha())
    #: The only plain words the safe resolver types (booleans and null); every other word is a string.
    _KEYWORDS = frozenset((
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
    ))  # fmt: skip

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if (
            kind is yaml.ScalarNode
            and implicit[0]
            and value
            and value[0] not in self._TYPED_STARTS
            and value not in self._KEYWORDS
        ):
            return _STR
        return super().resolve(kind, value, implicit)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


#: Per parent (a path), the line of each of its children (a key or an index).
Lines = dict[PathKey, dict[str | int, int]]


@dataclass
class LocatedData:
    """Parsed YAML plus the 1-based line of every mapping key and sequence item.

    Lines are kept per parent rather than per full path: one small dict per mapping or list, and
    no path tuple per phrasing (a fifth of the load time of a large file, and 15 MB at 10,000
    entries)."""

    path: Path
    data: Any
    children: Lines = field(default_factory=dict)
    top: int = 1  # the line of the document itself

    def line_of(self, loc: PathKey) -> int:
        """The line of ``loc``, or of its nearest ancestor that exists (a missing key's parent)."""
        while loc:
            line = self.children.get(loc[:-1], {}).get(loc[-1])
            if line is not None:
                return line
            loc = loc[:-1]
        return self.top


class _Builder:
    """Builds the data and the line map in one walk of the node tree.

    PyYAML's constructor is general (generators, deferred recursion) and a second walk for the lines
    doubled the cost; knowledge files are strings, lists and mappings, built here directly. Anything
    else (numbers, booleans, dates, merge keys, explicit tags) is left to PyYAML's safe constructor,
    so the result is the same as ``yaml.safe_load``. Collections are memoised by node, so an alias
    shares its object as in PyYAML, and a recursive one cannot loop.
    """

    def __init__(self, loader: Any, path: Path) -> None:
        self.loader = loader
        self.path = path
        self.children: Lines = {}
        self.problems: list[Problem] = []
        self._built: dict[int, Any] = {}

    def build(self, node: yaml.Node, loc: PathKey) -> Any:
        tag = node.tag
        if tag == _STR and isinstance(node, yaml.ScalarNode):
            return node.value
        if id(node) in self._built:
            return self._built[id(node)]
        if tag == _SEQ and isinstance(node, yaml.SequenceNode):
            items: list[Any] = []
            self._built[id(node)] = items
            lines: dict[str | int, int] = {}
            self.children[loc] = lines
            for index, item in enumerate(node.value):
                lines[index] = item.start_mark.line + 1
                # a string (the usual item) without a call: a phrasing list can hold thousands
                if item.tag == _STR and type(item) is yaml.ScalarNode:
                    items.append(item.value)
                else:
                    items.append(self.build(item, (*loc, index)))
            return items
        if tag == _MAP and isinstance(node, yaml.MappingNode) and self._plain_keys(node):
            mapping: dict[Any, Any] = {}
            self._built[id(node)] = mapping
            keys: dict[str | int, int] = {}
            self.children[loc] = keys
            for key_node, value_node in node.value:
                key = key_node.value if key_node.tag == _STR else self.loader.construct_object(key_node)
                self._line_of_key(key_node, key in mapping, keys)
                if value_node.tag == _STR and type(value_node) is yaml.ScalarNode:
                    mapping[key] = value_node.value
                else:
                    mapping[key] = self.build(value_node, (*loc, str(key_node.value)))
            return mapping
        self._walk(node, loc)  # the rare shapes: PyYAML builds them, we only note their lines
        return self.loader.construct_object(node, deep=True)

    @staticmethod
    def _plain_keys(node: yaml.MappingNode) -> bool:
        """Every key a plain scalar (no merge key ``<<``, no mapping used as a key)."""
        return all(isinstance(key, yaml.ScalarNode) and not key.tag.endswith(":merge") for key, _ in node.value)

    def _line_of_key(self, key_node: yaml.Node, repeated: bool, keys: dict[str | int, int]) -> None:
        line = key_node.start_mark.line + 1
        if repeated:  # PyYAML would silently keep the last value
            self.problems.append(Problem(self.path, line, f"duplicate key '{key_node.value}'"))
        keys[str(key_node.value)] = line

    def _walk(self, node: yaml.Node, loc: PathKey) -> None:
        if isinstance(node, yaml.MappingNode):
            keys = self.children.setdefault(loc, {})
            for key_node, value_node in node.value:
                self._line_of_key(key_node, str(key_node.value) in keys, keys)
                self._walk(value_node, (*loc, str(key_node.value)))
        elif isinstance(node, yaml.SequenceNode):
            lines = self.children.setdefault(loc, {})
            for index, item in enumerate(node.value):
                lines[index] = item.start_mark.line + 1
                self._walk(item, (*loc, index))


def load_yaml(path: Path, raw: bytes | None = None) -> tuple[LocatedData | None, list[Problem]]:
    """Read one YAML file (or parse ``raw``, its bytes already read); on a syntax error return
    ``None`` and a problem with line and column."""
    try:
        text = path.read_text(encoding="utf-8") if raw is None else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(path, 0, f"not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [Problem(path, 0, f"cannot read: {exc.strerror or exc}")]
    loader = _Loader(text)
    builder = _Builder(loader, path)
    try:
        node = loader.get_single_node()
        if node is None:
            return LocatedData(path, None), []
        data = builder.build(node, ())
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
    return LocatedData(path, data, builder.children, node.start_mark.line + 1), builder.problems
