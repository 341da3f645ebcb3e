"""Noticing knowledge changes (bot.watch)."""

from pathlib import Path

from bot.watch import Watcher


def test_an_edited_source_text_is_a_change(kb_copy: Path) -> None:
    """Editing a source text triggers a reload, as its quotes may no longer hold."""
    watcher = Watcher(kb_copy)
    assert not watcher.changed()
    (kb_copy / "sources" / "jakarta-post-2015.txt").write_text("Replaced.\n", encoding="utf-8")
    assert watcher.changed() and not watcher.changed()


def test_an_added_knowledge_file_is_a_change(kb_copy: Path) -> None:
    """A new YAML file is a change, reported once."""
    watcher = Watcher(kb_copy)
    (kb_copy / "more.yaml").write_text("entries: []\n", encoding="utf-8")
    assert watcher.changed() and not watcher.changed()
