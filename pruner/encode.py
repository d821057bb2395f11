"""Encode: compiled masks -> a Plan: the encoding table (field -> bit) and bitarray masks.

Bit 0 is the wildcard. Every source and dimension table is a namespace of its own
(``items.price`` and ``sellers.price`` are different bits). Masks are little-endian
bitarrays padded to whole 64-bit words, so the runtime can view them as uint64 words.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from bitarray import bitarray

from pruner import __version__
from pruner.compile import WILDCARD_BIT, Compiled

WORD_BITS = 64


@dataclass(frozen=True)
class PlanUnit:
    index: int
    name: str
    kind: str
    step: str
    class_ref: str | None
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    reads_all: bool
    writes_all: bool
    prunable: bool
    dead: bool
    dep: bitarray
    supply: tuple[int, ...]
    isolated: bool = False         # a Processor or filter run on a private copy of the row


@dataclass(frozen=True)
class Plan:
    job: str
    compiler_version: str
    n_bits: int
    wildcard_bit: int
    namespaces: dict[str, dict[str, int]]          # source/dimension -> field -> bit
    units: tuple[PlanUnit, ...]
    sink_name: str
    sink_primary_key: tuple[str, ...]
    sink: tuple[tuple[str, bitarray], ...]         # (sink field, dep) in sink order
    sink_supply: tuple[tuple[int, ...], ...]       # per sink field: the units producing its value
    relevant: bitarray
    fingerprints: dict[str, dict[str, str]]        # {"spec": {file: sha}, "plugins": {file: sha}}
    graph_nodes: tuple[str, ...]
    graph_edges: tuple[tuple[int, int], ...]
    notes: tuple[str, ...] = ()                    # compile diagnostics, rendered
    # The tables whose rows make the sink's rows (format 2). An insert or delete there is a new
    # or a gone sink row: every bit. Elsewhere (a dimension, a UDAF source) it changes that
    # table's fields only. None (a format-1 plan): unknown, so every table counts as one.
    row_sources: tuple[str, ...] | None = None

    @property
    def n_words(self) -> int:
        return words_for(self.n_bits)

    def unit(self, name: str) -> PlanUnit:
        for unit in self.units:
            if unit.name == name:
                return unit
        raise KeyError(name)

    def table_bits(self, table: str) -> int:
        """The mask of a change to `table` whose changed fields are unknown (an insert, a
        delete, a snapshot row, a row the runtime does not hold): every bit for a table whose
        rows are the sink's rows (or when the plan does not say which those are), else the
        table's own fields and the wildcard. ``KeyError`` for a table the plan does not know."""
        if self.row_sources is not None and table in self.row_sources:
            return (1 << self.n_bits) - 1
        fields = self.namespaces[table]
        if self.row_sources is None:
            return (1 << self.n_bits) - 1
        mask = 1 << self.wildcard_bit
        for bit in fields.values():
            mask |= 1 << bit
        return mask

    def field_names(self) -> dict[int, str]:
        names = {self.wildcard_bit: "<unknown field>"}
        for namespace, fields in self.namespaces.items():
            for name, bit in fields.items():
                names[bit] = f"{namespace}.{name}"
        return names


def words_for(n_bits: int) -> int:
    return max(1, -(-n_bits // WORD_BITS))


def to_bits(mask: int, n_bits: int) -> bitarray:
    bits = bitarray(words_for(n_bits) * WORD_BITS, endian="little")
    bits.setall(0)
    i = 0
    while mask:
        if mask & 1:
            bits[i] = 1
        mask >>= 1
        i += 1
    return bits


def to_int(bits: bitarray) -> int:
    return int.from_bytes(bits.tobytes(), "little")


def encode(compiled: Compiled) -> Plan:
    lineage = compiled.lineage
    spec = lineage.spec
    n = compiled.n_bits
    namespaces: dict[str, dict[str, int]] = {}
    for i, (namespace, field) in enumerate(lineage.source_fields):
        namespaces.setdefault(namespace, {})[field] = i + 1
    units = tuple(
        PlanUnit(index=cu.unit.index, name=cu.unit.name, kind=cu.unit.kind, step=cu.unit.step,
                 class_ref=cu.unit.class_ref, reads=cu.unit.reads, writes=cu.unit.writes,
                 reads_all=cu.unit.reads_all, writes_all=cu.unit.writes_all,
                 prunable=cu.unit.prunable, dead=cu.dead, dep=to_bits(cu.dep, n), supply=cu.supply,
                 isolated=cu.unit.isolated)
        for cu in compiled.units)
    nodes = sorted(lineage.graph.nodes, key=_node_key)
    numbering = {node: i for i, node in enumerate(nodes)}
    edges = tuple(sorted((numbering[a], numbering[b]) for a, b in lineage.graph.edges))
    return Plan(
        job=spec.name, compiler_version=__version__, n_bits=n, wildcard_bit=WILDCARD_BIT,
        namespaces=namespaces, units=units, sink_name=spec.sink.name,
        sink_primary_key=spec.sink.primary_key,
        sink=tuple((f, to_bits(dep, n)) for f, dep in compiled.sink),
        sink_supply=compiled.sink_supply,
        relevant=to_bits(compiled.relevant, n), fingerprints=fingerprints(lineage),
        graph_nodes=tuple(_node_label(node, lineage) for node in nodes), graph_edges=edges,
        notes=tuple(d.render() for d in compiled.diagnostics),
        row_sources=tuple(t.name for t in spec.row_sources))


def fingerprints(lineage) -> dict[str, dict[str, str]]:
    """sha256 of the job spec and of every analyzed plugin file, by path relative to the spec."""
    spec = lineage.spec
    base = spec.path.resolve().parent
    plugins = {}
    for module in lineage.analysis.modules:
        plugins[_relative(Path(module.file), base)] = module.sha256
    return {"spec": {spec.path.name: hashlib.sha256(spec.text.encode("utf-8")).hexdigest()},
            "plugins": dict(sorted(plugins.items()))}


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _node_key(node: tuple) -> tuple:
    return tuple((0, x) if isinstance(x, int) else (1, str(x)) for x in node)


def _node_label(node: tuple, lineage) -> str:
    kind = node[0]
    if kind == "src":
        return f"src:{node[1]}.{node[2]}"
    if kind == "v":
        return f"field:{node[1]}@{node[2]}"
    if kind == "unit":
        return f"unit:{lineage.units[node[1]].name}"
    if kind == "sink":
        return f"sink:{node[1]}"
    return kind
