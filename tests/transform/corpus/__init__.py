"""The adversarial corpus of Processors, judged against their own execution (see harness.py)."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from tests.transform.corpus.harness import Case

_NOT_CASES = {"harness", "report"}


def all_cases() -> list[Case]:
    """Every case of every module in this package, in module order; ids are unique."""
    found: list[Case] = []
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if info.name in _NOT_CASES or info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "CASES", ()))
    ids = [c.id for c in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate corpus case ids: {duplicates}")
    return found
