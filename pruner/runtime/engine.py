"""Execution: run a job's units on decoded changes, pruned by a plan, and emit sink records.

Modes:
- ``pruned`` (stateful, the default): per key the engine keeps the source rows and the last
  outputs of every unit. Only dirty units run; a skipped unit's stored outputs are replayed in
  order, so every field version a later unit reads is exact, even for overwritten fields.
- ``stateless``: no stored unit outputs. The dirty units and the units that supply their
  inputs (the plan's ``supply``) run.
- ``full``: every unit on every message (the baseline; a dead unit, PR505, runs in no mode).
- ``batch``: the job runs once over the final snapshot of every source (in ``finish``).

Source tables are kept in every mode: a DimJoin needs its dimension rows, a UDAF needs the
rows it aggregates. A dimension or aggregated-source change reaches every row that refers to
it through an index (lookup key -> row keys).

What a message changes is decided against the rows the engine holds, never by what the
message says: an update's mask is every field whose value differs (``same_value``) from the
held row, so an old message delivered again, an out-of-order before image or a missing one
changes nothing; an update of a row the engine does not hold counts as changing every field
of its table.

Every message is a transaction: if a unit raises, the message goes to the dead letters with
the reason and the state is left exactly as it was before the message.

A source table's rows live in a dict unless ``stores`` gives the table another mapping, such as
a ``pruner.runtime.stores.SqliteTable`` (a DimJoin then looks its rows up in SQLite).
"""
from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from itertools import chain
from typing import Any, Iterable, Mapping, MutableMapping

from pruner.cdc.message import diff_fields
from pruner.cdc.model import DELETE, INSERT, TRUNCATE, UPDATE, Change, DeadLetter
from pruner.plan import Plan, to_int
from pruner.runtime import codegen, plugins, units as unit_runners
from pruner.runtime.decider import Decider, Decision
from pruner.runtime.dedup import Dedup, DedupMixin
from pruner.runtime.keys import BadKey, normal_key, normal_value, row_key
from pruner.runtime.sink import SinkRecord, SinkTable, key_order_one
from pruner.runtime.state import _MISSING, UndoLog
from pruner.runtime.stats import DedupStats, RunStats
from pruner.runtime.units import Executable, UnitFailed
from pruner.spec import DimJoinStep, JobSpec, UdafStep

__all__ = ["MODES", "Dedup", "DedupStats", "Engine", "RunStats", "SinkRecord", "SinkTable", "UnitFailed"]

MODES = ("pruned", "stateless", "full", "batch")
_UNMATCHED = ("<no dimension key>", object())


