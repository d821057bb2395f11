"""`python -m tests.transform.corpus.report [-v] [CATEGORY...]`: the corpus verdicts, counted."""
from __future__ import annotations

import sys
import time
from collections import Counter

from tests.transform.corpus import all_cases
from tests.transform.corpus.harness import evaluate


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    wanted = {a for a in argv if not a.startswith("-")}
    cases = [c for c in all_cases() if not wanted or c.category in wanted or c.id in wanted]
    counts: Counter = Counter()
    by_category: dict[str, Counter] = {}
    seconds = 0.0
    start = time.perf_counter()
    for case in cases:
        verdict = evaluate(case)
        counts[verdict.kind] += 1
        by_category.setdefault(case.category, Counter())[verdict.kind] += 1
        seconds += verdict.seconds
        if verdict.kind in ("unsound", "bad-case") or (verbose and verdict.kind == "imprecise") or (
                verdict.kind == "imprecise" and case.precise):
            print(verdict.describe(), end="\n\n")
    print(f"{len(cases)} cases in {time.perf_counter() - start:.1f} s "
          f"(analyzer {seconds:.2f} s, {len(cases) / seconds if seconds else 0:.0f} cases/s)")
    for category, found in sorted(by_category.items()):
        print(f"  {category:<12} " + "  ".join(f"{k} {found[k]}" for k in ("exact", "imprecise", "unsound", "bad-case")))
    print("  total        " + "  ".join(f"{k} {counts[k]}" for k in ("exact", "imprecise", "unsound", "bad-case")))
    return 1 if counts["unsound"] or counts["bad-case"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
