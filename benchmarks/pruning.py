"""What pruning saves on the ecommerce job: five strategies on the same stream, per profile.

Strategies, all replaying the same decoded stream with the seller dimension in SQLite on disk:
- ``full``: every unit on every message (what every engine does by default);
- ``source-filter``: drop an update whose changed fields no unit and no sink field reads
  (static column pruning, as proposed for Flink CDC), run everything on the rest;
- ``output-dedup``: run everything, drop a sink record equal to the key's previous one
  (no-op elimination of streaming databases), the clock-stamped fields ignored as
  Paimon's ``row-deduplicate-ignore-fields`` would be;
- ``pruned`` and ``stateless``: ours (the engine's two pruning modes);
- ``pruned+dedup``: pruned, then the engine's exact message dedup (only fields whose value
  really changed go out; the clock-stamped fields ignored in the comparison).
Each run is timed as CPU seconds of this process (``time.process_time``) and wall time;
runs alternate strategies (rotated each repeat) and the figures are medians. Ratios to
``full`` are the median of the per-repeat ratios, each measured back to back.

Every strategy's final sink must equal ``full``'s and a batch run's (the clock-stamped
fields aside): the benchmark fails loudly otherwise. The oracle plan (benchmarks/truth.py,
built from hand-written true read/write sets) replays the same stream pruned; the static
plan's recall is the unit runs it skips over the unit runs the oracle plan skips.
"""
from __future__ import annotations

import importlib.util
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pruner.cdc import decode
from pruner.cdc.model import UPDATE, Change, DeadLetter, DecodeStats
from pruner.compiler import Build, build
from pruner.plan import to_int
from pruner.runtime.decider import Decider
from pruner.runtime.engine import Dedup, Engine, RunStats, SinkTable
from pruner.runtime.stores import sqlite_stores

ROOT = Path(__file__).resolve().parents[1]
JOB = ROOT / "examples/ecommerce/job.yaml"
TRUTH = ROOT / "benchmarks/oracle/ecommerce_truth.yaml"
STRATEGIES = ("full", "source-filter", "output-dedup", "pruned", "stateless", "pruned+dedup")
# The engine mode each strategy runs (source filter and output dedup wrap the full mode).
_MODES = {"full": "full", "source-filter": "full", "output-dedup": "full", "pruned": "pruned",
          "stateless": "stateless", "pruned+dedup": "pruned", "batch": "batch"}
# IndexStamp (@always_run) writes the wall clock into these: no two runs agree on them.
VOLATILE = ("indexed_at", "index_lag_ms")


@dataclass
class Workload:
    profile: str
    lines: int
    changes: list[Change]
    decode_seconds: float


@dataclass
class Run:
    strategy: str
    cpu: float
    wall: float
    stats: RunStats
    emitted: int                        # sink records that left the strategy
    filtered: int = 0                   # messages a strategy dropped before the engine
    suppressed: int = 0                 # records output dedup held back
    sink: list[dict[str, Any]] = field(default_factory=list, repr=False)


def generator():
    spec = importlib.util.spec_from_file_location("generate_stream", ROOT / "examples/ecommerce/generate_stream.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def workload(profile: str, updates: int, items: int, seed: int) -> Workload:
    import io
    buffer = io.StringIO()
    generator().generate(buffer, profile=profile, seed=seed, updates=updates, items=items)
    lines = buffer.getvalue().splitlines(keepends=True)
    start = time.perf_counter()
    stats = DecodeStats()
    changes = [c for c in decode(lines, "debezium-json", stats) if not isinstance(c, DeadLetter)]
    return Workload(profile, len(lines), changes, time.perf_counter() - start)


def _stable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in VOLATILE} for row in rows]


def run_strategy(strategy: str, built: Build, changes: list[Change], folder: Path, tag: str = "") -> Run:
    """Replay `changes` once with `strategy`; the seller dimension lives in a new SQLite file."""
    spec, plan = built.spec, built.plan
    mode = _MODES[strategy]
    db = folder / f"{strategy}{tag}-{time.monotonic_ns()}.db"
    dedup = Dedup(ignore=frozenset(VOLATILE)) if strategy == "pruned+dedup" else None
    engine = Engine(spec, plan, mode, stores=sqlite_stores(db, list(spec.dimensions)), dedup=dedup)
    sink = SinkTable(spec.sink.fields, spec.sink.primary_key)
    process, apply = engine.process, sink.apply
    emitted = filtered = suppressed = 0
    # source filter: the source fields any unit or sink field depends on (wildcard included)
    decider = Decider(plan)
    reads = 0
    for unit in plan.units:
        if not unit.dead:
            reads |= to_int(unit.dep)
    for _, dep in plan.sink:
        reads |= to_int(dep)
    last: dict[tuple, dict[str, Any]] = {}
    cpu, wall = time.process_time(), time.perf_counter()
    for change in changes:
        if strategy == "source-filter" and change.kind == UPDATE and change.changed is not None \
                and not decider.mask(change.table, change.changed) & reads:
            filtered += 1
            continue
        records = process(change)
        if isinstance(records, DeadLetter):
            raise AssertionError(f"{strategy}: dead letter {records.reason}")
        for record in records:
            if strategy == "output-dedup":
                if record.op == "delete":
                    last.pop(record.key, None)
                else:
                    stable = {k: v for k, v in record.fields.items() if k not in VOLATILE}
                    if last.get(record.key) == stable:
                        suppressed += 1
                        continue
                    last[record.key] = stable
            apply(record)
            emitted += 1
    for record in engine.finish():
        apply(record)
        emitted += 1
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if engine.stats.dedup is not None:
        suppressed = engine.stats.dedup.suppressed
    return Run(strategy, cpu, wall, engine.stats, emitted, filtered, suppressed, _stable(sink.sorted_rows()))


