"""The core stays independent of Telegram, so the console, the CLI and the tests share it."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "bot"


def test_core_never_imports_telegram() -> None:
    """No module in bot/ imports telegram (handlers/ is where Telegram lives)."""
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] != "telegram", f"{path.name} imports {name}"
