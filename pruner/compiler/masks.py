"""Compile: the lineage graph -> per unit the source fields whose change can change it.

One pass in topological order, one OR per edge (masks are Python ints while compiling), so
the cost is linear in the graph. Masks flow along lineage edges only (not along an edge
marked ``carries=False``, see weld.py); supply and liveness follow every edge. Bit 0 is the wildcard (every field the plan does not
know); bit i+1 is ``lineage.source_fields[i]``.

Per unit: ``dep`` (source bits that dirty it), ``supply`` (the units that must run to hand
it its inputs when no state keeps their outputs: its transitive producers), ``dead``
(outputs reach no sink field, no effects: never run). Per sink field: ``dep``.
``relevant`` = OR of the sink deps; a message changing nothing in it is dropped. A job with
a live non-prunable unit (side effects) keeps every message: ``relevant`` is then all bits,
so an effect is never skipped by dropping its message.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import networkx as nx

from pruner import diagnostics as dx
from pruner.compiler.codeprint import unit_prints
from pruner.diagnostics import Diagnostic
from pruner.compiler.weld import ALWAYS, WILD, Lineage, Unit
from pruner.plan import WILDCARD_BIT


@dataclass(frozen=True)
class CompiledUnit:
    unit: Unit
    dep: int
    supply: tuple[int, ...]
    dead: bool
    code: str | None = None      # its code fingerprint (pruner.compiler.codeprint)


@dataclass(frozen=True)
class Compiled:
    lineage: Lineage
    n_bits: int
    units: tuple[CompiledUnit, ...]
    sink: tuple[tuple[str, int], ...]     # (sink field, dep) in sink order
    sink_supply: tuple[tuple[int, ...], ...]   # per sink field: the units that produce its value
    relevant: int
    diagnostics: tuple[Diagnostic, ...]

    @property
    def all_bits(self) -> int:
        return (1 << self.n_bits) - 1


def compile_lineage(lineage: Lineage) -> Compiled:
    graph = lineage.graph
    bit_of = {("src", ns, f): i + 1 for i, (ns, f) in enumerate(lineage.source_fields)}
    n_bits = len(lineage.source_fields) + 1
    all_bits = (1 << n_bits) - 1
    masks: dict[tuple, int] = {}
    producers: dict[tuple, int] = {}     # unit bitset of transitive producers
    for node in nx.topological_sort(graph):
        if node == WILD:
            masks[node] = 1 << WILDCARD_BIT
            producers[node] = 0
            continue
        if node == ALWAYS:
            masks[node] = all_bits
            producers[node] = 0
            continue
        mask = 1 << bit_of[node] if node[0] == "src" else 0
        supply = 0
        for pred, _, carries in graph.in_edges(node, data="carries", default=True):
            if carries:
                mask |= masks[pred]
            supply |= producers[pred]
            if pred[0] == "unit":
                supply |= 1 << pred[1]
        masks[node] = mask
        producers[node] = supply
    live = _live_units(lineage)
    units = []
    codes, open_code = unit_prints(lineage)
    diagnostics = list(lineage.diagnostics) + open_code
    for unit in lineage.units:
        node = ("unit", unit.index)
        dead = unit.index not in live
        if dead:
            diagnostics.append(dx.make("dead-unit", unit.file or str(lineage.spec.path), 1, 1,
                                       f"{unit.name}: its outputs reach no sink field and it has no "
                                       "effects, so it never runs"))
        units.append(CompiledUnit(unit=unit, dep=masks[node], supply=_indices(producers[node]), dead=dead,
                                  code=codes.get(unit.index)))
    sink_fields = [f for f in lineage.spec.sink.fields if ("sink", f) in masks]
    sink = tuple((f, masks[("sink", f)]) for f in sink_fields)
    sink_supply = tuple(_indices(producers[("sink", f)]) for f in sink_fields)
    relevant = 0
    for _, dep in sink:
        relevant |= dep
    if any(not cu.unit.prunable and not cu.dead for cu in units):
        relevant = all_bits
    return Compiled(lineage=lineage, n_bits=n_bits, units=tuple(units), sink=sink,
                    sink_supply=sink_supply, relevant=relevant, diagnostics=tuple(diagnostics))


def _live_units(lineage: Lineage) -> set[int]:
    """Units with a path to a sink field, plus effectful units and filters (and their inputs)."""
    graph = lineage.graph
    targets = [("sink", f) for f in lineage.spec.sink.fields if ("sink", f) in graph]
    targets += [("unit", u.index) for u in lineage.units if not u.prunable or u.kind == "filter"]
    seen = set(targets)
    queue = deque(targets)
    while queue:
        node = queue.popleft()
        for pred in graph.predecessors(node):
            if pred not in seen:
                seen.add(pred)
                queue.append(pred)
    return {node[1] for node in seen if node[0] == "unit"}


def _indices(bits: int) -> tuple[int, ...]:
    found = []
    while bits:
        low = bits & -bits
        found.append(low.bit_length() - 1)
        bits ^= low
    return tuple(found)
