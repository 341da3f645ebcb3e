"""Line-aware YAML loading (bot.yamlfile)."""

import tracemalloc
from pathlib import Path

import pytest
import yaml

from bot import yamlfile
from bot.yamlfile import load_yaml
from tests.generated import long_knowledge_file


def test_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    """A YAML syntax error becomes one problem with the line and column, not an exception."""
    path = tmp_path / "bad.yaml"
    path.write_text("entries:\n  - id: a\n    topic: [unclosed\n", encoding="utf-8")
    data, problems = load_yaml(path)
    assert data is None
    assert len(problems) == 1
    assert problems[0].line in (3, 4)
    assert "YAML syntax error" in problems[0].message and "column" in problems[0].message


def test_lines_of_keys_and_items(tmp_path: Path) -> None:
    """Every mapping key and sequence item keeps its 1-based line."""
    path = tmp_path / "ok.yaml"
    path.write_text("a:\n  - x: 1\n  - x: 2\n    y: 3\n", encoding="utf-8")
    data, problems = load_yaml(path)
    assert problems == [] and data is not None
    assert data.line_of(("a",)) == 1
    assert data.line_of(("a", 1)) == 3
    assert data.line_of(("a", 1, "y")) == 4


def test_missing_key_falls_back_to_parent_line(tmp_path: Path) -> None:
    """A key that is not there (a missing field) is placed at its parent's line."""
    path = tmp_path / "ok.yaml"
    path.write_text("a:\n  - x: 1\n", encoding="utf-8")
    data, _ = load_yaml(path)
    assert data is not None
    assert data.line_of(("a", 0, "missing")) == 2


def test_duplicate_key_is_reported(tmp_path: Path) -> None:
    """PyYAML keeps the last of two equal keys silently; we report the second one."""
    path = tmp_path / "dup.yaml"
    path.write_text("a: 1\nb: 2\na: 3\n", encoding="utf-8")
    _, problems = load_yaml(path)
    assert [(p.line, p.message) for p in problems] == [(3, "duplicate key 'a'")]


def test_non_utf8_file_is_a_problem(tmp_path: Path) -> None:
    """A file saved in another encoding is reported, not crashed on."""
    path = tmp_path / "latin.yaml"
    path.write_bytes("a: caf\xe9\n".encode("latin-1"))
    data, problems = load_yaml(path)
    assert data is None and "UTF-8" in problems[0].message


VARIED = """\
plain: text
typed: [yes, no, on, off, true, ~, null, 12, -3, 0x1F, 1.5, .inf, 2015-06-01, "quoted", 'single', ""]
anchored: &base {a: 1, b: [x, y]}
merged:
  <<: *base
  c: 3
1: an integer key
multi: |
  two
  lines
folded: >
  one
  line
"""


def test_same_data_as_safe_load(tmp_path: Path) -> None:
    """The one-pass builder gives exactly what ``yaml.safe_load`` gives, typed scalars and merges too."""
    path = tmp_path / "varied.yaml"
    path.write_text(VARIED, encoding="utf-8")
    located, problems = load_yaml(path)
    assert problems == [] and located is not None
    assert located.data == yaml.safe_load(VARIED)


def test_lines_inside_a_merged_mapping(tmp_path: Path) -> None:
    """A mapping PyYAML builds for us (a merge key) still has the lines of its keys."""
    path = tmp_path / "varied.yaml"
    path.write_text(VARIED, encoding="utf-8")
    located, _ = load_yaml(path)
    assert located is not None
    assert located.line_of(("merged", "c")) == 6


def test_alias_shares_its_object_and_recursion_ends(tmp_path: Path) -> None:
    """An alias is the same object, as in PyYAML; a recursive alias loads instead of looping."""
    path = tmp_path / "alias.yaml"
    path.write_text("a: &x [1, 2]\nb: *x\nc: &me [*me]\n", encoding="utf-8")
    located, problems = load_yaml(path)
    assert problems == [] and located is not None
    assert located.data["a"] is located.data["b"]
    assert located.data["c"][0] is located.data["c"]


