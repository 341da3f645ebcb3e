"""Problems found in admin-edited files, reported as ``file:line: message``.

Admins fix YAML by hand; a problem that names the file and line is one they can fix in seconds,
so every loader in the core reports through this one type instead of raising tracebacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in one file; ``line`` is 1-based, 0 when the whole file is meant.

    An ``error`` makes the knowledge base unusable; a ``warning`` (from the linter) is worth fixing
    but never stops the bot."""

    path: Path
    line: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}: {label}{self.message}"


class ProblemsError(Exception):
    """Raised when a file set cannot be used; carries every problem found, first one in ``str()``."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(str(problems[0]) if problems else "unknown problem")
        self.problems = sorted(problems)
