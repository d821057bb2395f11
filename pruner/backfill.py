"""Backfill after a job changes: recompute for every row only the sink fields the change reaches.

    pruner backfill JOB.yaml --plan NEW.plan --from-plan OLD.plan --input STREAM --format F --out FILE

``pruner diff`` names the sink fields a new version of the job computes differently (the fields
to recompute). A backfill runs, for every row of the current source state, only the units those
fields come from (``Plan.sink_supply``: their producers, transitively, and the filters with what
they read, to know whether the row is in the sink) and emits partial records carrying only those
fields. Applied to the sink the old version built, they give the table a full replay with the new
version gives, field for field.

When what makes a sink row changes (a filter, or what a filter reads; see ``pruner.diff``) the
backfill is a full recompute: every live unit on every row, a full record for each row in the
sink and a delete for each row that is not (a delete of a row the sink does not hold is a no-op).
When the sink's key or its row sources changed the old rows are keyed or made otherwise: the
records are the whole new table, to load into an empty one (``replace``).

The source state is a replayed stream (``--input``, optionally with a ``--dim-store``), or the
changes a ``pruner follow`` sink file holds (``--follow-sink``). Nothing is written to either.

The output file starts with a header line (the two plans' digests, the input's, the fields) and
ends with a ``done`` line; between them one record per line, in key order, written as it goes. An
interrupted backfill run again with the same arguments goes on after the last record written.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable

from pruner.diff import PlanDiff, diff_plans
from pruner.plan import Plan
from pruner.runtime.engine import Engine, SinkRecord, UnitFailed

FORMAT = "cdc-pruner-backfill"
VERSION = 1
PROGRESS_EVERY_S = 2.0
SYNC_EVERY = 1000               # records between two fsyncs of the output (the resume point)


class BackfillError(ValueError):
    """The backfill cannot run or go on (with why); nothing already written is lost."""


@dataclass(frozen=True)
class BackfillPlan:
    """What a backfill from `old` to `new` does, per row."""
    diff: PlanDiff
    fields: tuple[str, ...]         # the sink fields each upsert carries besides the key (sink order)
    run: tuple[int, ...]            # the new plan's units run per row
    full: bool                      # a full recompute: every field, every live unit, deletes
    replace: bool                   # the sink's rows are keyed or made otherwise: a new table
    live: int                       # the new plan's live units (what a full recompute runs per row)
    removed: tuple[str, ...] = ()   # sink fields the old plan has and the new one does not: to drop

    @property
    def needed(self) -> bool:
        return self.full or bool(self.fields)

    def what(self) -> str:
        """What changes in the sink, in a few words."""
        if self.full:
            what = f"full recompute ({'; '.join(self.diff.full_recompute)})"
        elif not self.fields:
            what = "the diff names no sink field to recompute"
        else:
            what = f"backfill {len(self.fields)} of {self.diff.sink_fields} sink fields ({', '.join(self.fields)})"
        return what + self._dropped()

    def _dropped(self) -> str:
        if not self.removed or self.replace:
            return ""
        return (f"; sink field{'s' if len(self.removed) > 1 else ''} {', '.join(self.removed)} removed from the job: "
                "dropped from every row")

    def describe(self) -> str:
        return self._describe() + self._dropped()

    def _describe(self) -> str:
        if self.replace:
            return (f"full recompute into a new table ({'; '.join(self.diff.full_recompute)}): every live unit "
                    f"({self.live}) on every row")
        if self.full:
            return (f"full recompute ({'; '.join(self.diff.full_recompute)}): every live unit ({self.live}) on "
                    "every row, a full record for each row in the sink and a delete for each row that is not")
        if not self.fields:
            return "no backfill needed: the diff names no sink field to recompute"
        return (f"backfill {len(self.fields)} of {self.diff.sink_fields} sink fields ({', '.join(self.fields)}): "
                f"{len(self.run)} of {self.live} live units on every row")


def plan_backfill(old: Plan, new: Plan) -> BackfillPlan:
    """The fields to recompute (``diff_plans``) and the units they need, in the new plan.
    ``BackfillError`` when the two plans are of different jobs."""
    if old.job != new.job:
        raise BackfillError(f"the old plan is a plan of job {old.job!r}, the new one of job {new.job!r}: a backfill "
                            "goes from a plan of a job to a newer plan of the same job")
    diff = diff_plans(old, new)
    live = tuple(u.index for u in new.units if not u.dead)
    sink = tuple(name for name, _ in new.sink)
    removed = tuple(diff.sink_removed)
    if diff.full_recompute:
        replace = bool(diff.rekeyed)
        return BackfillPlan(diff, sink, live, True, replace, len(live), removed)
    fields = tuple(name for name in sink if name in diff.recompute)
    bits = 0
    if fields:
        supply = dict(zip(sink, new.sink_supply))
        for name in fields:
            for index in supply[name]:
                bits |= 1 << index
        for unit in new.units:          # whether the row is in the sink: its filters, what they read
            if unit.kind == "filter":
                bits |= 1 << unit.index
                for index in unit.supply:
                    bits |= 1 << index
    run = tuple(index for index in live if bits >> index & 1)
    return BackfillPlan(diff, fields, run, False, False, len(live), removed)


@dataclass
class BackfillStats:
    rows: int = 0                   # rows visited (keys with a source row)
    units_run: int = 0              # unit runs, over every row
    upserts: int = 0
    deletes: int = 0
    fields_written: int = 0         # values in the upserts, keys included
    skipped: int = 0                # rows a resumed backfill had done already (rows counts them)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    dead_letters: list[tuple[tuple, str]] = field(default_factory=list)   # (key, why)

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "units_run": self.units_run, "upserts": self.upserts, "deletes": self.deletes,
                "fields_written": self.fields_written, "skipped": self.skipped,
                "seconds": round(self.seconds, 3), "cpu_seconds": round(self.cpu_seconds, 3),
                "dead_letters": len(self.dead_letters)}


def backfill_rows(engine: Engine, plan: BackfillPlan, emit: Callable[[SinkRecord], None], *,
                  keys: Iterable[tuple] | None = None, keep: bool = False,
                  was: Callable[[tuple], bool] | None = None, progress: IO[str] | None = None,
                  total: int | None = None, label: str = "backfill") -> BackfillStats:
    """Run `plan` on every row `engine` holds (or on `keys`), emitting its records in key order.

    `engine` runs the new plan and holds the source state. With `keep` (a follower switching
    plans) every live unit runs and the engine keeps what a row update keeps, so it goes on
    from there as if it had run the new plan all along. `was(key)`: whether the sink holds the
    row now; with it a full recompute emits a delete only for a row leaving the sink.
    A row a unit fails on is not written: it is counted in ``dead_letters`` with the reason.
    `progress` gets a line every 2 s, starting with `label`, of `total` rows (default: all of them).
    """
    stats = BackfillStats()
    start, cpu = time.perf_counter(), time.process_time()
    run = tuple(u.index for u in engine.units if not u.dead) if keep else plan.run
    work = engine.rerun_work(run)
    per_row = len(work.visit)
    key_fields = engine.key_fields
    fields = engine.sink_fields if plan.full else plan.fields
    keys = engine.row_keys() if keys is None else keys
    if total is None and isinstance(keys, list):
        total = len(keys)
    last = start
    for key in keys:
        stats.rows += 1
        try:
            row = engine.rerun(key, work, keep=keep)
        except UnitFailed as error:
            stats.dead_letters.append((key, str(error)))
            continue
        stats.units_run += per_row
        if row is None:
            if plan.full and not plan.replace and (was is None or was(key)):
                stats.deletes += 1
                emit(SinkRecord("delete", key, {}))
        elif fields:
            values = {f: row.get(f) for f in fields}
            values.update(zip(key_fields, key))
            stats.upserts += 1
            stats.fields_written += len(values)
            emit(SinkRecord("upsert", key, values))
        if progress is not None:
            now = time.perf_counter()
            if now - last >= PROGRESS_EVERY_S:
                last = now
                of = f" of {total:,}" if total else ""
                progress.write(f"\r{label}: {stats.rows:,}{of} rows, {stats.upserts + stats.deletes:,} records "
                               f"({stats.rows / (now - start):,.0f} rows/s)")
                progress.flush()
    if progress is not None and time.perf_counter() - start >= PROGRESS_EVERY_S:
        progress.write("\n")
    if keep and engine.dedup is not None:
        engine.emitted.clear()          # each key's next record is a full row
    stats.seconds = time.perf_counter() - start
    stats.cpu_seconds = time.process_time() - cpu
    return stats


def switch(engine: Engine, old_plan: Plan, new_plan: Plan, was: Callable[[tuple], bool] | None,
           elsewhere: str, progress: IO[str] | None = None) -> tuple[BackfillPlan, list[SinkRecord], BackfillStats]:
    """A follower's plan switch: `engine` (the new plan's, holding the source state) runs every row
    once and keeps what a row update keeps; the records of the fields the new plan computes
    otherwise. ``BackfillError`` when the sink's rows are keyed or made otherwise (then the
    follower goes `elsewhere`: a new sink). `progress`: a line every 2 s while the rows run."""
    plan = plan_backfill(old_plan, new_plan)
    if plan.replace:
        raise BackfillError(f"the plan changed in a way the sink's rows cannot follow ({plan.describe()}): {elsewhere}")
    records: list[SinkRecord] = []
    stats = backfill_rows(engine, plan, records.append, keep=True, was=was, progress=progress,
                          label="plan switch")
    return plan, records, stats


def switch_message(plan: BackfillPlan, stats: BackfillStats, written: str) -> str:
    """What a follower's start says of its switch."""
    failed = (f", {len(stats.dead_letters):,} rows a unit failed on left as they were" if stats.dead_letters else "")
    return (f"the plan changed since the sink's snapshot: {plan.what()}; every row run once with the new plan: "
            f"{stats.rows:,} rows, {written}{failed}")