class Engine(UndoLog, DedupMixin):
    WORK_CACHE = 65536          # masks whose per-decision work is kept
    def __init__(self, spec: JobSpec, plan: Plan, mode: str = "pruned", *, on_stale: str = "stop",
                 check_fingerprints: bool = True,
                 stores: Mapping[str, MutableMapping[tuple, dict[str, Any]]] | None = None,
                 dedup: Dedup | None = None, compiled: bool = True) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if dedup is not None and mode != "pruned":
            raise ValueError("dedup compares with the values emitted per key: it runs in the stateful "
                             f"mode (pruned), not {mode!r}")
        stores = dict(stores or {})
        tables = [t.name for t in (*spec.sources, *spec.dimensions)]
        unknown = sorted(set(stores) - set(tables))
        if unknown:
            raise ValueError(f"stores given for {', '.join(unknown)}, which the job does not have "
                             f"(its tables: {', '.join(tables)})")
        may_prune = True
        if check_fingerprints:          # in every mode: a stale plan's units may not be the job's
            plan, may_prune = plugins.plan_to_run(plan, spec, on_stale)
        else:
            plugins.expect(spec, None)
        self.spec = spec
        self.plan = plan
        self.mode = mode
        self.prune = mode in ("pruned", "stateless") and may_prune
        self._stats = RunStats(units={u.name: [0, 0] for u in plan.units},
                              steps={s.name: [0, 0] for s in spec.pipeline})
        self.dedup = dedup
        if dedup is not None:
            unknown = sorted(dedup.ignore - set(spec.sink.fields))
            if unknown:
                raise ValueError(f"dedup ignore: {', '.join(unknown)} not sink fields of {spec.sink.name}")
            self._stats.dedup = DedupStats(fields={f: [0, 0] for f in spec.sink.fields
                                                  if f not in spec.sink.primary_key})
        self.emitted: dict[tuple, tuple[float, dict[str, Any]]] = {}   # dedup: key -> (when, values)
        self.n_bits = plan.n_bits
        self.all_bits = (1 << plan.n_bits) - 1
        self.relevant = to_int(plan.relevant)
        self.sink_fields = spec.sink.fields
        self.sink_deps = [(f, to_int(m)) for f, m in plan.sink]
        self.key_fields = spec.sink.primary_key
        self.units = self._executables()
        self.live = [u.index for u in self.units if not u.dead]
        self._step_of = [u.step.name for u in self.units]
        # Per sink field: the units that produce its value (stateless mode runs them to emit it).
        self.sink_supply: dict[str, int] = {}
        for (name, _), supply in zip(plan.sink, plan.sink_supply):
            bits = 0
            for s in supply:
                bits |= 1 << s
            self.sink_supply[name] = bits
        # source state: table -> primary key -> row
        self.tables: dict[str, MutableMapping[tuple, dict[str, Any]]] = {
            name: stores[name] if name in stores else {} for name in tables}
        self.table_specs = {t.name: t for t in (*spec.sources, *spec.dimensions)}
        self.row_sources = {t.name for t in spec.row_sources}
        self._row_tables = tuple(self.tables[t.name] for t in spec.row_sources)
        # (rows, the table's fields in order, all-None row) per row source: _source_row's layout
        self._row_layout = tuple((self.tables[t.name], tuple(t.fields), dict.fromkeys(t.fields))
                                 for t in spec.row_sources)
        self.dimensions = {t.name for t in spec.dimensions}
        self.udafs = {s.source: s for s in spec.pipeline if isinstance(s, UdafStep)}
        self.agg_members: dict[str, dict[tuple, set[tuple]]] = {s: {} for s in self.udafs}
        self.dim_index: dict[int, dict[tuple, set[tuple]]] = {
            u.index: {} for u in self.units if u.kind == "dimjoin"}
        self.lookup_of: dict[int, dict[tuple, tuple]] = {u.index: {} for u in self.units if u.kind == "dimjoin"}
        self._joins_of: dict[str, tuple[int, ...]] = {   # dimension -> the DimJoin units reading it
            t: tuple(u.index for u in self.units if u.kind == "dimjoin" and u.step.table == t) for t in self.dimensions}
        # derived state
        # stateful: row key -> per unit last outputs. An output whose keys are its unit's shape
        # (the keys, in order, of the unit's first output) is kept as the tuple of its values,
        # else as the dict; DimJoin, UDAF and rename outputs are not kept but derived again
        # from the tables when needed (see _DERIVED).
        self.outputs: dict[tuple, list[Any]] = {}
        self._shapes: list[tuple[str, ...] | None] = [None] * len(self.units)
        self.in_sink: dict[tuple, bool] = {}
        self._undo: list[tuple[dict, Any, Any]] | None = None
        self._last_line: dict[tuple, int] = {}        # batch: row key -> line of its last message
        self.finish_dead_letters: list[DeadLetter] = []
        # Units whose outputs are never replayed, so never stored: those every kept message runs
        # (their dep covers `relevant`, e.g. @always_run), and without dedup those no skip of
        # theirs can need (``never_replayed``).
        self._always = frozenset(u.index for u in self.units if not u.dead and self.relevant
                                 and u.dep & self.relevant == self.relevant)
        self._unstored = self._always | (never_replayed(plan) if dedup is None else frozenset())
        self.decider = Decider(plan)                # the one decision path (explain uses it too)
        # Work used COMPILE_AFTER times becomes a compiled function (codegen); False: always the walker
        self.compiled = compiled
        self._n_compiled = 0
        self._memo: dict[int, tuple[tuple[int, ...], tuple[str, ...]]] = {}
        self._work: dict[int, _Work] = {}           # mask -> the work of a row update
        # full and batch run every live unit: a dead unit (outputs reach nothing, no effects,
        # PR505) runs in no mode, so its failure cannot dead-letter a message in one mode only
        self._work_all = self._make_work(tuple(self.live), (), self.sink_fields)
        self._work_live = self._make_work(tuple(self.live), (), self.sink_fields)

    @property
    def stats(self) -> RunStats:
        """The run's counters, up to date (the run/skip counts of each piece of per-decision work
        are added in when asked, not per row update)."""
        for work in (self._work_all, self._work_live, *self._work.values()):
            hits = work.hits[0]            # type: ignore[index]
            if hits:
                work.hits[0] = 0           # type: ignore[index]
                for counts, which in work.counters:
                    counts[which] += hits
        return self._stats

    # ------------------------------------------------------------------ building units
    def _executables(self) -> list[Executable]:
        steps = {s.name: s for s in self.spec.pipeline}
        units = []
        instances: dict[str, Any] = {}
        for pu in self.plan.units:
            step = steps.get(pu.step)
            if step is None:
                raise ValueError(f"plan unit {pu.name} belongs to step {pu.step!r}, which the job spec "
                                 "does not have: the plan was compiled from another spec")
            supply = 0
            for s in pu.supply:
                supply |= 1 << s
            unit = Executable(pu.index, pu.name, pu.kind, to_int(pu.dep), supply, pu.dead, step=step)
            if pu.kind in ("processor", "filter"):
                instance = instances.get(pu.class_ref)
                if instance is None:
                    instance = unit_runners.instantiate(plugins.load_class(self.spec, pu.class_ref), pu.class_ref)
                    instances[pu.class_ref] = instance
                unit.run = unit_runners.processor_runner(instance, pu.isolated)
                unit.instance, unit.isolated = instance, pu.isolated
            elif pu.kind == "rename":
                unit.run = unit_runners.rename_runner(step)
            elif pu.kind == "dimjoin":
                unit.run = functools.partial(self._dimjoin, unit)
            else:
                unit.run = functools.partial(self._udaf, unit)
            units.append(unit)
        plugins.note_loaded(self.spec)
        return units

    # ------------------------------------------------------------------ the entry points
    def process(self, change: Change) -> list[SinkRecord] | DeadLetter:
        """Apply one change; return its sink records, or a dead letter (state unchanged)."""
        return self.process_all((change,))

    def process_all(self, changes: Iterable[Change]) -> list[SinkRecord] | DeadLetter:
        """Apply the changes of one message (a Canal message holds several rows) as one
        transaction: all their sink records, or one dead letter and the state unchanged."""
        start = time.perf_counter()
        self._undo = []
        records: list[SinkRecord] = []
        first = None
        try:
            for change in changes:
                first = first or change
                self._stats.messages += 1
                records += self._dispatch(change)
        except (UnitFailed, _BadChange) as error:
            self._rollback()
            self._stats.dead_letter += 1
            self._stats.seconds += time.perf_counter() - start
            return DeadLetter(first.line, str(error), "")
        self._undo = None
        self._stats.records += len(records)
        self._stats.seconds += time.perf_counter() - start
        return records

    def finish(self) -> list[SinkRecord]:
        """Batch mode: run the job over the final snapshot. Other modes: nothing more to emit.

        Each row is its own transaction, as each message is in the other modes: a row a unit
        fails on goes to ``finish_dead_letters`` (line: the last message of the row's key; raw:
        the row's final source rows as JSON) and is not written; every other row is.
        """
        self.finish_dead_letters: list[DeadLetter] = []
        if self.mode != "batch":
            return []
        start = time.perf_counter()
        records = []
        for key in self.row_keys():
            self._undo = []
            try:
                found = self._recompute(key, None)          # batch runs every unit
            except (UnitFailed, _BadChange) as error:
                self._rollback()
                self._stats.dead_letter += 1
                rows = {t: self.tables[t][key] for t in sorted(self.row_sources) if key in self.tables[t]}
                self.finish_dead_letters.append(DeadLetter(
                    self._last_line.get(key, 0), f"{error} (the final snapshot of this row)",
                    json.dumps(rows, default=str, ensure_ascii=False, sort_keys=True)))
                continue
            self._undo = None
            records += found
        self._stats.records += len(records)
        self._stats.seconds += time.perf_counter() - start
        return records

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, change: Change) -> list[SinkRecord]:
        table = change.table
        if change.kind == TRUNCATE and table in self.tables:
            return self._truncate(change)
        if table in self.row_sources:
            return self._row_change(change)
        if table in self.dimensions:
            return self._fanout_change(change, self._dimension_targets)
        if table in self.udafs:
            return self._fanout_change(change, self._aggregate_targets)
        self._stats.unknown_table += 1
        return []

    def _truncate(self, change: Change) -> list[SinkRecord]:
        """Every row of the table goes, one delete at a time (each fans out as a delete would)."""
        records: list[SinkRecord] = []
        rows = self.tables[change.table]
        for key in sorted(list(rows), key=key_order_one):
            row = rows.get(key)
            if row is not None:
                records += self._dispatch(Change(DELETE, change.table, row, None, None, change.line))
        return records

    def _row_change(self, change: Change) -> list[SinkRecord]:
        table = change.table
        before_key = self._key(change.before, self.key_fields) if change.before is not None else None
        after_key = self._key(change.after, self.key_fields) if change.after is not None else None
        if change.kind == UPDATE and before_key is not None and after_key is not None and before_key != after_key:
            # the key itself changed: the old row goes, a new one comes (with the columns a
            # partial update left out, which did not change)
            old = self.tables[table].get(before_key)
            after = {**old, **change.after} if change.partial and old is not None else change.after
            records = self._row_change(Change(DELETE, table, change.before, None, None, change.line))
            return records + self._row_change(Change(INSERT, table, None, after, None, change.line))
        key = after_key if after_key is not None else before_key
        rows = self.tables[table]
        old = rows.get(key)
        known = old is not None
        if change.kind == DELETE:
            if known:
                self._del(rows, key)
            decision = self.decider.decide(table, None, DELETE)
        else:
            after = dict(change.after)
            if change.partial and known:          # columns left out did not change
                after = {**old, **after}
            self._set(rows, key, after)
            # A row the engine does not hold is new to it: every field changed.
            decision = (self._update_decision(table, old, after) if change.kind == UPDATE and known
                        else self.decider.decide(table, None, INSERT))
        if self.mode == "batch":
            self._set(self._last_line, key, change.line)
            return []
        if not self._keep(decision):
            return []
        return self._recompute(key, decision)

    def _fanout_change(self, change: Change, targets) -> list[SinkRecord]:
        table = change.table
        spec = self.table_specs[table]
        rows = self.tables[table]
        after_pk = self._key(change.after, spec.primary_key) if change.after is not None else None
        # The engine's own copy of the row is the authoritative before image: a message may
        # have none (Postgres without REPLICA IDENTITY FULL) or only the key (a delete).
        message_pk = self._key(change.before, spec.primary_key) if change.before is not None else after_pk
        held = rows.get(message_pk) if message_pk is not None else None
        before = held
        if before is None:
            if change.kind == DELETE:
                return []          # deleting a row the job never saw: nothing changes
            before = change.before
        before_pk = self._key(before, spec.primary_key) if before is not None else None
        affected_before = targets(table, before, before_pk)
        if change.kind != DELETE and after_pk != before_pk and after_pk in rows:
            # the row takes the key of another row, which it replaces: that one leaves first
            affected_before |= targets(table, rows[after_pk], after_pk)
        if change.kind == DELETE:
            if before_pk in rows:
                self._del(rows, before_pk)
        else:
            if before_pk is not None and before_pk != after_pk and before_pk in rows:
                self._del(rows, before_pk)
            after = dict(change.after)
            if change.partial and before is not None:     # columns left out did not change
                after = {**before, **after}
            self._set(rows, after_pk, after)
        affected = affected_before | targets(table, change.after, after_pk, adding=True)
        if self.mode == "batch":
            return []
        # An update of a row the engine does not hold (it never saw it, or saw it deleted) is
        # new to it: every field of the table changed, whatever the message says.
        if change.kind == UPDATE and held is not None:
            decision = self._update_decision(table, held, after)
        else:
            decision = self.decider.decide(table, None, change.kind if change.kind in (INSERT, DELETE) else INSERT)
        if not self._keep(decision):
            return []
        records = []
        row_tables = self._row_tables
        for key in sorted(affected, key=key_order_one):
            for rows in row_tables:
                if key in rows:
                    records += self._recompute(key, decision)
                    break
        return records

    def _dimension_targets(self, table: str, image, pk, adding: bool = False) -> set[tuple]:
        if image is None:
            return set()
        found: set[tuple] = set()
        for index in self._joins_of[table]:
            members = self.dim_index[index].get(pk)
            if members:
                found |= members
        return found

    def _aggregate_targets(self, table: str, image, pk, adding: bool = False) -> set[tuple]:
        if image is None:
            return set()
        step = self.udafs[table]
        if step.key not in image:
            raise _BadChange(f"{table} row has no {step.key!r} (the field that names its {self.spec.sink.name} row)")
        if image[step.key] is None:
            return set()             # names no row (an orphan): in no aggregate
        try:
            row_key = normal_key((image[step.key],))
        except BadKey as error:
            raise _BadChange(f"{table} row: {step.key!r} does not name a {self.spec.sink.name} row: {error}") from None
        members = self.agg_members[table]
        current = members.get(row_key)
        if adding:
            self._add_member(members, row_key, pk)
        elif current is not None and pk in current:
            self._discard_member(members, row_key, pk)
        return {row_key}

    # ------------------------------------------------------------------ masks and decisions
    def _update_decision(self, table: str, held: Mapping[str, Any], after: Mapping[str, Any]) -> Decision:
        """The decision for an update of a row the engine holds: its changed fields are those
        whose value differs (``same_value``) between the row the engine holds (`held`, what the
        units last saw) and what the row becomes (`after`, what they will see). That is the
        truth whatever the message says: an old message delivered again, a before image that
        is not the engine's, or none at all (Postgres without REPLICA IDENTITY FULL) change
        nothing here, and the message's own diff is never computed. Fields become bits by the
        one rule (``pruner.decide.change_mask``)."""
        changed = diff_fields(held, after)
        return self.decider.decide(table, tuple(changed), UPDATE)

    def _keep(self, decision: Decision) -> bool:
        """False when the message is dropped at the source."""
        if self.prune and decision.drop:
            self._stats.dropped += 1
            return False
        return True

    def _plan_for(self, decision: Decision) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """(units to run, sink fields that may change) in this mode; memoized by mask."""
        if self.mode != "stateless":
            return decision.run, decision.outputs
        cached = self._memo.get(decision.mask)
        if cached is not None:
            return cached
        # No stored outputs: every field emitted needs the units producing its value (a field
        # can change with no dirty producer, e.g. when a filter makes the row appear), and
        # every running unit needs the units that supply its inputs.
        dirty = 0
        for index in decision.run:
            dirty |= 1 << index
        for name in decision.outputs:
            dirty |= self.sink_supply.get(name, 0)
        closure = dirty
        for unit in self.units:
            if dirty >> unit.index & 1:
                closure |= unit.supply
        run = tuple(u.index for u in self.units if closure >> u.index & 1)
        if len(self._memo) < 65536:
            self._memo[decision.mask] = (run, decision.outputs)
        return run, decision.outputs

    # ------------------------------------------------------------------ the work per decision
    def _make_work(self, run: tuple[int, ...], visit_skipped: Iterable[int], outputs: tuple[str, ...]) -> _Work:
        """The units to visit in order (running, or replaying stored outputs), and the counters
        one row update bumps: the skip counts come from the decision, not from visiting."""
        ran = set(run)
        visit = []
        for u in self.units:
            if u.index in ran or u.index in visit_skipped:
                how = _RUN if u.index in ran else _DERIVE if u.kind in _DERIVED else _REPLAY
                special = 1 if u.kind == "filter" else 2 if u.kind == "rename" else 0
                store = (self.mode == "pruned" and how is _RUN and u.kind not in _DERIVED
                         and u.index not in self._unstored)
                visit.append((u, u.index, how, special, store))
        visit = _segments(visit)
        counters = [(self._stats.units[u.name], 0 if u.index in ran else 1) for u in self.units]
        steps_run = {self._step_of[i] for i in ran}
        counters += [(counts, 0 if step in steps_run else 1) for step, counts in self._stats.steps.items()]
        return _Work(tuple(visit), tuple(counters), outputs, [0])

    def _work_for(self, decision: Decision) -> _Work:
        """The work of a row update under `decision` (memoized by mask). Stateless mode keeps no
        outputs, so it visits only the units that run. Pruned mode also replays the stored
        outputs of a skipped unit when something reads them: a later running unit reading a
        field it writes (or every field), an emitted sink field it writes, a filter (whether the
        row is in the sink) or a rename (which removes fields). With dedup, or a unit writing
        fields the plan cannot name, every stored output is replayed. A skipped DimJoin, UDAF or
        rename is derived again from the row instead (nothing is stored for it), so what it
        reads is wanted too."""
        run, outputs = self._plan_for(decision)
        skipped: set[int] = set()
        if self.mode == "pruned":
            ran = set(run)
            if self.dedup is not None:
                skipped = {u.index for u in self.units if u.index not in ran and not u.dead}
            else:
                wanted = set(outputs)
                reads_all = False
                for unit in reversed(self.plan.units):       # what later visited units read
                    if unit.index in ran:
                        reads_all = reads_all or unit.reads_all
                        wanted.update(unit.reads)
                    elif not unit.dead and (reads_all or unit.writes_all or unit.kind in ("filter", "rename")
                                            or wanted.intersection(unit.writes)):
                        skipped.add(unit.index)
                        if unit.kind in _DERIVED:           # derived again from the row: it needs
                            reads_all = reads_all or unit.reads_all      # its inputs there
                            wanted.update(unit.reads)
        work = self._make_work(run, skipped, outputs)
        if len(self._work) < self.WORK_CACHE:
            self._work[decision.mask] = work
        else:                           # not kept, so not seen by stats: counted as it is used
            work = _Work(work.visit, work.counters, work.outputs, None)
        return work

    # ------------------------------------------------------------------ running the pipeline
    def _recompute(self, key: tuple, decision: Decision | None) -> list[SinkRecord]:
        for rows in self._row_tables:
            if key in rows:
                exists = True
                break
        else:
            exists = False
        was = self.in_sink.get(key, False)
        if not exists:                  # the row is gone: a delete, no unit runs or is skipped
            self._forget(key)
            return self._delete_record(key, was)
        self._stats.row_updates += 1
        stored = self.outputs.get(key)
        full_row = self.mode in ("full", "batch") or not self.prune or not was or (
            self.mode == "pruned" and stored is None)
        if self.mode in ("full", "batch"):
            work = self._work_all
            outputs = self.sink_fields
        elif full_row:
            work = self._work_live
            outputs = self.sink_fields
        else:
            work = self._work.get(decision.mask)
            if work is None:
                work = self._work_for(decision)
            outputs = work.outputs
        row = self._source_row(key)
        if work.hits is not None:                   # run / skipped per unit and step: see stats
            work.hits[0] += 1
        else:
            for counts, which in work.counters:
                counts[which] += 1
        keep = self.mode == "pruned"
        new_outputs: list[Any] = list(stored) if stored is not None else [None] * len(self.units)
        # In the sink iff every filter keeps the row. A filter without an output here was skipped
        # in stateless mode while the row was in the sink: it still keeps it.
        fn = work.fn
        if fn is not None:
            exists_in_sink = fn(row, key, new_outputs, self._shapes)
        else:
            exists_in_sink = self._walk_or_compile(work, row, key, new_outputs)
        if keep:
            self._set(self.outputs, key, new_outputs)
        if not exists_in_sink:
            self._set(self.in_sink, key, False)
            return self._delete_record(key, was)
        if not was:
            self._set(self.in_sink, key, True)
        get = row.get
        if full_row:
            values = dict(zip(self.sink_fields, map(get, self.sink_fields)))
        else:
            values = dict(zip(outputs, map(get, outputs)))
            if not values:
                return []                 # nothing in the sink can change
        values.update(zip(self.key_fields, key))
        if self.dedup is not None:
            return self._dedup(key, values, row, was)
        return [SinkRecord("upsert", key, values)]

    # ------------------------------------------------------------------ visiting the units
    COMPILE_AFTER = 2       # walks of one piece of work before it is compiled (a mask seen once
                            # is not worth compiling)

    def _walk_or_compile(self, work: _Work, row: dict[str, Any], key: tuple, new_outputs: list[Any]) -> bool:
        if self.compiled and work.hits is not None:     # kept in the cache: may be compiled
            work.uses += 1
            if work.uses >= self.COMPILE_AFTER and self._n_compiled < codegen.COMPILED_LIMIT:
                self._n_compiled += 1
                work.fn = codegen.compile_visit(work.visit, self._segment, self._replay_dict)
                return work.fn(row, key, new_outputs, self._shapes)
        return self._walk(work.visit, row, key, new_outputs, self._shapes)

    def _walk(self, visit: tuple, row: dict[str, Any], key: tuple, new_outputs: list[Any],
              shapes: list[Any]) -> bool:
        """Visit the units of `visit` in order on `row` (the reference that ``codegen`` compiles):
        run them, replay or derive their outputs into `row`, store what pruned mode keeps in
        `new_outputs`; False when a filter drops the row."""
        exists_in_sink = True
        for unit, index, how, special, store in visit:
            if how is _SEGMENT:                      # consecutive skipped units' stored outputs
                outs = new_outputs[index[0]:index[1]]
                names = unit[0]
                if names is not None and all(map(_is_tuple, outs)):
                    row.update(zip(names, chain.from_iterable(outs)))
                else:
                    self._segment(unit, outs, row, shapes)
                continue
            if how is _REPLAY:                       # a skipped unit's stored outputs (pruned)
                out = new_outputs[index]
                if out.__class__ is tuple:           # its values, in the order of its shape
                    if special == 1 and not all(out):
                        exists_in_sink = False
                    row.update(zip(shapes[index], out))
                elif out is not None and not self._replay_dict(unit, out, row):
                    exists_in_sink = False
                continue
            out = unit.run(row, key)
            if store:
                shape = shapes[index]
                if shape is None:
                    shape = shapes[index] = tuple(out)
                new_outputs[index] = tuple(out.values()) if tuple(out) == shape else out
            if special:
                if special == 1:
                    if not all(out.values()):
                        exists_in_sink = False
                else:
                    for old, _ in unit.step.fields:
                        row.pop(old, None)
            row.update(out)
        return exists_in_sink

    @staticmethod
    def _segment(entry: list, outs: list[Any], row: dict[str, Any], shapes: list[Any]) -> None:
        """A segment's stored outputs into `row` when one is a dict or its names are not known
        yet (they are filled in once every unit of it has a shape)."""
        names = entry[0]
        if names is None and all(shapes[u.index] is not None for u in entry[1]):
            names = entry[0] = sum((shapes[u.index] for u in entry[1]), ())
        if names is not None and all(map(_is_tuple, outs)):
            row.update(zip(names, chain.from_iterable(outs)))
            return
        for out, u in zip(outs, entry[1]):    # one is a dict, or has not run yet
            if out is not None:
                row.update(zip(shapes[u.index], out) if out.__class__ is tuple else out)

    @staticmethod
    def _replay_dict(unit: Executable, out: dict[str, Any], row: dict[str, Any]) -> bool:
        """A stored output kept as a dict into `row`; False when it is a filter's that drops it."""
        row.update(out)
        return unit.kind != "filter" or all(out.values())

    def _delete_record(self, key: tuple, was: bool) -> list[SinkRecord]:
        if key in self.emitted:
            self._del(self.emitted, key)
        if not was:
            return []
        if self.dedup is not None:
            self._stats.dedup.records += 1          # deletes always go out
        return [SinkRecord("delete", key, {})]

    def _dimjoin(self, unit: Executable, row: dict[str, Any], key: tuple) -> dict[str, Any]:
        step: DimJoinStep = unit.step
        try:        # the dimension's keys are normal keys: Decimal("18.0") finds row 18, as 18.0 does
            lookup = tuple(None if v is None else normal_value(v) for v in
                           (row.get(row_field) for row_field, _ in step.on))
        except BadKey:
            lookup = _UNMATCHED          # a list, an object or NaN as join key: no dimension row has it
        index = self.dim_index[unit.index]
        previous = self.lookup_of[unit.index].get(key, _MISSING)
        if previous != lookup:
            if previous is not _MISSING:
                self._discard_member(index, previous, key)
            self._add_member(index, lookup, key)
            self._set(self.lookup_of[unit.index], key, lookup)
        found = self.tables[step.table].get(lookup) if lookup is not _UNMATCHED else None
        return {f: (found.get(f) if found is not None else None) for f in step.fields}

    def _udaf(self, unit: Executable, row: dict[str, Any], key: tuple) -> dict[str, Any]:
        step: UdafStep = unit.step
        rows = self.tables[step.source]
        members = sorted(self.agg_members[step.source].get(key, ()), key=key_order_one)
        found = [rows.get(pk) for pk in members]
        return {step.output: [{f: r.get(f) for f in step.fields} for r in found if r is not None]}

    def _source_row(self, key: tuple) -> dict[str, Any]:
        """The row as the job's row sources give it: every field of theirs, None when absent."""
        layout = self._row_layout
        if len(layout) == 1:                # one row source, its row's fields in the spec's order
            rows, fields, empty = layout[0]
            source = rows.get(key)
            if source is None:
                return empty.copy()
            if len(source) == len(fields) and tuple(source) == fields:
                return source.copy()
        row: dict[str, Any] = {}
        for rows, fields, empty in layout:
            source = rows.get(key)
            if source is None:
                row.update(empty)
            else:               # in the spec's field order, whatever the message's order
                get = source.get
                row.update({f: get(f) for f in fields})
        return row

    def _forget(self, key: tuple) -> None:
        for unit_index, lookups in self.lookup_of.items():
            previous = lookups.get(key, _MISSING)
            if previous is not _MISSING:
                index = self.dim_index[unit_index]
                self._discard_member(index, previous, key)
                self._del(lookups, key)
        if key in self.outputs:
            self._del(self.outputs, key)
        if key in self.in_sink:
            self._del(self.in_sink, key)

    # ------------------------------------------------------------------ backfill (pruner.backfill)
    def rerun_work(self, run: Iterable[int]) -> _Work:
        """The work of running only the units `run` (new-plan indexes) on a row: a backfill runs
        the units the fields it recomputes come from, with everything they read (their supply)."""
        wanted = set(run)
        return self._make_work(tuple(u.index for u in self.units if u.index in wanted and not u.dead),
                               (), self.sink_fields)

    def rerun(self, key: tuple, work: _Work, *, keep: bool = False) -> dict[str, Any] | None:
        """Run `work` on the key's current source rows, as for a row with no stored outputs: the
        row after it, or None when the key has no source row or a filter of `work` drops it.

        With `keep` (a follower switching plans, running every live unit) what a row update keeps
        is kept: the outputs (pruned mode) and whether the row is in the sink. A unit's failure
        raises ``UnitFailed``; nothing is kept then."""
        if not any(key in rows for rows in self._row_tables):
            return None
        row = self._source_row(key)
        outputs: list[Any] = [None] * len(self.units)
        exists = self._walk(work.visit, row, key, outputs, self._shapes)
        if keep:
            if self.mode == "pruned":
                self.outputs[key] = outputs
            self.in_sink[key] = exists
        return row if exists else None

    def row_keys(self) -> list[tuple]:
        """Every key with a source row, in the order batch mode runs them (``key_order_one``)."""
        keys: set[tuple] = set()
        for table in self.row_sources:
            keys.update(self.tables[table])
        return sorted(keys, key=key_order_one)

    # ------------------------------------------------------------------ one key's state (keyed runtimes)
    def export_key(self, key: tuple) -> dict[str, Any]:
        """Everything the engine keeps for one row key, as plain data.

        A keyed runtime (``pruner.runtime.keyed``, Flink) keeps this in keyed state and loads it
        back with ``load_key`` before the key's next message: the source rows of the key, its
        units' last outputs, whether it is in the sink, its dimension lookups with a copy of the
        dimension row each found, the rows its UDAFs aggregate, and with dedup the values last
        emitted for it.
        """
        state: dict[str, Any] = {
            "rows": {t: self.tables[t][key] for t in self.row_sources if key in self.tables[t]},
            "outputs": self._plain_outputs(self.outputs.get(key)), "in_sink": self.in_sink.get(key),
            "lookups": {}, "members": {}}
        if key in self.emitted:                 # dedup: the values last emitted (and when)
            state["emitted"] = self.emitted[key]
        for unit_index, lookups in self.lookup_of.items():
            if key in lookups:
                lookup = lookups[key]
                found = None if lookup is _UNMATCHED else self.tables[self.units[unit_index].step.table].get(lookup)
                state["lookups"][unit_index] = (None if lookup is _UNMATCHED else lookup, found)
        for source, members in self.agg_members.items():
            if members.get(key):
                rows = self.tables[source]
                state["members"][source] = {pk: rows[pk] for pk in members[key] if pk in rows}
        return state

    def _plain_outputs(self, outputs: list[Any] | None) -> list[Any] | None:
        """A key's stored outputs as dicts (the tuple layout is this engine's own)."""
        if outputs is None:
            return None
        return [dict(zip(self._shapes[i], out)) if out.__class__ is tuple else out for i, out in enumerate(outputs)]

    def load_key(self, key: tuple, state: dict[str, Any] | None) -> None:
        """Forget every key, then hold exactly `state` (from ``export_key``) for `key`."""
        if any(not isinstance(t, dict) for t in self.tables.values()):
            raise ValueError("a keyed runtime keeps its state per key: it cannot use stores")
        for table in self.tables.values():
            table.clear()
        for mapping in (*self.agg_members.values(), *self.dim_index.values(), *self.lookup_of.values(),
                        self.outputs, self.in_sink, self.emitted):
            mapping.clear()
        if not state:
            return
        if "emitted" in state:
            self.emitted[key] = state["emitted"]
        for table, row in state["rows"].items():
            self.tables[table][key] = row
        if state["outputs"] is not None:
            self.outputs[key] = list(state["outputs"])
        if state["in_sink"] is not None:
            self.in_sink[key] = state["in_sink"]
        for unit_index, (lookup, found) in state["lookups"].items():
            lookup = _UNMATCHED if lookup is None else lookup
            self.lookup_of[unit_index][key] = lookup
            self.dim_index[unit_index][lookup] = {key}
            if found is not None:
                self.tables[self.units[unit_index].step.table][lookup] = found
        for source, rows in state["members"].items():
            self.agg_members[source][key] = set(rows)
            self.tables[source].update(rows)

    # ------------------------------------------------------------------ keys and transactions
    def _key(self, image: Any, fields: tuple[str, ...]) -> tuple:
        try:
            return row_key(image, fields)
        except BadKey as bad:
            raise _BadChange(str(bad)) from None



