"""Compile scaling: time and plan size for generated jobs of N Processors.

    python benchmarks/compile_scaling.py [--sizes 100 1000 10000] [--repeat 3]

Per size it reports, as medians of --repeat runs:
- cold: a full compile with an empty analysis cache (analysis dominates);
- warm: everything cached (spec + weld + compile + encode + write: the part that must be
  linear in the graph);
- incremental: one plugin file changed, then recompiled with the cache;
- the per-stage split of the warm compile, and the plan file size.

Generated jobs: 100 Processors per plugin module, 10 per UDTF; a shared `common.py` with
field constants and a base class; each Processor reads two fields (a source field and the
previous Processor's output) and writes one; every output goes to the sink.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from pruner.compiler import run
from pruner.planfile import dumps

PER_MODULE = 100
PER_UDTF = 10
SOURCE_FIELDS = 200

COMMON = '''\
from plugin_sdk import Processor

KEY = "id"


class Base(Processor):
    def scaled(self, row, field, factor):
        return (row.get(field) or 0) * factor
'''


def _module(m: int, first: int, count: int) -> str:
    lines = ["from common import Base", "from plugin_sdk import UDTF", ""]
    for i in range(first, first + count):
        src = f"s{i % SOURCE_FIELDS}"
        prev = f"o{i - 1}" if i % PER_UDTF else f"s{(i + 7) % SOURCE_FIELDS}"
        lines += [
            f"class P{i}(Base):",
            "    def process(self, row, out):",
            f'        out["o{i}"] = self.scaled(row, "{src}", {i % 9 + 1}) + (row.get("{prev}") or 0)',
            "",
        ]
    for u in range(first // PER_UDTF, (first + count) // PER_UDTF):
        members = ", ".join(f"P{i}" for i in range(u * PER_UDTF, (u + 1) * PER_UDTF))
        lines += [f"class U{u}(UDTF):", f"    processors = [{members}]", ""]
    return "\n".join(lines)


def generate(folder: Path, n: int) -> Path:
    plugins = folder / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "common.py").write_text(COMMON)
    for m, first in enumerate(range(0, n, PER_MODULE)):
        (plugins / f"mod{m}.py").write_text(_module(m, first, min(PER_MODULE, n - first)))
    fields = ", ".join(["id"] + [f"s{i}" for i in range(SOURCE_FIELDS)])
    steps = "\n".join(f"  - udtf: U{u}\n    class: mod{u * PER_UDTF // PER_MODULE}.U{u}"
                      for u in range(n // PER_UDTF))
    sink = ", ".join(["id"] + [f"o{i}" for i in range(n)])
    spec = folder / "job.yaml"
    spec.write_text(f"name: scale{n}\nplugins: [plugins]\nsources:\n  items: {{primary_key: [id], "
                    f"fields: [{fields}]}}\npipeline:\n{steps}\nsink: {{name: engine, primary_key: [id], "
                    f"fields: [{sink}]}}\n")
    return spec


def compile_once(spec_path: Path, cache: Path) -> dict[str, float]:
    times: dict[str, float] = {}
    state = run({"spec_path": spec_path, "cache_dir": cache}, timings=times)    # every stage
    t = time.perf_counter()
    data = dumps(state["plan"])
    times["encode+serialize"] = times.pop("encode") + time.perf_counter() - t
    lineage, compiled = state["lineage"], state["compiled"]
    assert not lineage.has_errors(), lineage.diagnostics[:3]
    assert len(compiled.units) == len(state["analysis"].processors) - 0
    times["total"] = sum(times.values())
    times["plan_bytes"] = len(data)
    times["units"] = len(compiled.units)
    times["edges"] = lineage.graph.number_of_edges()
    return times


def measure(n: int, repeat: int) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix=f"scale{n}-"))
    try:
        spec = generate(root, n)
        colds, warms, incrementals = [], [], []
        for r in range(repeat):
            cache = root / f"cache{r}"
            colds.append(compile_once(spec, cache))
            warms.append(compile_once(spec, cache))
            victim = root / "plugins" / "mod0.py"
            victim.write_text(victim.read_text() + f"\n# edit {r}\n")
            incrementals.append(compile_once(spec, cache))
        med = lambda runs, key: statistics.median(run[key] for run in runs)  # noqa: E731
        result = {"n": n, "cold": med(colds, "total"), "warm": med(warms, "total"),
                  "incremental": med(incrementals, "total"), "plan_bytes": warms[0]["plan_bytes"],
                  "edges": warms[0]["edges"]}
        for stage in ("spec", "transform", "weld", "compile", "encode+serialize"):
            result[f"warm_{stage}"] = med(warms, stage)
        return result
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; medians are reported")
    args = parser.parse_args()
    rows = [measure(n, args.repeat) for n in args.sizes]
    print("| processors | graph edges | cold s | warm s | incremental s | warm: weld s | warm: compile s "
          "| warm: encode s | plan KiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['n']:,} | {r['edges']:,} | {r['cold']:.2f} | {r['warm']:.2f} | {r['incremental']:.2f} "
              f"| {r['warm_weld']:.2f} | {r['warm_compile']:.3f} | {r['warm_encode+serialize']:.2f} "
              f"| {r['plan_bytes'] / 1024:,.0f} |")


if __name__ == "__main__":
    main()