# ---------------------------------------------------------------------- the output file
def record_json(record: SinkRecord) -> str:
    """A record as a line of JSON (the shape of a follower's sink records)."""
    from pruner.follow import json_value

    return json.dumps({"op": record.op, "key": list(record.key), "fields": record.fields},
                      default=json_value, ensure_ascii=False, allow_nan=False)


def key_json(key: tuple) -> str:
    from pruner.follow import json_value

    return json.dumps(list(key), default=json_value, ensure_ascii=False)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def header(plan: BackfillPlan, identity: dict[str, Any]) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, **identity, "fields": list(plan.fields), "full": plan.full,
            "replace": plan.replace, "removed": list(plan.removed)}


@dataclass
class Resume:
    """Where an output file left off: the byte after its last whole line, the key of its last
    record, and whether it is complete."""
    offset: int = 0
    last_key: str | None = None
    done: bool = False
    records: int = 0
    upserts: int = 0                # what the records written before hold
    deletes: int = 0
    fields_written: int = 0


def read_output(path: Path, expected: dict[str, Any]) -> Resume | None:
    """The state of an existing output file of this very backfill (None: no file, or empty).
    ``BackfillError`` when it is another backfill's, or not one."""
    if not path.exists() or not path.is_file() or path.stat().st_size == 0:
        return None
    with path.open("rb") as file:
        data = file.read()
    end = data.rfind(b"\n") + 1
    lines = data[:end].split(b"\n")[:-1]
    if not lines:
        return Resume()             # only a torn header: start again
    try:
        found = json.loads(lines[0])
    except ValueError:
        found = None
    if not isinstance(found, dict) or found.get("format") != FORMAT:
        raise BackfillError(f"{path} exists and is not a backfill output: give another --out, or remove it")
    if found != expected:
        differs = sorted(k for k in set(found) | set(expected) if found.get(k) != expected.get(k))
        raise BackfillError(f"{path} holds another backfill (its {', '.join(differs)} differ): give another "
                            "--out, or remove it to start again")
    resume = Resume(offset=end, records=len(lines) - 1)
    for raw in lines[1:]:
        entry = json.loads(raw)
        if entry.get("op") == "delete":
            resume.deletes += 1
        elif entry.get("op") == "upsert":
            resume.upserts += 1
            resume.fields_written += len(entry["fields"])
    for raw in reversed(lines[1:]):
        entry = json.loads(raw)
        if "done" in entry:
            resume.done = True
            resume.records -= 1
            continue
        resume.last_key = json.dumps(entry["key"], ensure_ascii=False)
        break
    return resume


