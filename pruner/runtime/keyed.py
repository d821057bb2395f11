"""A job as keyed stages, for stream processors that partition state by key (Flink).

The in-process engine keeps every row in one place. A keyed runtime splits the job so that
every piece of state lives under one key, and still gives the same sink:

    row changes ───────────────▶ S (by row key) ──▶ D1 (by lookup key) ─ … ─▶ Dn ──▶ R (by row key) ──▶ sink
    aggregated rows ─▶ M (by their own key) ─▶ S
    dimension changes ─────────────────────────▶ Di (by dimension key) ─────────────▶ R
- **M** (aggregated sources) keeps each aggregated row's last image, so a row that moves to
  another aggregate leaves the old one even when the message has no before image.
- **S** numbers each row key's changes (row sources and aggregated rows): ``seq``.
- **D** (one per DimJoin) holds one dimension row, a version counter, and the row keys that
  may refer to it. A row change passing through gets the current dimension row attached (and the
  key registered); a dimension change bumps the version and sends a *refresh* to every row
  key registered there. This is the fan-out, kept in keyed state. A key is never
  unregistered, neither when it moves to another dimension row nor when it is deleted: both
  are decided at S, before R knows whether it applies them (a unit may fail and R keep the
  old row), and an unregister could overtake, on another path, the row event that registers
  the key again. So the registered keys are a superset, and R ignores a refresh of a row its
  key does not refer to (cost: one refresh per moved-away or deleted key per change of the
  old dimension row, and the registrations grow with the keys ever seen).
- **R** holds one row key's engine state (``Engine.export_key``). It applies that key's
  changes in ``seq`` order, whatever order the D stages delivered them in (a change that moves
  a row to another dimension row takes another path). It keeps each dimension row copy with
  its version and never lets an older copy replace a newer one.

The DimJoin's ``on`` fields must come from a row source (renames allowed), not from a
Processor: S must know where to send a row change before any unit runs.

Every stage is a pure function of (state, event) -> (state, outputs), so a Flink operator
only stores the state and forwards the outputs (``plugin_sdk.flink``), and ``run_keyed``
runs the same stages in one process with any delivery order, for tests.
"""
from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable

from pruner.cdc.message import same_value
from pruner.cdc.model import DELETE, INSERT, TRUNCATE, UPDATE, Change, DeadLetter
from pruner.plan import Plan
from pruner.runtime import plugins
from pruner.runtime.engine import Dedup, Engine, SinkRecord
from pruner.runtime.keys import BadKey, normal_value, row_key
from pruner.spec import DimJoinStep, JobSpec, RenameStep, UdafStep


class KeyedJobError(ValueError):
    """A job the keyed runtime cannot run (and why)."""


@dataclass(frozen=True)
class _Join:
    unit: int                      # plan unit index of the DimJoin
    table: str                     # the dimension table
    source: str                    # the row source holding the lookup fields
    fields: tuple[str, ...]        # the lookup fields, as named in that source


@dataclass
class Routed:
    """What the source side sends: row events to S (by row key), dimension changes to a D stage."""
    rows: list[tuple[tuple, Change]] = field(default_factory=list)
    members: list[tuple[tuple, Change]] = field(default_factory=list)        # (member key, change) for M
    dims: list[tuple[int, tuple, Change]] = field(default_factory=list)      # (join index, dim key, change)
    unknown: int = 0
    bad: list[str] = field(default_factory=list)


