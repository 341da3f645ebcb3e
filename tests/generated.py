"""Generated knowledge files for tests that need a large base (the bundled one has 40 entries)."""

from __future__ import annotations

from pathlib import Path


def long_knowledge_file(directory: Path, count: int, bad: int | None = None) -> Path:
    """A knowledge file of ``count`` small entries, each with three phrasings per language, in the
    block style admins write; entry ``bad`` has a key the schema does not know."""
    lines = ["entries:"]
    for number in range(count):
        lines += [
            f"  - id: filler-{number}",
            "    topic: glossary",
            "    questions:",
            "      en:",
            f"        - what is filler {number}",
            f"        - tell me about filler number {number}",
            f"        - filler {number} meaning",
            "      id:",
            f"        - apa itu filler {number}",
            f"        - jelaskan filler nomor {number}",
            f"        - arti filler {number}",
            "    answer: {en: 'Filler (June 2015).', id: 'Pengisi (Juni 2015).'}",
            "    sources: [jakarta-post-2015]",
        ]
        if number == bad:
            lines.append("    colour: red")
    path = directory / "zz-long.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
