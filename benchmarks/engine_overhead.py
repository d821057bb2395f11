"""Where a pruned replay's CPU goes: inside the units, or in the engine around them.

On the ecommerce job's daily and peak streams (the benchmark's generator, seller dimension
in memory), each mode is replayed with a timer around every unit call (a Processor's own
``process``; the read-only row view and output dict around it count as the engine's). Engine
overhead is the replay's time minus the time inside units (the timers' own cost, measured on an
empty function, is taken off per call). "pruned (walker)" is pruned mode with compiled work
(``pruner.runtime.codegen``) turned off, the path it replaces. Also: decoding (``pruner.cdc.decode``) against plain
``json.loads`` of the same lines, and the engine's state in bytes per sink key in each mode
(``tracemalloc``: everything the engine allocates while replaying the stream, decoding
inside the window, so a value only the state keeps is counted and a message's are not).
Per profile also pruned / full as run, and its zero-overhead limit (the pruned run's time inside
units alone over full's whole time). Last, the whole pruned path on a job with light units (the reference job: a format string, a
DimJoin, an upper-casing), decode included, against ``json.loads`` of the same lines.
Medians of REPEATS runs, modes alternating, one process.

    python benchmarks/engine_overhead.py [--repeats 5] [--updates 5000]
"""
from __future__ import annotations

import argparse
import json
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pruning import generator  # noqa: E402
from pruner.cdc import decode  # noqa: E402
from pruner.cdc.model import Change  # noqa: E402
from pruner.compiler import build  # noqa: E402
from pruner.runtime import units as unit_runners  # noqa: E402
from pruner.runtime.engine import Engine  # noqa: E402


def _timer_cost() -> float:
    def empty(row, key):
        return None
    clock = time.perf_counter
    n = 200_000
    start = clock()
    for _ in range(n):
        t = clock()
        empty(None, None)
        _ = clock() - t
    return (clock() - start) / n


def replay(built, changes: list[Change], mode: str, per_call: float) -> tuple[float, float]:
    """(µs per message in all, µs per message inside units) for one replay; mode "pruned (walker)"
    is pruned mode with compiled work turned off (``pruner.runtime.codegen``)."""
    engine = (Engine(built.spec, built.plan, "pruned", compiled=False) if mode == "pruned (walker)"
              else Engine(built.spec, built.plan, mode))
    inside = [0.0]
    calls = [0]
    clock = time.perf_counter
    def timed(real):
        def call(first, second):
            t = clock()
            try:
                return real(first, second)
            finally:
                inside[0] += clock() - t
                calls[0] += 1
        return call
    # A Processor's own `process` is timed (compiled work calls it directly: the read-only view
    # and the output dict around it are the engine's); DimJoin and UDAF lookups are units too.
    wrapped = set()
    for unit in engine.units:
        if unit.instance is not None:
            if id(unit.instance) not in wrapped:
                wrapped.add(id(unit.instance))
                unit.instance.process = timed(unit.instance.process)
            unit.run = unit_runners.processor_runner(unit.instance, unit.isolated)
        else:
            unit.run = timed(unit.run)
    start = clock()                         # the same clock as the unit timers (wall time:
    for change in changes:                  # run it on a quiet machine)
        engine.process(change)
    total = clock() - start
    units = max(0.0, inside[0] - calls[0] * per_call)
    total = max(units, total - calls[0] * per_call)
    return total / len(changes) * 1e6, units / len(changes) * 1e6


def state_bytes(built, lines: list[str], mode: str) -> tuple[int, int]:
    """(bytes the engine holds after replaying `lines`, keys in the sink)."""
    gc.collect()
    tracemalloc.start()
    try:
        # compiled work off: its functions are a cost per engine (a few KB per distinct mask), not
        # per key, and would read as state per key on a stream of a few hundred keys
        engine = Engine(built.spec, built.plan, mode, compiled=False)
        base = tracemalloc.get_traced_memory()[0]
        for change in decode(lines, "debezium-json"):
            if isinstance(change, Change):
                engine.process(change)
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    return used, sum(1 for present in engine.in_sink.values() if present)


def light_stream(messages: int, seed: int = 7, sellers_too: bool = True) -> list[str]:
    """Debezium lines for the reference job: sellers and items, then updates of a, b or (with
    `sellers_too`, one update in five) a seller's c, which reaches its 25 items."""
    import random
    rng = random.Random(seed)
    sellers = {b: {"b": b, "c": f"s{b}"} for b in range(20)}
    items = {i: {"id": i, "a": f"a{i}", "b": rng.randrange(20)} for i in range(500)}

    def line(op: str, table: str, before, after) -> str:
        return json.dumps({"before": before, "after": after, "op": op,
                           "source": {"db": "shop", "table": table}}) + "\n"
    lines = [line("c", "sellers", None, row) for row in sellers.values()]
    lines += [line("c", "items", None, row) for row in items.values()]
    while len(lines) < messages:
        roll = rng.random() if sellers_too else rng.random() * 0.8
        if roll < 0.8:
            old = items[rng.randrange(len(items))]
            new = {**old, "a": f"a{rng.randrange(10_000)}"} if roll < 0.6 else {**old, "b": rng.randrange(20)}
            items[old["id"]] = new
            lines.append(line("u", "items", old, new))
        else:
            old = sellers[rng.randrange(len(sellers))]
            new = {**old, "c": f"s{rng.randrange(10_000)}"}
            sellers[old["b"]] = new
            lines.append(line("u", "sellers", old, new))
    return lines


