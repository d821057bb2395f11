"""Replay a captured CDC stream through a job: the product's main job from the command line."""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from pruner.cdc import decode
from pruner.cdc.model import DeadLetter, DecodeStats
from pruner.planfile import read_plan
from pruner.runtime.engine import Engine, RunStats, SinkTable
from pruner.runtime.stores import sqlite_stores
from pruner.spec import load_spec

PROGRESS_EVERY_S = 2.0


@dataclass
class ReplayResult:
    sink: SinkTable
    stats: RunStats
    decode_stats: DecodeStats
    dead_letters: list[DeadLetter]

    def stats_json(self) -> dict[str, Any]:
        data = self.stats.to_json()
        data["messages"] = self.decode_stats.messages
        data["changes"] = self.stats.messages
        data["dead_letter"] = len(self.dead_letters)
        data["decode"] = self.decode_stats.to_json()
        return data


class _Lines:
    """Iterates input lines and remembers each one's text, for dead letters."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = lines
        self.recent: dict[int, str] = {}
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        for self.count, line in enumerate(self._lines, start=1):
            self.recent[self.count] = line.rstrip("\n")
            if len(self.recent) > 64:
                self.recent.pop(min(self.recent))
            yield line


def replay(spec_path: str | Path, plan_path: str | Path, lines: Iterable[str], fmt: str, mode: str,
           *, on_stale: str = "full", progress: IO[str] | None = None,
           dim_store: str | Path | None = None, dedup=None) -> ReplayResult:
    """Decode and run `lines`; with `dim_store`, the dimension tables live in that SQLite file."""
    spec = load_spec(spec_path)
    plan = read_plan(plan_path)
    stores = sqlite_stores(dim_store, list(spec.dimensions)) if dim_store is not None else None
    engine = Engine(spec, plan, mode, on_stale=on_stale, stores=stores, dedup=dedup)
    sink = SinkTable(spec.sink.fields, spec.sink.primary_key)
    decode_stats = DecodeStats()
    dead: list[DeadLetter] = []
    source = _Lines(lines)
    last_report = start = time.perf_counter()
    for item in decode(source, fmt, decode_stats, spec.types):
        if isinstance(item, DeadLetter):
            dead.append(item)
            continue
        result = engine.process(item)
        if isinstance(result, DeadLetter):
            dead.append(DeadLetter(item.line, result.reason, source.recent.get(item.line, "")))
            continue
        sink.apply_all(result)
        if progress is not None:
            now = time.perf_counter()
            if now - last_report >= PROGRESS_EVERY_S:
                last_report = now
                rate = engine.stats.messages / (now - start)
                progress.write(f"\r{source.count:,} lines, {engine.stats.messages:,} changes, "
                               f"{engine.stats.dropped:,} dropped ({rate:,.0f} changes/s)")
                progress.flush()
    sink.apply_all(engine.finish())
    if progress is not None and time.perf_counter() - start >= PROGRESS_EVERY_S:
        progress.write("\n")
    return ReplayResult(sink=sink, stats=engine.stats, decode_stats=decode_stats, dead_letters=dead)


def write_sink(result: ReplayResult, out: IO[str]) -> None:
    for row in result.sink.sorted_rows():
        out.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")


def write_dead_letters(result: ReplayResult, out: IO[str]) -> None:
    for letter in result.dead_letters:
        out.write(json.dumps({"line": letter.line, "reason": letter.reason, "raw": letter.raw},
                             ensure_ascii=False) + "\n")


def summary(result: ReplayResult) -> str:
    stats = result.stats
    lines = [f"{result.decode_stats.messages:,} messages, {stats.messages:,} row changes, "
             f"{stats.dropped:,} dropped at the source, {len(result.dead_letters):,} dead letters, "
             f"{stats.unknown_table:,} for tables the job does not use; {stats.records:,} sink records, "
             f"{len(result.sink.rows):,} rows in the sink; {stats.seconds:.3f} s in the engine"]
    width = max([len(n) for n in stats.units] + [4])
    lines.append(f"{'UNIT':<{width}}  {'RUN':>9}  {'SKIPPED':>9}  PRUNED")
    for name, (run, skipped) in stats.units.items():
        total = run + skipped
        rate = f"{skipped / total:6.1%}" if total else "     -"
        lines.append(f"{name:<{width}}  {run:>9,}  {skipped:>9,}  {rate}")
    run = sum(r for r, _ in stats.units.values())
    skipped = sum(s for _, s in stats.units.values())
    if run + skipped:
        lines.append(f"{'all units':<{width}}  {run:>9,}  {skipped:>9,}  {skipped / (run + skipped):6.1%}")
    if stats.dedup is not None:
        d = stats.dedup
        lines.append(f"dedup: {d.suppressed:,} of {d.records:,} records pruning alone would send were not "
                     f"sent ({d.rate:.1%}); {d.full_rows:,} full rows after a forgotten key")
        fields = sorted(((u / c, f) for f, (c, u) in d.fields.items() if c), reverse=True)[:8]
        if fields:
            lines.append("  unchanged when compared: " + ", ".join(f"{f} {r:.0%}" for r, f in fields))
    return "\n".join(lines)


def open_input(path: str) -> Iterable[str]:
    if path == "-":
        return sys.stdin
    return Path(path).open(encoding="utf-8", errors="replace")
