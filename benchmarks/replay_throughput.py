"""Replay throughput on the ecommerce job: messages/s per mode, and pruning per unit.

    python benchmarks/replay_throughput.py [--updates 5000] [--repeat 3] [--profile daily]

Generates a seeded stream (examples/ecommerce/generate_stream.py), then replays it in every
mode in the same process, alternating modes run by run; reports medians. "end-to-end"
includes JSON decoding; "engine" is the time inside the engine only.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import statistics
import time
from pathlib import Path

from pruner.runtime.replay import replay

ROOT = Path(__file__).resolve().parents[1]
JOB = ROOT / "examples/ecommerce/job.yaml"
PLAN = ROOT / "compiled_plans/ecommerce.plan"
MODES = ("pruned", "stateless", "full")


def _generator():
    spec = importlib.util.spec_from_file_location("generate_stream", ROOT / "examples/ecommerce/generate_stream.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", default="daily")
    args = parser.parse_args()
    buffer = io.StringIO()
    _generator().generate(buffer, profile=args.profile, seed=11, updates=args.updates, items=args.items)
    lines = buffer.getvalue().splitlines(keepends=True)
    runs: dict[str, list[tuple[float, float]]] = {m: [] for m in MODES}
    last = {}
    for _ in range(args.repeat):
        for mode in MODES:
            start = time.perf_counter()
            result = replay(JOB, PLAN, lines, "debezium-json", mode)
            runs[mode].append((time.perf_counter() - start, result.stats.seconds))
            last[mode] = result
    n = len(lines)
    full_e2e = statistics.median(r[0] for r in runs["full"])
    full_engine = statistics.median(r[1] for r in runs["full"])
    print(f"{n:,} messages ({args.profile}, {args.items} items), medians of {args.repeat}\n")
    print("| mode | messages/s end-to-end | messages/s engine | engine time vs full | units run | units skipped |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode in MODES:
        e2e = statistics.median(r[0] for r in runs[mode])
        engine = statistics.median(r[1] for r in runs[mode])
        units = last[mode].stats.units.values()
        print(f"| {mode} | {n / e2e:,.0f} | {n / engine:,.0f} | {engine / full_engine:.2f} | "
              f"{sum(u[0] for u in units):,} | {sum(u[1] for u in units):,} |")
    print("\n| unit | pruned (skipped / total) |")
    print("|---|---:|")
    for name, (run, skipped) in last["pruned"].stats.units.items():
        print(f"| {name} | {skipped / (run + skipped):.1%} |")
    print(f"\ndropped at the source: {last['pruned'].stats.dropped:,}; end-to-end full: {full_e2e:.2f}s")


if __name__ == "__main__":
    main()
