"""The README's "What it fixes" section is exactly the list of intended differences."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

from .intended import INTENDED

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_bullets() -> List[str]:
    """The bullets of the section, each unwrapped to one line."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## What it fixes\n") :]
    section = section[: section.index("\n## ", 1)]
    bullets: List[str] = []
    for line in section.splitlines():
        if line.startswith("- "):
            bullets.append(line[2:].strip())
        elif line.startswith("  ") and bullets:
            bullets[-1] += " " + line.strip()
    return bullets


def test_readme_what_it_fixes_is_the_intended_list() -> None:
    assert readme_bullets() == [difference.line for difference in INTENDED.values()]


def test_each_intended_difference_is_one_line_with_known_parts() -> None:
    for key, difference in INTENDED.items():
        assert re.fullmatch(r"[a-z0-9-]+", key), key
        assert "\n" not in difference.line and difference.line.endswith("."), key
        assert difference.parts and set(difference.parts) <= {"requests", "results", "raised", "warnings"}, key