class OutputFile:
    """The output, appended line by line and fsynced every ``SYNC_EVERY`` records."""

    def __init__(self, path: Path, head: dict[str, Any], resume: Resume | None) -> None:
        self.path = path
        self.regular = not path.exists() or path.is_file()     # else a pipe or /dev/stdout: written through
        self.file = path.open("r+b" if resume is not None and self.regular else "wb")
        if resume is not None and resume.offset and self.regular:
            self.file.truncate(resume.offset)       # a torn last line: never counted as written
            self.file.seek(resume.offset)
        else:
            if self.regular:
                self.file.truncate(0)
            self._write(json.dumps(head, ensure_ascii=False))
        self._since = 0

    def _write(self, text: str) -> None:
        self.file.write(text.encode("utf-8") + b"\n")

    def record(self, record: SinkRecord) -> None:
        self._write(record_json(record))
        self._since += 1
        if self._since >= SYNC_EVERY:
            self.sync()

    def sync(self) -> None:
        self.file.flush()
        if self.regular:
            os.fsync(self.file.fileno())
        self._since = 0

    def finish(self, summary: dict[str, Any]) -> None:
        self._write(json.dumps({"done": summary}))
        self.sync()
        self.file.close()

    def close(self) -> None:
        if not self.file.closed:
            self.sync()
            self.file.close()