def light_ratio(repeats: int, messages: int, sellers_too: bool) -> tuple[float, float]:
    """(µs per message of a pruned replay, decode included; its median ratio to json.loads)."""
    built = build(ROOT / "examples/reference/job.yaml")
    lines = light_stream(messages, sellers_too=sellers_too)
    runs, ratios = [], []
    for _ in range(repeats):
        engine = Engine(built.spec, built.plan, "pruned")
        start = time.process_time()
        for change in decode(lines, "debezium-json"):
            if isinstance(change, Change):
                engine.process(change)
        spent = time.process_time() - start
        start = time.process_time()
        for text in lines:
            json.loads(text)
        ratios.append(spent / (time.process_time() - start))
        runs.append(spent / len(lines) * 1e6)
    return statistics.median(runs), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--updates", type=int, default=5000)
    args = parser.parse_args()
    built = build(ROOT / "examples/ecommerce/job.yaml")
    per_call = _timer_cost()
    print(f"timer cost per call: {per_call * 1e6:.2f} µs (taken off)")
    print("| profile | mode | µs/message | inside units | engine overhead | overhead share |")
    print("|---|---|---:|---:|---:|---:|")
    states: dict[str, dict[str, tuple[int, int]]] = {}
    for profile in ("daily", "peak"):
        import io
        buffer = io.StringIO()
        generator().generate(buffer, profile=profile, seed=11, updates=args.updates, items=200)
        lines = buffer.getvalue().splitlines(keepends=True)
        changes = [c for c in decode(lines, "debezium-json") if isinstance(c, Change)]
        results: dict[str, list[tuple[float, float]]] = {"pruned": [], "pruned (walker)": [], "full": []}
        for repeat in range(args.repeats):
            for mode in (list(results) if repeat % 2 == 0 else reversed(results)):
                results[mode].append(replay(built, changes, mode, per_call))
        for mode, runs in results.items():
            total = statistics.median(t for t, _ in runs)
            units = statistics.median(u for _, u in runs)
            print(f"| {profile} | {mode} | {total:.1f} | {units:.1f} | {total - units:.1f} | "
                  f"{(total - units) / total:.0%} |")
        # pruned against full, as run and at zero engine overhead (only the pruned run's units)
        full = statistics.median(t for t, _ in results["full"])
        pruned = statistics.median(t for t, _ in results["pruned"])
        limit = statistics.median(u for _, u in results["pruned"])
        print(f"| {profile} | pruned / full | {pruned / full:.2f}× | zero-overhead limit {limit / full:.2f}× | | |")
        decode_runs, loads_runs = [], []
        for _ in range(args.repeats):
            start = time.process_time()
            for _ in decode(lines, "debezium-json"):
                pass
            decode_runs.append(time.process_time() - start)
            start = time.process_time()
            for line in lines:
                json.loads(line)
            loads_runs.append(time.process_time() - start)
        ratio = statistics.median(d / l for d, l in zip(decode_runs, loads_runs))
        print(f"| {profile} | decode | {statistics.median(decode_runs) / len(lines) * 1e6:.1f} | | | "
              f"{ratio:.2f}× json.loads |")
        states[profile] = {mode: state_bytes(built, lines, mode) for mode in ("full", "pruned", "stateless")}
    print()
    print("| profile | mode | state bytes per sink key | vs full |")
    print("|---|---|---:|---:|")
    for profile, by_mode in states.items():
        full = by_mode["full"][0] / max(1, by_mode["full"][1])
        for mode, (used, keys) in by_mode.items():
            per_key = used / max(1, keys)
            print(f"| {profile} | {mode} | {per_key:,.0f} | {per_key / full:.2f}× |")
    print()
    for sellers_too, what in ((False, "item updates only"), (True, "with seller updates (fan-out to 25 rows)")):
        per_message, ratio = light_ratio(args.repeats, max(2_000, args.updates * 4), sellers_too)
        print(f"light units (reference job), pruned, decode included, {what}: {per_message:.1f} µs per "
              f"message, {ratio:.2f}× json.loads of the same lines")


if __name__ == "__main__":
    main()
