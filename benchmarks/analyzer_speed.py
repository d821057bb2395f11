"""Analyzer speed: Processors/s and lines/s on a generated module of N Processors.

    python benchmarks/analyzer_speed.py [--processors 1000] [--repeat 5]

The generated module mixes the patterns real plugins use (constant keys, module constants,
loops over constant tuples, helper functions, methods on a base class, lambdas, out.update)
so every Processor exercises the interprocedural paths, not just one subscript.
"""
from __future__ import annotations

import argparse
import statistics
import time

from pruner.transform import analyze_source

HEADER = '''\
import json
import re
from plugin_sdk import Processor, UDTF

PRICE = "price"
DIMENSIONS = ("length_mm", "width_mm", "height_mm")
SPACES = re.compile(r"\\s+")


def normalize(text):
    return SPACES.sub(" ", text).strip().lower()


def band(row, key, limit=100):
    return "hi" if row.get(key, 0) > limit else "lo"


class Base(Processor):
    SUFFIX = "_norm"

    def copy_norm(self, row, out, key):
        out[key + self.SUFFIX] = normalize(row[key])
'''

TEMPLATE = '''

class P{i}(Base):
    def process(self, row, out):
        r = row
        if "f{i}_flag" in r:
            out["f{i}_band"] = band(r, "f{i}_amount", limit={i})
        self.copy_norm(row, out, "f{i}_title")
        volume = 1
        for dim in DIMENSIONS:
            volume *= row.get(dim, 1)
        get = lambda k: row[k]
        attrs = json.loads(get("f{i}_attrs") or "{{}}")
        out.update({{"f{i}_volume": volume, "f{i}_color": attrs.get("color")}})
        out["f{i}_price"] = row[PRICE] * 2
'''


def generate(n: int) -> str:
    body = [HEADER] + [TEMPLATE.format(i=i) for i in range(n)]
    body.append("\n\nclass Everything(UDTF):\n    processors = [" +
                ", ".join(f"P{i}" for i in range(n)) + "]\n")
    return "".join(body)


def measure(n: int, repeat: int) -> dict[str, float]:
    source = generate(n)
    lines = source.count("\n")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = analyze_source(source, "generated.py", "generated")
        times.append(time.perf_counter() - start)
    assert len(result.processors) == n, "the generated module did not analyze completely"
    guesses = [p.name for p in result.processors if p.reads_all or p.writes_all]
    assert not guesses, f"exact patterns were guessed on: {guesses[:3]}"
    seconds = statistics.median(times)
    return {"processors": n, "lines": lines, "seconds": seconds,
            "processors_per_s": n / seconds, "lines_per_s": lines / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processors", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=5, help="runs per size; the median is reported")
    args = parser.parse_args()
    print("| processors | lines | median s | processors/s | lines/s |")
    print("|---:|---:|---:|---:|---:|")
    for n in args.processors:
        r = measure(n, args.repeat)
        print(f"| {r['processors']:,} | {r['lines']:,} | {r['seconds']:.3f} | "
              f"{r['processors_per_s']:,.0f} | {r['lines_per_s']:,.0f} |")


if __name__ == "__main__":
    main()