def measure_profile(work: Workload, built: Build, truth: Build, repeat: int, log=print) -> dict[str, Any]:
    """Every strategy `repeat` times (rotating the order), plus the oracle and batch checks."""
    runs: dict[str, list[Run]] = {s: [] for s in STRATEGIES}
    with tempfile.TemporaryDirectory(prefix="pruner-bench-") as tmp:
        folder = Path(tmp)
        for r in range(repeat):
            order = STRATEGIES[r % len(STRATEGIES):] + STRATEGIES[:r % len(STRATEGIES)]
            for strategy in order:
                runs[strategy].append(run_strategy(strategy, built, work.changes, folder))
            log(f"  {work.profile}: repeat {r + 1}/{repeat} done")
        batch = run_strategy("batch", built, work.changes, folder)
        oracle = run_strategy("pruned", truth, work.changes, folder, tag="-oracle")
    expected = runs["full"][0].sink
    for strategy, done in runs.items():
        for run in done:
            if run.sink != expected:
                raise AssertionError(f"{work.profile}: {strategy}'s sink differs from full's: pruning changed a result")
    if batch.sink != expected:
        raise AssertionError(f"{work.profile}: the batch run's sink differs from full's")
    if oracle.sink != expected:
        raise AssertionError(f"{work.profile}: the oracle plan's sink differs from full's")

    full_units = runs["full"][0].stats.units
    full_runs = sum(r for r, _ in full_units.values())
    strategies = {}
    for strategy, done in runs.items():
        units = done[0].stats.units
        ran = sum(r for r, _ in units.values())
        strategies[strategy] = {
            "cpu": statistics.median(r.cpu for r in done),
            "wall": statistics.median(r.wall for r in done),
            "cpu_ratio": statistics.median(run.cpu / base.cpu for run, base in zip(done, runs["full"])),
            "messages_per_s": len(work.changes) / statistics.median(r.wall for r in done),
            "units_run": ran,
            "units_saved": 1 - ran / full_runs if full_runs else 0.0,
            "records": done[0].emitted,
            "dropped": done[0].stats.dropped + done[0].filtered,
            "suppressed": done[0].suppressed,
            "cpu_runs": [r.cpu for r in done],
        }
    static_units = runs["pruned"][0].stats.units
    recall = {}
    for name, (_, skipped) in static_units.items():
        truth_skipped = oracle.stats.units[name][1]
        recall[name] = {"static": skipped, "oracle": truth_skipped}
    static_skipped = sum(v["static"] for v in recall.values())
    oracle_skipped = sum(v["oracle"] for v in recall.values())
    return {
        "profile": work.profile, "messages": work.lines, "changes": len(work.changes),
        "decode_per_s": work.lines / work.decode_seconds if work.decode_seconds else math.inf,
        "repeat": repeat, "strategies": strategies,
        "units": {name: {"run": r, "skipped": s} for name, (r, s) in static_units.items()},
        "stateless_units": {name: {"run": r, "skipped": s} for name, (r, s) in runs["stateless"][0].stats.units.items()},
        "steps": {name: {"run": r, "skipped": s} for name, (r, s) in runs["pruned"][0].stats.steps.items()},
        "step_kinds": {s.name: type(s).__name__.replace("Step", "").lower() for s in built.spec.pipeline},
        "oracle": {"units": recall, "static_skipped": static_skipped, "oracle_skipped": oracle_skipped,
                   "recall": static_skipped / oracle_skipped if oracle_skipped else 1.0,
                   "sink_equal": True},
        "row_updates": runs["pruned"][0].stats.row_updates,
        "dedup": {**runs["pruned+dedup"][0].stats.dedup.to_json(),
                  "cpu_per_record_us": 1e6 * statistics.median(
                      (d.cpu - p.cpu) / max(1, d.stats.dedup.records) for d, p in zip(runs["pruned+dedup"], runs["pruned"]))},
    }


def builds() -> tuple[Build, Build]:
    """(the static plan, the oracle plan) of the ecommerce job, compiled now."""
    from benchmarks.truth import truth_build
    static = build(JOB)
    errors = [d for d in static.diagnostics() if d.severity.value == "error"]
    if errors:
        sys.exit(f"the ecommerce job does not compile: {errors}")
    return static, truth_build(JOB, TRUTH)