class KeyedJob:
    """The keyed stages of one job: routing, and the S, D and R step functions."""

    def __init__(self, spec: JobSpec, plan: Plan, mode: str = "pruned", *, check_fingerprints: bool = True,
                 on_stale: str = "stop", dedup: Dedup | None = None, units: bool = True) -> None:
        """`units=False`: a router for the M, S and D stages, which never run a unit: no engine,
        no plugin loaded (a stale plan is still refused or replaced, as the R stage will)."""
        if mode not in ("pruned", "stateless", "full"):
            raise KeyedJobError(f"the keyed runtime runs pruned, stateless or full, not {mode!r}")
        if dedup is not None and dedup.max_keys is not None:
            raise KeyedJobError("dedup max_keys bounds the keys one process remembers; the keyed runtime "
                                "keeps the emitted values in each key's state: bound them with ttl")
        self.spec = spec
        self.dead_letters: list[DeadLetter] = []      # R: the changes a unit failed on, until taken
        if units:
            self.engine = Engine(spec, plan, mode, check_fingerprints=check_fingerprints, on_stale=on_stale,
                                 dedup=dedup)
            self.plan = self.engine.plan       # a stale plan's replacement (see Engine), never the stale one
        else:
            self.engine = None                 # type: ignore[assignment]
            self.plan = plugins.plan_to_run(plan, spec, on_stale)[0] if check_fingerprints else plan
        self.row_sources = {t.name: t for t in spec.row_sources}
        self.udafs = {s.source: s for s in spec.pipeline if isinstance(s, UdafStep)}
        self.dimensions = {t.name: t for t in spec.dimensions}
        self.aggregated = {t.name: t for t in spec.sources if t.name in self.udafs}
        self.key_fields = spec.sink.primary_key
        self.joins = self._joins()

    # ------------------------------------------------------------------ set-up
    def _joins(self) -> list[_Join]:
        joins = []
        renamed: dict[str, str] = {}             # pipeline name -> source name
        written: dict[str, str] = {}             # field -> the unit that computes it
        everything: str | None = None            # a unit before that writes fields named by data
        units = {u.step: [] for u in self.plan.units}
        for u in self.plan.units:
            units[u.step].append(u)
        for step in self.spec.pipeline:
            if isinstance(step, RenameStep):      # moves values, all at once: computes nothing itself
                was_renamed, was_written = dict(renamed), dict(written)
                for old, new in step.fields:
                    if old in was_written:
                        written[new] = was_written[old]
                        renamed.pop(new, None)
                    else:
                        written.pop(new, None)
                        renamed[new] = was_renamed.get(old, old)
                continue
            if isinstance(step, DimJoinStep):
                fields = []
                for row_field, _ in step.on:
                    if everything is not None and row_field not in written:
                        written[row_field] = f"{everything} (it writes fields named by data)"
                    if row_field in written:
                        raise KeyedJobError(
                            f"DimJoin {step.name}: its key field {row_field!r} is computed by {written[row_field]}; "
                            "the keyed runtime needs DimJoin keys that come from a row source")
                    fields.append(renamed.get(row_field, row_field))
                holders = [t.name for t in self.spec.row_sources if set(fields) <= set(t.fields)]
                if not holders:
                    raise KeyedJobError(f"DimJoin {step.name}: no row source has all of {fields}")
                unit = next(u for u in self.plan.units if u.step == step.name)
                joins.append(_Join(unit.index, step.table, holders[0], tuple(fields)))
            for u in units.get(step.name, ()):
                if u.writes_all and everything is None:
                    everything = u.name           # fields named by data: any field may be computed
                for f in u.writes:
                    written.setdefault(f, u.name)
        return joins

    # ------------------------------------------------------------------ the source side
    def route(self, change: Change) -> Routed:
        """Where one decoded change goes; a change of a row's key becomes a delete and an insert."""
        routed = Routed()
        table = change.table
        if change.kind == TRUNCATE:
            routed.bad.append(f"{table}: a truncate is not supported by the keyed runtime (it spans every key)")
            return routed
        try:
            if table in self.row_sources:
                fields = self.key_fields
            elif table in self.udafs:
                fields = self.aggregated[table].primary_key
            elif table in self.dimensions:
                fields = self.dimensions[table].primary_key
            else:
                routed.unknown += 1
                return routed
            parts = _split_on_key(change, fields)
        except _Bad as bad:
            routed.bad.append(f"{table}: {bad}")
            return routed
        for key, part in parts:
            if table in self.dimensions:
                for i, join in enumerate(self.joins):
                    if join.table == table:
                        routed.dims.append((i, _normal(key), part))
            elif table in self.udafs:
                routed.members.append((key, part))
            else:
                routed.rows.append((key, part))
        return routed

    # ------------------------------------------------------------------ M: one aggregated row
    def member(self, state: dict | None, change: Change) -> tuple[dict | None, list[tuple[tuple, Change]]]:
        """M stage, one row of an aggregated source (by its own key): the row it belongs to.

        M keeps the row's last image, the authoritative before image (a message may have none),
        so a row that moves to another aggregate leaves the old one: a delete there, an insert
        in the new one. Returns (new state, (row key, change) pairs for S)."""
        step = self.udafs[change.table]
        before = state if state is not None else change.before
        old = _row_key(before, step.key)
        if change.kind == DELETE:
            if before is None or old is None:
                return None, []
            return None, [(old, Change(DELETE, change.table, before, None, None, change.line))]
        after = {**before, **change.after} if change.partial and before is not None else dict(change.after)
        new = _row_key(after, step.key)
        out = []
        if old is not None and old != new:
            out.append((old, Change(DELETE, change.table, before, None, None, change.line)))
            if new is not None:
                out.append((new, Change(INSERT, change.table, None, after, None, change.line)))
        elif new is not None:
            out.append((new, Change(change.kind, change.table, before, after, change.changed, change.line)))
        return after, out

    def joins_of(self, change: Change) -> list[int]:
        """The D stages a row event of this table passes through, in pipeline order."""
        return [i for i, j in enumerate(self.joins) if j.source == change.table]

    def next_stage(self, event: dict, after: int) -> tuple[tuple, tuple]:
        """Where a row event leaving D stage `after` (-1: S) goes: (("D", i), lookup key) for
        the next DimJoin of its table, else (("R",), row key). Sets the event's lookup."""
        nxt = [i for i in self.joins_of(event["change"]) if i > after]
        if nxt:
            event["lookup"] = self.lookup(nxt[0], event["change"])
            return ("D", nxt[0]), event["lookup"]
        return ("R",), event["key"]

    def lookup(self, join_index: int, change: Change) -> tuple:
        image = change.after if change.after is not None else change.before
        return _normal(tuple(image.get(f) for f in self.joins[join_index].fields))

    # ------------------------------------------------------------------ S: number a key's changes
    @staticmethod
    def sequence(state: int | None, key: tuple, change: Change) -> tuple[int, dict[str, Any]]:
        seq = (state or 0) + 1
        return seq, {"t": "row", "key": key, "seq": seq, "change": change, "dims": {}}

    # ------------------------------------------------------------------ D: one dimension row
    def dimension(self, join_index: int, state: dict | None, event: dict) -> tuple[dict, list[dict]]:
        """D stage `join_index`, one dimension key: returns (new state, events for the next stage).

        The state is never dropped, even for a deleted row nobody refers to: its version must
        keep growing, or an old copy held by some row key would look newer than a re-insert."""
        state = state or {"row": None, "version": 0, "members": set()}
        if event["t"] == "dim":                                   # a change of the dimension row
            change: Change = event["change"]
            if change.kind == DELETE:
                state["row"] = None
            elif change.partial and state["row"] is not None:
                state["row"] = {**state["row"], **change.after}
            else:
                state["row"] = dict(change.after)
            state["version"] += 1
            out = [{"t": "refresh", "key": key, "join": join_index, "lookup": event["lookup"], "row": state["row"],
                    "version": state["version"], "change": change} for key in sorted(state["members"], key=repr)]
            return state, out
        change = event["change"]                                  # a row event passing through
        # registered, never unregistered (a delete too): S cannot know whether R applies it (a
        # unit may fail there), and a delete can overtake the re-insert that registers the key
        # again (another path); R ignores a refresh of a row its key does not refer to
        state["members"].add(event["key"])
        event["dims"][join_index] = (event["lookup"], state["row"], state["version"])
        return state, [event]

    # ------------------------------------------------------------------ R: one row key
    def row(self, key: tuple, state: dict | None, event: dict) -> tuple[dict | None, list[SinkRecord]]:
        """R stage, one row key: apply row events in seq order, dimension rows by version."""
        state = state or {"next": 1, "pending": {}, "engine": None, "copies": {}}
        records: list[SinkRecord] = []
        if event["t"] == "refresh":
            self.engine.load_key(key, state["engine"])
            records += self._refresh(key, state, event)
        else:
            state["pending"][event["seq"]] = event
            if state["next"] not in state["pending"]:
                return state, records                       # an earlier change is still on its way
            self.engine.load_key(key, state["engine"])
            while state["next"] in state["pending"]:
                records += self._apply(state, state["pending"].pop(state["next"]))
                state["next"] += 1
        state["engine"] = self.engine.export_key(key)
        return state, records

    def _newest(self, state: dict, join_index: int, lookup: tuple, row: dict | None, version: int) -> tuple[int, dict | None]:
        """Keep the newest copy of a dimension row this key has been sent, and return it.

        Copies are kept per lookup key, also for rows the key does not refer to yet: a refresh
        can overtake the row change that moves the key there (it takes another path)."""
        copies = state["copies"].setdefault(join_index, {})
        held = copies.get(lookup)
        if held is None or held[0] < version:
            held = copies[lookup] = (version, row)
        return held

    def _apply(self, state: dict, event: dict) -> list[SinkRecord]:
        records: list[SinkRecord] = []
        key = event["key"]
        for join_index, (lookup, row, version) in event["dims"].items():
            _, row = self._newest(state, join_index, lookup, row, version)
            join = self.joins[join_index]
            if self.engine.lookup_of[join.unit].get(key) == lookup:
                # the key already refers to that dimension row: a newer copy is a change of it,
                # which this row event overtook on its way (another path than the refresh)
                records += self._dimension_change(join, lookup, row, event["change"].line)
                continue
            table = self.engine.tables[join.table]
            if row is None:
                table.pop(lookup, None)
            else:
                table[lookup] = row
        result = self.engine.process(event["change"])
        if isinstance(result, DeadLetter):     # a unit failed on it: this key keeps its old row
            self.dead_letters.append(result)
            return records
        return records + result

    def _refresh(self, key: tuple, state: dict, event: dict) -> list[SinkRecord]:
        join = self.joins[event["join"]]
        held = state["copies"].get(event["join"], {}).get(event["lookup"])
        if held is not None and held[0] >= event["version"]:
            return []                                       # this key already has that row or newer
        self._newest(state, event["join"], event["lookup"], event["row"], event["version"])
        if self.engine.lookup_of[join.unit].get(key) != event["lookup"]:
            return []                                       # kept for when (if) the key refers to it
        return self._dimension_change(join, event["lookup"], event["row"], event["change"].line)

    def _dimension_change(self, join: _Join, lookup: tuple, row: dict | None, line: int) -> list[SinkRecord]:
        """The dimension row `lookup` becomes `row` (None: deleted) for the key the engine holds."""
        before = self.engine.tables[join.table].get(lookup)
        if row is None:
            if before is None:
                return []
            result = self.engine.process(Change(DELETE, join.table, before, None, None, line))
        elif before is None:
            result = self.engine.process(Change(INSERT, join.table, None, row, None, line))
        else:
            if before is row:
                return []
            # strict equality (1, 1.0 and True differ), as every change mask is computed; the
            # engine also diffs against the row it holds
            changed = frozenset(f for f in set(before) | set(row)
                                if not same_value(before.get(f, _NONE), row.get(f, _NONE)))
            if not changed:
                return []
            result = self.engine.process(Change(UPDATE, join.table, before, row, changed, line))
        if isinstance(result, DeadLetter):
            self.dead_letters.append(result)
            return []
        return result

    def take_dead_letters(self) -> list[DeadLetter]:
        """The dead letters of the R steps since the last call (a unit failed on the change:
        the key keeps its previous row, as in the engine)."""
        letters, self.dead_letters = self.dead_letters, []
        return letters


