"""YAML loading that remembers where every value came from.

The parser knows the line of every value; we keep that map (path → line) beside the plain data, so
schema errors found later can still point at the right line. Duplicate mapping keys, which PyYAML
silently resolves to the last one, are reported as problems.

Files are built from the parser's events one at a time (:class:`_Stream`), not from PyYAML's node
tree: the tree holds two position objects per value, about four times the data it describes
(165 MB at its peak for a 10,000-entry file whose data is 38 MB), and the memory it freed stayed
with the process, scattered among the data that outlived it. The few shapes the events do not
build (merge keys, tagged collections, collections as keys) fall back to the tree
(:class:`_Builder`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError

from bot.problems import Problem

PathKey = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


#: Limits a knowledge or config file must keep, checked before or while parsing: libyaml recurses
#: in C on nested flow collections ("[[[[…"), where 200 KB of them crash the process, and deeper
#: nesting of any kind exhausts Python's recursion; aliases can make a small file expand to
#: millions of items. No real knowledge file comes near these (50,000 entries: about 25 MB, depth 6).
MAX_BYTES = 64 * 1024 * 1024
MAX_FLOW_DEPTH = 50
MAX_ALIASED_ITEMS = 10_000

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


class _Unusual(Exception):
    """A shape :class:`_Stream` leaves to PyYAML's node tree."""


_MERGE = "tag:yaml.org,2002:merge"


class _Stream:
    """Builds the data and the line map from the parser's events, each dropped once read.

    Plain strings, lists and mappings (all a knowledge file holds) are built here; other scalars
    (numbers, booleans, dates, explicit tags) by PyYAML's safe constructor, so the result is the
    same as ``yaml.safe_load``. An alias is the object its anchor built, as in PyYAML."""

    def __init__(self, loader: Any, path: Path) -> None:
        self.loader = loader
        self.path = path
        self.children: Lines = {}
        self.problems: list[Problem] = []
        self._anchors: dict[str, tuple[Any, Any]] = {}  # anchor → (object, the event that set it)
        self._aliased = 0  # items reached again through aliases

    def document(self) -> LocatedData:
        """The single document of the stream (``data`` None for an empty one)."""
        loader = self.loader
        loader.get_event()  # the stream's start
        if loader.check_event(yaml.StreamEndEvent):
            return LocatedData(self.path, None)
        document = loader.get_event()
        first = loader.get_event()
        data = self.value(first, ())
        loader.get_event()  # the document's end
        if not loader.check_event(yaml.StreamEndEvent):
            raise ComposerError(
                "expected a single document in the stream", document.start_mark,
                "but found another document", loader.get_event().start_mark,
            )  # fmt: skip
        return LocatedData(self.path, data, self.children, first.start_mark.line + 1)

    def value(self, event: Any, loc: PathKey) -> Any:
        kind = type(event)
        if kind is yaml.ScalarEvent:
            return self._scalar(event)
        if kind is yaml.AliasEvent:
            return self._alias(event)
        if kind is yaml.SequenceStartEvent and event.tag in (None, "!", _SEQ):
            return self._sequence(event, loc)
        if kind is yaml.MappingStartEvent and event.tag in (None, "!", _MAP):
            return self._mapping(event, loc)
        raise _Unusual

    def _scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR:
            value = event.value
        elif tag == _MERGE:
            raise _Unusual
        else:
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            value = self.loader.construct_object(node)
        self._anchor(event, value)
        return value

    def _sequence(self, event: Any, loc: PathKey) -> list[Any]:
        items: list[Any] = []
        self._anchor(event, items)
        lines: dict[str | int, int] = {}
        self.children[loc] = lines
        next_event = self.loader.get_event
        item = next_event()
        while type(item) is not yaml.SequenceEndEvent:
            line = lines[len(items)] = item.start_mark.line + 1
            value = self.value(item, (*loc, len(items)))
            if type(item) is yaml.ScalarEvent and _runs_on(item, value):
                self.problems.append(Problem(self.path, line, _RUN_ON))
            items.append(value)
            item = next_event()
        return items

    def _mapping(self, event: Any, loc: PathKey) -> dict[Any, Any]:
        mapping: dict[Any, Any] = {}
        self._anchor(event, mapping)
        keys: dict[str | int, int] = {}
        self.children[loc] = keys
        next_event = self.loader.get_event
        key_event = next_event()
        while type(key_event) is not yaml.MappingEndEvent:
            if type(key_event) is not yaml.ScalarEvent:  # a collection or an alias as a key
                raise _Unusual
            key = self._scalar(key_event)
            _note_key(self.problems, self.path, keys, str(key_event.value), key_event.start_mark, key in mapping)
            mapping[key] = self.value(next_event(), (*loc, str(key_event.value)))
            key_event = next_event()
        return mapping

    def _anchor(self, event: Any, value: Any) -> None:
        if event.anchor is None:
            return
        if event.anchor in self._anchors:
            raise ComposerError(
                "found duplicate anchor; first occurrence", self._anchors[event.anchor][1].start_mark,
                "second occurrence", event.start_mark,
            )  # fmt: skip
        self._anchors[event.anchor] = (value, event)

    def _alias(self, event: Any) -> Any:
        if event.anchor not in self._anchors:
            raise ComposerError(None, None, "found undefined alias", event.start_mark)
        again = self._anchors[event.anchor][0]
        self._aliased += len(again) if isinstance(again, (list, dict)) else 1
        if self._aliased > MAX_ALIASED_ITEMS:
            raise _TooLarge(event.start_mark.line + 1, f"aliases repeat more than {MAX_ALIASED_ITEMS:,} items")
        return again


