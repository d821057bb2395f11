"""`pruner diff OLD.plan NEW.plan`: what changed between two versions of a job, and which sink
fields must be recomputed for the rows the sink already holds.

Units are matched by name. A unit *changed* when it is new, when its code fingerprint differs
(``PlanUnit.code``: its reachable code, or its step's configuration; unknown in a plan older
than format 4, which then counts as changed), when it reads or writes other fields, or when it
runs in another order relative to the units of both plans. A sink field is *to recompute*
when it is new, when a changed or removed unit supplies it (``Plan.sink_supply``: every unit
its value comes from, transitively), or when its lineage changed (it depends on other source
fields). A full recompute is needed when what makes a sink row changes: the sink's key, the
tables whose rows are the sink's rows, a filter, or what a filter reads (made by a changed unit).

Verdicts: "no backfill needed" (exit 0), "backfill N of M sink fields", "drop N removed sink
fields" (both may be said) or "full recompute needed" (exit 1), as ``git diff --exit-code``; a
plan that cannot be read exits 2.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pruner.cdc.types import parse_type
from pruner.plan import Plan, PlanUnit, to_int


@dataclass
class PlanDiff:
    old_job: str
    new_job: str
    units_added: list[str] = field(default_factory=list)
    units_removed: list[str] = field(default_factory=list)
    units_code_changed: list[str] = field(default_factory=list)
    units_io_changed: list[str] = field(default_factory=list)      # reads or writes changed
    units_moved: list[str] = field(default_factory=list)
    sink_added: list[str] = field(default_factory=list)
    sink_removed: list[str] = field(default_factory=list)
    source_fields_added: list[str] = field(default_factory=list)   # newly read: a backfill needs them
    recompute: dict[str, list[str]] = field(default_factory=dict)  # sink field -> why
    full_recompute: list[str] = field(default_factory=list)        # why every row must be recomputed
    rekeyed: list[str] = field(default_factory=list)   # why the sink's rows are keyed or made otherwise
    retyped: list[str] = field(default_factory=list)       # source fields decoded otherwise: "t.f (a -> b)"
    sink_retyped: list[str] = field(default_factory=list)  # sink fields typed otherwise
    notes: list[str] = field(default_factory=list)
    sink_fields: int = 0

    @property
    def verdict(self) -> str:
        if self.full_recompute:
            return "full recompute needed"
        dropped = (f"drop {len(self.sink_removed)} removed sink field{'s' if len(self.sink_removed) > 1 else ''}"
                   if self.sink_removed else "")
        if self.recompute:
            return f"backfill {len(self.recompute)} of {self.sink_fields} sink fields" + (f"; {dropped}" if dropped
                                                                                           else "")
        return dropped or "no backfill needed"

    @property
    def exit_code(self) -> int:
        return 1 if self.full_recompute or self.recompute or self.sink_removed else 0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict, "exit_code": self.exit_code}


def _field_names(plan: Plan, mask: int) -> frozenset[str]:
    names = plan.field_names()
    return frozenset(names[bit] for bit in range(plan.n_bits) if mask >> bit & 1)


def _io(unit: PlanUnit) -> tuple:
    return (tuple(sorted(unit.reads)), tuple(sorted(unit.writes)), unit.reads_all, unit.writes_all)


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    out = PlanDiff(old.job, new.job, sink_fields=len(new.sink))
    old_units = {u.name: u for u in old.units}
    new_units = {u.name: u for u in new.units}
    out.units_added = [u.name for u in new.units if u.name not in old_units]
    out.units_removed = [u.name for u in old.units if u.name not in new_units]
    common_old = [u.name for u in old.units if u.name in new_units]
    common_new = [u.name for u in new.units if u.name in old_units]
    unknown = False
    for name in common_new:
        before, after = old_units[name], new_units[name]
        if before.code is None or after.code is None or before.code != after.code:
            out.units_code_changed.append(name)
            unknown |= before.code is None or after.code is None
        if _io(before) != _io(after) or before.kind != after.kind:
            out.units_io_changed.append(name)
    if unknown:
        out.notes.append("a plan has no code fingerprints (compiled before format 4): every unit counts as "
                         "changed; recompile it to compare code")
    position = {name: i for i, name in enumerate(common_old)}
    for i, name in enumerate(common_new):       # an order change among the units both plans have
        if position[name] != i:
            out.units_moved.append(name)
    changed = (set(out.units_added) | set(out.units_code_changed) | set(out.units_io_changed)
               | set(out.units_moved))
    removed = set(out.units_removed)

    old_sink = {f: (to_int(dep), supply) for (f, dep), supply in zip(old.sink, old.sink_supply)}
    for (name, dep), supply in zip(new.sink, new.sink_supply):
        why = []
        if name not in old_sink:
            out.sink_added.append(name)
            why.append("new sink field")
        else:
            old_dep, old_supply = old_sink[name]
            if _field_names(old, old_dep) != _field_names(new, to_int(dep)):
                why.append("its lineage changed (it depends on other source fields)")
            gone = sorted(old.units[i].name for i in old_supply if old.units[i].name in removed)
            if gone:
                why.append(f"removed unit {', '.join(gone)} supplied it")
        by = [new.units[i].name for i in supply if new.units[i].name in changed]
        if by:
            why.append(f"changed unit{'s' if len(by) > 1 else ''} {', '.join(by)} suppl{'y' if len(by) > 1 else 'ies'} it")
        if why:
            out.recompute[name] = why
    out.sink_removed = [f for f in old_sink if f not in {n for n, _ in new.sink}]

    old_fields = {f"{t}.{f}" for t, fields in old.namespaces.items() for f in fields}
    out.source_fields_added = sorted(f"{t}.{f}" for t, fields in new.namespaces.items() for f in fields
                                     if f"{t}.{f}" not in old_fields)
    if tuple(old.sink_primary_key) != tuple(new.sink_primary_key):
        out.rekeyed.append(f"the sink's key changed ({', '.join(old.sink_primary_key)} -> "
                           f"{', '.join(new.sink_primary_key)})")
    if old.row_sources != new.row_sources:
        out.rekeyed.append("the tables whose rows are the sink's rows changed")
    _retyped(old, new, out)
    out.full_recompute[:0] = out.rekeyed
    filters = sorted({u.name for u in (*old.units, *new.units) if u.kind == "filter"}
                     & (changed | removed))
    if filters:
        out.full_recompute.append(f"filter {', '.join(filters)} changed: rows may enter or leave the sink")
    # a filter whose own code did not change still decides otherwise when what it reads is made
    # by changed units, or by other units than before
    for unit in new.units:
        if unit.kind != "filter" or unit.name in filters or unit.name not in old_units:
            continue
        feeders = {new.units[i].name for i in unit.supply}
        before = {old.units[i].name for i in old_units[unit.name].supply}
        touched = sorted(feeders & changed) or sorted((feeders ^ before) | (before & removed))
        if touched:
            out.full_recompute.append(f"filter {unit.name} reads what changed unit{'s' if len(touched) > 1 else ''} "
                                      f"{', '.join(touched)} make{'' if len(touched) > 1 else 's'}: rows may enter "
                                      "or leave the sink")
    return out


def _same_type(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a == b
    try:
        x, y = parse_type(a), parse_type(b)
    except ValueError:
        return a == b
    return (x.kind, x.low, x.high, x.precision, x.scale) == (y.kind, y.low, y.high, y.precision, y.scale)


def decoded_otherwise(old: Plan, new: Plan) -> bool:
    """Whether a source or dimension field's declared type differs (or may: a plan before format 5):
    source state decoded with the old types is not the state the new plan decodes."""
    if old.types is None or new.types is None:
        return True
    return any(not _same_type(old.types.get(t, {}).get(f), new.types.get(t, {}).get(f))
               for t in set(old.types) | set(new.types)
               for f in set(old.types.get(t, {})) | set(new.types.get(t, {})))


def _retyped(old: Plan, new: Plan, out: PlanDiff) -> None:
    """Declared types that changed (``types:`` of a table or of the sink). A field typed otherwise
    is decoded otherwise, and may make whole messages dead letters (or stop making them): rows of
    its table may appear or vanish. So a row source's field makes the sink's rows otherwise (the
    records are the whole new table); a dimension's or an aggregated source's field changes every
    sink field that depends on any field of that table (every row, when a filter reads one); a
    sink field typed otherwise is written otherwise."""
    if old.types is None or new.types is None:
        out.full_recompute.append("a plan has no field types (compiled before format 5): whether a declared type "
                                  "changed is not known; recompile both plans to compare them")
        return
    keys = new.table_keys or {}
    row_sources = set(new.row_sources or ())
    wildcard = 1 << new.wildcard_bit
    filters = [u for u in new.units if u.kind == "filter"]
    for table in sorted(set(old.types) | set(new.types)):
        before, after = old.types.get(table, {}), new.types.get(table, {})
        for name in sorted(set(before) | set(after)):
            if _same_type(before.get(name), after.get(name)):
                continue
            what = f"{table}.{name} ({before.get(name, 'untyped')} -> {after.get(name, 'untyped')})"
            out.retyped.append(what)
            if table in row_sources:
                out.rekeyed.append(f"{'key ' if name in keys.get(table, ()) else ''}field {what} is typed otherwise: "
                                   "its messages decode otherwise, or become dead letters (or stop being ones), "
                                   "so the sink's rows are made otherwise")
                continue
            if name in keys.get(table, ()):
                out.full_recompute.append(f"key field {what} is typed otherwise: rows join or aggregate otherwise")
                continue
            # a row of the table may now be refused (or accepted): every field of it may change
            mask = wildcard
            for bit in new.namespaces.get(table, {}).values():
                mask |= 1 << bit
            if any(to_int(u.dep) & mask for u in filters):
                out.full_recompute.append(f"a filter reads {table}, whose field {what} is typed otherwise: rows "
                                          "may enter or leave the sink")
            for sink_field, dep in new.sink:
                if to_int(dep) & mask:
                    out.recompute.setdefault(sink_field, []).append(
                        f"it depends on {table}, whose field {what} is typed otherwise (its rows decode otherwise, "
                        "or become dead letters)")
    before, after = old.sink_types or {}, new.sink_types or {}
    for name, _ in new.sink:
        if not _same_type(before.get(name), after.get(name)):
            what = f"{before.get(name, 'untyped')} -> {after.get(name, 'untyped')}"
            out.sink_retyped.append(f"{name} ({what})")
            out.recompute.setdefault(name, []).append(f"the sink types it otherwise ({what})")


def render(result: PlanDiff) -> str:
    """The diff for a person: what changed, then what to recompute and the verdict."""
    lines = [f"job {result.old_job}" + (f" -> {result.new_job}" if result.new_job != result.old_job else "")]
    for label, names in (("units added", result.units_added), ("units removed", result.units_removed),
                         ("units with changed code", result.units_code_changed),
                         ("units with changed reads/writes", result.units_io_changed),
                         ("units run in another order", result.units_moved),
                         ("sink fields added", result.sink_added), ("sink fields removed", result.sink_removed),
                         ("source fields newly read (every existing row holds them)", result.source_fields_added),
                         ("source fields typed otherwise (decoded otherwise)", result.retyped),
                         ("sink fields typed otherwise", result.sink_retyped)):
        if names:
            lines.append(f"{label}: {', '.join(names)}")
    if len(lines) == 1:
        lines.append("no unit, sink field or source field changed")
    for note in result.notes:
        lines.append(f"note: {note}")
    if result.full_recompute:
        lines.append("full recompute needed:")
        lines += [f"  {why}" for why in result.full_recompute]
    if result.recompute:
        lines.append(f"sink fields to recompute ({len(result.recompute)} of {result.sink_fields}):")
        width = max(len(name) for name in result.recompute)
        lines += [f"  {name:<{width}}  {'; '.join(why)}" for name, why in result.recompute.items()]
    lines.append(f"verdict: {result.verdict}")
    return "\n".join(lines)