# How a row update visits a unit: run it (and keep its outputs in pruned mode), replay its
# stored outputs, or derive them again from the engine's tables without keeping them. A
# DimJoin, UDAF or rename is derived: its outputs are a lookup in tables the engine holds
# anyway, and a skipped unit's inputs did not change, so deriving gives what was stored.
_RUN, _REPLAY, _DERIVE, _SEGMENT = "run", "replay", "derive", "segment"
_DERIVED = frozenset({"dimjoin", "udaf", "rename"})
_is_tuple = tuple.__instancecheck__


@dataclass(slots=True, eq=False)
class _Work:
    # (unit, its index, _RUN/_REPLAY/_DERIVE, 1 filter / 2 rename / 0, keep its outputs) in
    # order, or a _SEGMENT of replays (see _segments); units not listed are not visited
    visit: tuple[tuple[Any, Any, str, int, bool], ...]
    counters: tuple[tuple[list[int], int], ...]    # (a [run, skipped] counter, which one to bump)
    outputs: tuple[str, ...]                       # sink fields that may change
    hits: list[int] | None                         # row updates done with it, not yet counted
                                                   # (None: counted at once)
    fn: Any = None                                 # the compiled visit (codegen), once made
    uses: int = 0                                  # walked so far (compiled after COMPILE_AFTER)