def test_unknown_tag_is_a_problem(tmp_path: Path) -> None:
    """A tag the safe loader refuses (e.g. a Python object) is a problem with its line, not a crash."""
    path = tmp_path / "tag.yaml"
    path.write_text("a: 1\nb: !!python/object:os.system x\n", encoding="utf-8")
    located, problems = load_yaml(path)
    assert located is None
    assert problems[0].line == 2


def test_deeply_nested_brackets_are_refused_before_parsing(tmp_path: Path) -> None:
    """200 KB of '[' (which crashes libyaml) is one problem naming its line."""
    path = tmp_path / "deep.yaml"
    path.write_text("entries:\n  - " + "[" * 200_000, encoding="utf-8")
    data, problems = load_yaml(path)
    assert data is None and [(p.line, p.message) for p in problems] == [(2, "brackets nested more than 50 deep")]


def test_aliases_cannot_blow_a_small_file_up(tmp_path: Path) -> None:
    """5,000 aliases to a 5,000-item list is refused at once, at the line of the aliases."""
    path = tmp_path / "bomb.yaml"
    items = ", ".join(["x"] * 5000)
    path.write_text(f"a: &a [{items}]\nb: [{', '.join(['*a'] * 5000)}]\n", encoding="utf-8")
    data, problems = load_yaml(path)
    assert data is None and problems[0].line == 2 and "aliases repeat" in problems[0].message


def test_a_file_past_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file larger than MAX_BYTES is not read at all."""
    monkeypatch.setattr(yamlfile, "MAX_BYTES", 100)
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 200, encoding="utf-8")
    data, problems = load_yaml(path)
    assert data is None and "split it" in problems[0].message


def test_an_over_indented_dash_is_an_error_not_a_merge(tmp_path: Path) -> None:
    """'- b' indented under '- a' would make one phrasing "a - b": reported at its line."""
    path = tmp_path / "k.yaml"
    path.write_text("en:\n  - What is the ILO?\n    - What does the ILO do?\n  - Apa itu ILO?\n", encoding="utf-8")
    _, problems = load_yaml(path)
    assert [p.line for p in problems] == [2] and "indented too far" in problems[0].message


def test_a_phrasing_with_a_dash_on_one_line_is_fine(tmp_path: Path) -> None:
    """ "ASEAN - what is it?" on its own line is one phrasing, as written."""
    path = tmp_path / "k.yaml"
    path.write_text("en:\n  - ASEAN - what is it?\n", encoding="utf-8")
    data, problems = load_yaml(path)
    assert problems == [] and data.data == {"en": ["ASEAN - what is it?"]}


def test_a_long_file_is_read_without_holding_a_tree_of_it(tmp_path: Path) -> None:
    """Reading 3,000 entries needs little more memory than the data it keeps (a node tree needed 3×)."""
    path = long_knowledge_file(tmp_path, 3000)
    text = path.read_bytes()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        located, problems = load_yaml(path, text)
        kept, peak = (size - before for size in tracemalloc.get_traced_memory())
    finally:
        tracemalloc.stop()
    assert problems == [] and located is not None and len(located.data["entries"]) == 3000
    assert peak < 1.5 * kept, (peak, kept)


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: 1\nb: *nowhere\n", 2), ("a: &x 1\nb: &x 2\n", 2), ("a: 1\n---\nb: 2\n", 2)],
    ids=["undefined alias", "anchor defined twice", "two documents"],
)
def test_what_pyyaml_refuses_is_a_problem_at_its_line(tmp_path: Path, text: str, line: int) -> None:
    """An alias to nothing, an anchor set twice, a second document: one problem each, with the line."""
    path = tmp_path / "k.yaml"
    path.write_text(text, encoding="utf-8")
    data, problems = load_yaml(path)
    assert data is None and [p.line for p in problems] == [line], problems
