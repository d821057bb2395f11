"""Decisions for one change, in plain Python: the reference the runtime's fast paths must match.

``change_mask`` is the one rule that turns a change into a mask, for the engine (through
``pruner.runtime.Decider``, which memoizes it), for ``pruner explain`` and for the benchmarks:
an update sets the bits of the fields it changes (the wildcard for a field the plan does not
know); a change whose fields are unknown (an insert, a delete, a snapshot row) sets
``Plan.table_bits``: every bit for a table whose rows are the sink's rows, else that table's
own fields and the wildcard. ``decide`` turns a mask into what runs, with the reasons.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from pruner.cdc.model import ROW_KINDS
from pruner.plan import Plan, to_int


@dataclass(frozen=True)
class Explanation:
    """What runs for one mask and why (unit names and a reason per unit): the reference that
    ``pruner explain`` prints and the runtime's ``Decision`` must agree with."""

    drop: bool
    run: tuple[str, ...]
    skip: tuple[str, ...]
    outputs: tuple[str, ...]
    mask: int
    why: dict[str, str]


def change_mask(plan: Plan, source: str, changed: Iterable[str] | None, op: str = "update") -> int:
    """The bits of one change to `source` (see the module docstring); ``changed`` None means
    the changed fields are unknown. ``KeyError`` for a table the plan does not know."""
    if op not in ROW_KINDS:
        raise ValueError(f"unknown op {op!r}; expected one of {', '.join(ROW_KINDS)}")
    fields = plan.namespaces.get(source)
    if fields is None and not (plan.row_sources and source in plan.row_sources):
        raise KeyError(source)
    if op != "update" or changed is None:
        return plan.table_bits(source)
    mask = 0
    for name in changed:
        bit = fields.get(name, plan.wildcard_bit) if fields is not None else plan.wildcard_bit
        mask |= 1 << bit
    return mask


def decide(plan: Plan, mask: int) -> Explanation:
    names = plan.field_names()
    relevant = to_int(plan.relevant)
    if not mask & relevant:
        return Explanation(drop=True, run=(), skip=tuple(u.name for u in plan.units), outputs=(),
                           mask=mask, why={"message": "changes no field that any sink field depends on"})
    run, skip, why = [], [], {}
    for unit in plan.units:
        dep = to_int(unit.dep)
        if unit.dead:
            skip.append(unit.name)
            why[unit.name] = "dead: its outputs reach no sink field"
        elif dep & mask:
            run.append(unit.name)
            why[unit.name] = ("not prunable: runs on every message" if not unit.prunable else
                              "changed: " + ", ".join(_bit_names(dep & mask, names)))
        else:
            skip.append(unit.name)
            why[unit.name] = "none of its inputs changed: " + ", ".join(_bit_names(dep, names))
    outputs = tuple(f for f, dep in plan.sink if to_int(dep) & mask)
    return Explanation(drop=False, run=tuple(run), skip=tuple(skip), outputs=outputs, mask=mask, why=why)


def _bit_names(mask: int, names: dict[int, str]) -> list[str]:
    found = []
    bit = 0
    while mask:
        if mask & 1:
            found.append(names.get(bit, f"bit {bit}"))
        mask >>= 1
        bit += 1
    return found