# ---------------------------------------------------------------------- in one process
@dataclass
class KeyedRun:
    records: list[SinkRecord]
    stats: Any
    unknown: int
    bad: list[str]


def run_keyed(spec: JobSpec, plan: Plan, changes: Iterable[Change], *, mode: str = "pruned",
              rng: random.Random | None = None, check_fingerprints: bool = True,
              dedup: Dedup | None = None) -> KeyedRun:
    """Run the keyed stages in one process. With `rng`, messages between stages are delivered in
    a random order that keeps only what a stream processor keeps: FIFO per sender and receiver key.
    With `dedup`, R sends only what really changed (``Engine``'s dedup, its state per key)."""
    job = KeyedJob(spec, plan, mode, check_fingerprints=check_fingerprints, dedup=dedup)
    s_state: dict[tuple, int] = {}
    m_state: dict[tuple, dict] = {}
    d_state: list[dict[tuple, dict]] = [{} for _ in job.joins]
    r_state: dict[tuple, dict] = {}
    channels: dict[tuple, deque] = {}                  # (stage, sender, receiver) -> FIFO
    records: list[SinkRecord] = []
    unknown, bad = 0, []

    def send(stage: tuple, sender: Any, receiver: tuple, event: dict) -> None:
        channels.setdefault((stage, sender, receiver), deque()).append(event)

    def forward(event: dict, sender: Any, after: int) -> None:
        stage, key = job.next_stage(event, after)
        send(stage, sender, key, event)

    def deliver(stage: tuple, sender: Any, receiver: tuple, event: Any) -> None:
        if stage[0] == "M":
            table, member_key = receiver
            state, out = job.member(m_state.get(receiver), event)
            if state is None:
                m_state.pop(receiver, None)
            else:
                m_state[receiver] = state
            for key, part in out:
                send(("S",), ("M", table, member_key), key, part)
        elif stage[0] == "S":
            s_state[receiver], row_event = job.sequence(s_state.get(receiver), receiver, event)
            forward(row_event, ("S", receiver), -1)
        elif stage[0] == "D":
            i = stage[1]
            d_state[i][receiver], out = job.dimension(i, d_state[i].get(receiver), event)
            for e in out:
                if e["t"] == "refresh":
                    send(("R",), ("D", i, receiver), e["key"], e)
                else:
                    forward(e, ("D", i, receiver), i)
        else:
            state, out = job.row(receiver, r_state.get(receiver), event)
            r_state[receiver] = state
            records.extend(out)

    def drain(everything: bool) -> None:
        while channels:
            name = rng.choice(list(channels)) if rng is not None else next(iter(channels))
            queue = channels[name]
            event = queue.popleft()
            if not queue:
                del channels[name]
            deliver(name[0], name[1], name[2], event)
            if not everything and rng is not None and rng.random() < 0.3:
                return

    for change in changes:
        routed = job.route(change)
        unknown += routed.unknown
        bad += routed.bad
        for key, part in routed.rows:
            send(("S",), "source", key, part)
        for member_key, part in routed.members:
            send(("M",), "source", (part.table, member_key), part)
        for i, key, part in routed.dims:
            send(("D", i), "source", key, {"t": "dim", "lookup": key, "change": part})
        drain(rng is None)
    drain(True)
    return KeyedRun(records, job.engine.stats, unknown, bad)


