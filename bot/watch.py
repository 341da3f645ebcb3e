"""Noticing that the knowledge files changed, by polling their modification times and sizes.

Polling is deliberate: it works on every filesystem (network shares, containers' bind mounts) where
inotify-style notifications do not, and checking a few dozen files every few seconds costs nothing.
"""

from __future__ import annotations

from pathlib import Path

from bot import sourcetexts
from bot.knowledge import knowledge_files

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(directory: Path) -> Fingerprint:
    """Name, mtime and size of every knowledge file and source text; any edit, addition or removal
    changes it."""
    found = []
    paths = [*knowledge_files(directory), *sourcetexts.text_files(directory)] if directory.is_dir() else []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((str(path.relative_to(directory)), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


class Watcher:
    """Reports each change of a directory's knowledge files once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._seen = fingerprint(directory)

    def changed(self) -> bool:
        current = fingerprint(self.directory)
        if current == self._seen:
            return False
        self._seen = current
        return True
