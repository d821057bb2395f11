"""Encode: compiled masks -> a Plan (``pruner.plan``): the encoding table (field -> bit) and bitarray masks.

Bit 0 is the wildcard. Every source and dimension table is a namespace of its own
(``items.price`` and ``sellers.price`` are different bits). Masks are little-endian
bitarrays padded to whole 64-bit words, so the runtime can view them as uint64 words.
"""
from __future__ import annotations

from pathlib import Path

from pruner import __version__
from pruner.compiler.masks import Compiled
from pruner.fingerprint import file_key, text_digest
from pruner.plan import WILDCARD_BIT, Plan, PlanUnit, to_bits


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
                 isolated=cu.unit.isolated, code=cu.code)
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
        row_sources=tuple(t.name for t in spec.row_sources),
        types={t.name: {f: column.spelled for f, column in t.types} for t in (*spec.sources, *spec.dimensions)},
        sink_types={f: column.spelled for f, column in spec.sink.types},
        table_keys={t.name: t.primary_key for t in (*spec.sources, *spec.dimensions)})


def fingerprints(lineage) -> dict[str, dict[str, str]]:
    """sha256 of the job spec and of every analyzed plugin file, by path relative to the spec
    (``pruner.fingerprint``: the runtime's stale check computes the same)."""
    spec = lineage.spec
    base = spec.path.resolve().parent
    plugins = {}
    for module in lineage.analysis.modules:
        plugins[file_key(Path(module.file), base)] = module.sha256
    return {"spec": {spec.path.name: text_digest(spec.text)},
            "plugins": dict(sorted(plugins.items()))}


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
