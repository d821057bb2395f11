"""The README's authoring guide must document every diagnostic code the analyzer can emit."""
from __future__ import annotations

import re
from pathlib import Path

from pruner.diagnostics import BY_CODE

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_diagnostic_code_is_documented() -> None:
    text = README.read_text()
    rows = dict(re.findall(r"^\| (PR\d{3}) \| ([a-z-]+) \|", text, flags=re.MULTILINE))
    assert rows == {code: kind.name for code, kind in BY_CODE.items()}


def test_readme_gives_the_two_commands() -> None:
    text = README.read_text()
    assert "make demo" in text and "make test" in text
