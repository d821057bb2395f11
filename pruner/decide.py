"""Decisions for one change, in plain Python: the reference the runtime's fast paths must match.

Given the changed fields of one message (per source namespace), build its mask and decide:
drop the message, or which units run and which are skipped, and which sink fields may change.
Inserts, deletes and snapshot rows count as "every field changed".
"""
from __future__ import annotations

from dataclasses import dataclass

from pruner.encode import Plan, to_int

OPS = ("insert", "update", "delete")


@dataclass(frozen=True)
class Decision:
    drop: bool
    run: tuple[str, ...]
    skip: tuple[str, ...]
    outputs: tuple[str, ...]
    mask: int
    why: dict[str, str]


def change_mask(plan: Plan, source: str, changed: list[str] | tuple[str, ...], op: str = "update") -> int:
    """The bits of one message; a field the plan does not know sets the wildcard bit."""
    if op not in OPS:
        raise ValueError(f"unknown op {op!r}; expected one of {', '.join(OPS)}")
    if op != "update":
        return (1 << plan.n_bits) - 1
    fields = plan.namespaces.get(source)
    if fields is None:
        raise KeyError(source)
    mask = 0
    for name in changed:
        bit = fields.get(name, plan.wildcard_bit)
        mask |= 1 << bit
    return mask


def decide(plan: Plan, mask: int) -> Decision:
    names = plan.field_names()
    relevant = to_int(plan.relevant)
    if not mask & relevant:
        return Decision(drop=True, run=(), skip=tuple(u.name for u in plan.units), outputs=(),
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
    return Decision(drop=False, run=tuple(run), skip=tuple(skip), outputs=outputs, mask=mask, why=why)


def _bit_names(mask: int, names: dict[int, str]) -> list[str]:
    found = []
    bit = 0
    while mask:
        if mask & 1:
            found.append(names.get(bit, f"bit {bit}"))
        mask >>= 1
        bit += 1
    return found