def _segments(visit: list[tuple]) -> list[tuple]:
    """`visit` with each run of two or more consecutive plain replays (not a filter or rename)
    as one segment entry ``([field names or None, units], (first index, last index + 1),
    _SEGMENT, 0, False)``: their stored value tuples go into the row in one update. The names
    (the units' shapes joined) are filled in on first use, once every shape is known."""
    merged: list[tuple] = []
    pending: list[tuple] = []

    def flush() -> None:
        if len(pending) >= 2:
            merged.append(([None, tuple(e[0] for e in pending)], (pending[0][1], pending[-1][1] + 1),
                           _SEGMENT, 0, False))
        else:
            merged.extend(pending)
        pending.clear()

    for entry in visit:
        plain = entry[2] is _REPLAY and not entry[3]
        if pending and not (plain and pending[-1][1] == entry[1] - 1):
            flush()
        (pending if plain else merged).append(entry)
    flush()
    return merged


def never_replayed(plan: Plan) -> frozenset[int]:
    """Processors whose stored outputs no row update can replay (pruned mode, no dedup): keeping
    them would cost memory and a conversion per run for nothing.

    A skipped unit's outputs are replayed (``Engine._work_for``) when a sink field the message may
    change is among them, or a later visited unit reads them. Neither can happen while the unit is
    skipped (its dep meets no bit of the mask) when every sink field it writes depends only on
    bits of its own dep, and every later unit reading what it writes (or every field) is a unit
    that runs only when it runs (its dep within the unit's) and is not derived again from the
    tables (a DimJoin, UDAF or rename is, whenever a later unit wants its outputs). Filters
    (replayed to know whether the row is in the sink) and units writing fields the plan cannot
    name are always kept."""
    sink_dep = {name: to_int(dep) for name, dep in plan.sink}
    units = plan.units
    found = set()
    for position, unit in enumerate(units):
        if unit.index != position:
            raise ValueError(f"plan unit {unit.name} has index {unit.index} at position {position}")
        if unit.dead or unit.kind != "processor" or unit.writes_all:
            continue
        dep = to_int(unit.dep)
        writes = set(unit.writes)
        if any(name in sink_dep and sink_dep[name] & ~dep for name in writes):
            continue                # a sink field of its can change while it is skipped
        for later in units[position + 1:]:
            if not later.dead and (later.reads_all or writes.intersection(later.reads)) and (
                    later.kind in _DERIVED or to_int(later.dep) & ~dep):
                break               # a later unit can read its outputs while it is skipped
        else:
            found.add(unit.index)
    return frozenset(found)


class _BadChange(Exception):
    """A change the job cannot apply (no key, wrong types): it becomes a dead letter."""