def apply_output(path: str | Path, rows: dict[tuple, dict[str, Any]]) -> dict[str, Any]:
    """Apply a backfill output's records to `rows` (key as a tuple of JSON values -> fields); its
    header. A test and a user's loader alike: partial upserts merge, deletes remove, and the
    header's ``removed`` fields are dropped from every row."""
    head: dict[str, Any] = {}
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file):
            entry = json.loads(line)
            if number == 0:
                head = entry
                if head.get("replace"):
                    rows.clear()
                for row in rows.values():       # sink fields the new version no longer has
                    for name in head.get("removed", ()):
                        row.pop(name, None)
                continue
            if "done" in entry:
                continue
            key = tuple(entry["key"])
            if entry["op"] == "delete":
                rows.pop(key, None)
            else:
                rows.setdefault(key, {}).update(entry["fields"])
    return head


# ---------------------------------------------------------------------- source states
def state_from_follow_sink(engine: Engine, path: str | Path) -> int:
    """Run every change a ``pruner follow`` sink file holds into `engine` (batch mode: only its
    tables change); the number of transactions."""
    from pruner.follow import FollowStats, decoder, read_sink

    if engine.mode != "batch":
        raise ValueError("the source state is built by a batch-mode engine")
    entries = read_sink(Path(path))
    source = "mysql" if any(isinstance(e.get("xid"), str) for e in entries) else "postgresql"
    decode, stats = decoder(source), FollowStats()
    for entry in entries:
        for raw in entry.get("changes", ()):
            for change in decode(raw, engine.spec.types, stats):
                stats.changes += 1
                engine.process(change)
    return len(entries)


def resume_keys(keys: list[tuple], resume: Resume | None) -> tuple[list[tuple], int]:
    """The keys still to do after `resume`, and how many were done."""
    if resume is None or resume.last_key is None:
        return keys, 0
    for index, key in enumerate(keys):
        if key_json(key) == resume.last_key:
            return keys[index + 1:], index + 1
    raise BackfillError(f"the output's last record (key {resume.last_key}) is not a row of the source state: "
                        "the input changed since; remove the output to start again")


def restore_source_state(engine: Engine, state: dict[str, Any]) -> Callable[[tuple], bool]:
    """Load into a new `engine` the part of a snapshot's state (``snapshot.engine_state``) that no
    plan made: the source tables, and from them the rows each UDAF aggregates. What the old plan
    made (the units' outputs, the dimension lookups, whether each row is in the sink) is made
    again by ``backfill_rows(..., keep=True)``. Returns whether the old sink held a key."""
    if engine.outputs or engine.in_sink or any(engine.tables.values()):
        raise BackfillError("the state of another plan is loaded into a new engine, not one that holds rows")
    if set(state["tables"]) != set(engine.tables):
        raise BackfillError(f"the job's tables changed ({', '.join(sorted(state['tables']))} -> "
                            f"{', '.join(sorted(engine.tables))}): the state cannot be carried over")
    for name, rows in state["tables"].items():
        engine.tables[name].update((tuple(key), row) for key, row in rows)
    for source in engine.udafs:
        for pk, row in engine.tables[source].items():
            engine._aggregate_targets(source, row, pk, adding=True)
    held = {tuple(key) for key, flag in state["in_sink"] if flag}
    return held.__contains__