# ---------------------------------------------------------------------- helpers
_NONE = object()


class _Bad(Exception):
    pass


def _key(image: Any, fields: tuple[str, ...]) -> tuple:
    try:
        return row_key(image, fields)
    except BadKey as bad:
        raise _Bad(str(bad)) from None


def _row_key(image: dict | None, field: str) -> tuple | None:
    """The row an aggregated row belongs to, or None (no image, no or a null key field)."""
    if not isinstance(image, dict) or image.get(field) is None:
        return None
    try:
        return row_key(image, (field,))
    except BadKey:
        return None


def _split_on_key(change: Change, fields: tuple[str, ...]) -> list[tuple[tuple, Change]]:
    before = _key(change.before, fields) if change.before is not None else None
    after = _key(change.after, fields) if change.after is not None else None
    if change.kind == UPDATE and before is not None and after is not None and before != after:
        return [(before, Change(DELETE, change.table, change.before, None, None, change.line)),
                (after, Change(INSERT, change.table, None, change.after, None, change.line))]
    return [(after if after is not None else before, change)]


def _normal(key: tuple) -> tuple:
    """A lookup key as the engine's keys are (``keys.normal_value``), so equal keys route alike;
    a null stays null and a value no key can have (a list) routes by its text, matching nothing."""
    out = []
    for v in key:
        try:
            out.append(None if v is None else normal_value(v))
        except BadKey:
            out.append(("<unhashable>", repr(v)))
    return tuple(out)