def _runs_on(item: Any, value: Any) -> bool:
    """A plain item spread over lines with ' - ' in it: see _RUN_ON."""
    return isinstance(value, str) and not item.style and " - " in value and item.end_mark.line > item.start_mark.line


def _note_key(
    problems: list[Problem], path: Path, keys: dict[str | int, int], name: str, mark: Any, repeated: bool
) -> None:
    """Record a key's line; a repeated key is a problem (PyYAML would silently keep the last value)."""
    line = mark.line + 1
    if repeated:
        problems.append(Problem(path, line, f"duplicate key '{name}'"))
    keys[name] = line


class _Builder:
    """Builds the data and the line map in one walk of the node tree (for the shapes _Stream
    leaves to it).

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
        self._aliased = 0  # items reached again through aliases

    def build(self, node: yaml.Node, loc: PathKey) -> Any:
        tag = node.tag
        if tag == _STR and isinstance(node, yaml.ScalarNode):
            return node.value
        if id(node) in self._built:
            again = self._built[id(node)]
            self._aliased += len(again) if isinstance(again, (list, dict)) else 1
            if self._aliased > MAX_ALIASED_ITEMS:
                raise _TooLarge(node.start_mark.line + 1, f"aliases repeat more than {MAX_ALIASED_ITEMS:,} items")
            return again
        if tag == _SEQ and isinstance(node, yaml.SequenceNode):
            items: list[Any] = []
            self._built[id(node)] = items
            lines: dict[str | int, int] = {}
            self.children[loc] = lines
            for index, item in enumerate(node.value):
                lines[index] = item.start_mark.line + 1
                items.append(self.build(item, (*loc, index)))
                if type(item) is yaml.ScalarNode and _runs_on(item, items[-1]):
                    self.problems.append(Problem(self.path, lines[index], _RUN_ON))
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
        _note_key(self.problems, self.path, keys, str(key_node.value), key_node.start_mark, repeated)

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


#: An over-indented "- " inside a plain list item is read as part of it: the two phrasings merge.
_RUN_ON = (
    "this item runs on to the next line and holds ' - ': is a '-' indented too far? "
    "(put each item on its own '-' line, or quote it if it is one item)"
)


_BRACKET = re.compile(r"[\[\]{}]")


class _TooLarge(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def _flow_depth(text: str) -> tuple[int, int]:
    """The deepest nesting of ``[``/``{`` (counted generously: brackets in quoted text count too)
    and the line where it is first reached."""
    depth = deepest = where = 0
    for match in _BRACKET.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, match.start()
        else:
            depth = max(depth - 1, 0)
    return deepest, text.count("\n", 0, where) + 1


def load_yaml(path: Path, raw: bytes | None = None) -> tuple[LocatedData | None, list[Problem]]:
    """Read one YAML file (or parse ``raw``, its bytes already read); on a syntax error, or a file
    past the limits above, return ``None`` and a problem with its line."""
    try:
        if raw is None and path.stat().st_size > MAX_BYTES:
            return None, [Problem(path, 0, f"larger than {MAX_BYTES // 2**20} MB: split it into several files")]
        text = path.read_text(encoding="utf-8") if raw is None else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(path, 0, f"not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [Problem(path, 0, f"cannot read: {exc.strerror or exc}")]
    if len(text) > MAX_BYTES:
        return None, [Problem(path, 0, f"larger than {MAX_BYTES // 2**20} MB: split it into several files")]
    if "[" in text or "{" in text:  # checked before libyaml sees it: deep flow nesting crashes it
        depth, line = _flow_depth(text)
        if depth > MAX_FLOW_DEPTH:
            return None, [Problem(path, line, f"brackets nested more than {MAX_FLOW_DEPTH} deep")]
    try:
        return _parsed(text, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        column = f" (column {mark.column + 1})" if mark else ""
        reason = exc.problem or exc.context or "invalid YAML"
        return None, [Problem(path, line, f"YAML syntax error: {reason}{column}")]
    except yaml.YAMLError as exc:
        return None, [Problem(path, 0, f"YAML error: {exc}")]
    except _TooLarge as exc:
        return None, [Problem(path, exc.line, str(exc))]
    except RecursionError:
        return None, [Problem(path, 0, "nested too deeply to read")]


def _parsed(text: str, path: Path) -> tuple[LocatedData, list[Problem]]:
    """The file read from the parser's events, or, for the shapes they leave, from the node tree."""
    loader = _Loader(text)
    try:
        stream = _Stream(loader, path)
        return stream.document(), stream.problems
    except _Unusual:
        pass
    finally:
        loader.dispose()
    loader = _Loader(text)
    try:
        builder = _Builder(loader, path)
        node = loader.get_single_node()
        if node is None:
            return LocatedData(path, None), []
        return LocatedData(path, builder.build(node, ()), builder.children, node.start_mark.line + 1), builder.problems
    finally:
        loader.dispose()
