"""Weld: a job spec plus analyzed plugins -> one job-wide field-lineage graph (networkx).

Nodes (hashable tuples):
- ``("src", namespace, field)``: a field of a source or dimension table (one bit each);
- ``("wild",)``: every field the plan does not know (schema evolution);
- ``("always",)``: "changes on every message", feeding units that may not be pruned;
- ``("v", field, k)``: version k of a row field (SSA: a field written again is a new node);
- ``("unit", i)``: the i-th unit in execution order;
- ``("sink", field)``: a sink field.

Edges carry lineage (masks flow along them) unless marked ``carries=False``: a DimJoin's
or a rename's output field depends only on its own inputs (the join keys and that
dimension field), not on everything the unit reads, so its unit -> output edge only says
"this unit produces it" (for supply and liveness) and carries no mask.

Every change a unit makes to the row is a write in the graph. A rename also takes its old
field out of the row: that is a write of the old field, whose new version is "absent" (made
by the rename, no mask: it never changes). A Processor that later asks for the field
(``row.get(old, d)``, ``old in row``) or sees the whole row (``row.items()``) reads that
version, so the rename is live whenever such a reader is, and supplies it in stateless mode.

A Processor's write is certain only when the analyzer proved it happens on every run
(``must_writes``); any other write may leave the field's previous value in place, so the new
version depends on the unit *and* on the previous version.

Execution order is the semantics: pipeline steps in order; inside a UDTF its Processors in
dependency order (a Processor runs after the ones whose outputs it reads; the declared
order breaks ties and orders two writers of one field). A unit reads the latest version
written before it.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from pruner import diagnostics as dx
from pruner.diagnostics import Diagnostic
from pruner.spec import DimJoinStep, FilterStep, JobSpec, RenameStep, UdafStep, UdtfStep
from pruner.transform import Analysis, ProcessorFacts

EXISTS = "<exists>"   # the pseudo-field a filter writes: whether the row is in the sink
WILD = ("wild",)
ALWAYS = ("always",)


@dataclass(frozen=True)
class Unit:
    """Anything the runtime can skip: a Processor, a DimJoin, a UDAF, a rename, a filter."""

    index: int
    name: str                  # "UDTF.Processor" or the step's name
    kind: str                  # processor | dimjoin | udaf | rename | filter
    step: str
    step_index: int
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    reads_all: bool = False
    writes_all: bool = False
    prunable: bool = True
    class_ref: str | None = None     # module.Class for processors and filters
    file: str | None = None
    must_writes: tuple[str, ...] | None = None   # None: every write is certain (dimjoin, udaf, rename)
    isolated: bool = False           # runs on a private copy of the row (ProcessorFacts.isolated)


@dataclass(frozen=True)
class Lineage:
    spec: JobSpec
    analysis: Analysis
    units: tuple[Unit, ...]
    graph: nx.DiGraph
    source_fields: tuple[tuple[str, str], ...]    # (namespace, field), the bit order after the wildcard
    diagnostics: tuple[Diagnostic, ...]

    def has_errors(self) -> bool:
        return any(d.severity is dx.Severity.ERROR for d in self.diagnostics)


def weld(spec: JobSpec, analysis: Analysis) -> Lineage:
    """Join the per-operator facts into one lineage graph, in execution order."""
    return _Welder(spec, analysis).run()


class _Welder:
    def __init__(self, spec: JobSpec, analysis: Analysis) -> None:
        self.spec = spec
        self.analysis = analysis
        self.graph = nx.DiGraph()
        self.units: list[Unit] = []
        self.diagnostics: list[Diagnostic] = []
        self.current: dict[str, tuple] = {}          # row field -> its latest version node
        self.versions: dict[str, int] = {}
        self.wild_writers: list[tuple] = []           # units that may write any field
        self.removed: dict[str, str] = {}             # field renamed away -> by which step
        self.processors = {p.name: p for p in analysis.processors}
        self.udtfs = {u.name: u for u in analysis.udtfs}

    def run(self) -> Lineage:
        source_fields = []
        for table in (*self.spec.sources, *self.spec.dimensions):
            for f in table.fields:
                source_fields.append((table.name, f))
                self.graph.add_node(("src", table.name, f))
        self.graph.add_node(WILD)
        self.graph.add_node(ALWAYS)
        for table in self.spec.row_sources:
            for f in table.fields:
                self._new_version(f, [("src", table.name, f)])
        for step in self.spec.pipeline:
            if isinstance(step, UdtfStep):
                self._udtf(step)
            elif isinstance(step, FilterStep):
                self._filter(step)
            elif isinstance(step, DimJoinStep):
                self._dimjoin(step)
            elif isinstance(step, UdafStep):
                self._udaf(step)
            elif isinstance(step, RenameStep):
                self._rename(step)
        self._sink()
        return Lineage(spec=self.spec, analysis=self.analysis, units=tuple(self.units),
                       graph=self.graph, source_fields=tuple(source_fields),
                       diagnostics=tuple(self.diagnostics))

    # ------------------------------------------------------------------ steps
    def _udtf(self, step: UdtfStep) -> None:
        udtf = self.udtfs.get(step.class_ref)
        if udtf is None:
            self._job_error("unknown-class", f"pipeline[{step.index}] ({step.name}): UDTF class "
                            f"{step.class_ref!r} is not in the plugin folders; found: "
                            f"{', '.join(sorted(self.udtfs)) or 'no UDTFs'}")
            return
        facts: list[ProcessorFacts] = []
        for name in udtf.processors:
            processor = self.processors.get(name)
            if processor is None:
                continue  # reported by the analyzer (PR403)
            if any(p.name == processor.name for p in facts):
                self._job_error("duplicate-unit", f"pipeline[{step.index}] ({step.name}): "
                                f"{processor.class_name} is listed twice in {udtf.name}.processors")
                continue
            facts.append(processor)
        for processor in self._order(step, facts):
            self._add_unit(
                Unit(index=len(self.units), name=f"{step.name}.{processor.class_name}", kind="processor",
                     step=step.name, step_index=step.index, reads=tuple(sorted(processor.reads)),
                     writes=tuple(sorted(processor.writes)), reads_all=processor.reads_all,
                     writes_all=processor.writes_all, prunable=processor.prunable,
                     class_ref=processor.name, file=processor.file,
                     must_writes=tuple(sorted(processor.must_writes)), isolated=processor.isolated))

    def _order(self, step: UdtfStep, facts: list[ProcessorFacts]) -> list[ProcessorFacts]:
        """Dependency order inside one UDTF; the declared order breaks ties.

        A Processor runs after every Processor whose output it reads. Two Processors that
        write the same field (and do not read each other) keep their declared order, so the
        later one's value wins, as declared.
        """
        order = nx.DiGraph()
        order.add_nodes_from(range(len(facts)))
        for i, first in enumerate(facts):
            for j, second in enumerate(facts):
                if i == j:
                    continue
                if _feeds(first, second):
                    order.add_edge(i, j)
                elif i < j and _shares_write(first, second) and not _feeds(second, first):
                    order.add_edge(i, j)
        try:
            ranked = list(nx.lexicographical_topological_sort(order))
        except nx.NetworkXUnfeasible:
            cycle = nx.find_cycle(order)
            names = " -> ".join(facts[a].class_name for a, _ in cycle) + f" -> {facts[cycle[0][0]].class_name}"
            members = [facts[a] for a, _ in cycle]
            guessed = [f"{p.class_name} {' and '.join(w for w, on in (('reads', p.reads_all), ('writes', p.writes_all)) if on)}"
                       " every field" for p in members if p.reads_all or p.writes_all]
            why = ""
            if guessed:     # the cycle comes from the analyzer's worst case, not from the code as written
                why = (f" ({'; '.join(guessed)}: the analyzer could not tell which fields, see its warnings "
                       "for why; declare them with @reads(...) and @writes(...), or make the code one it can "
                       "follow)")
            self._job_error("processor-cycle", f"pipeline[{step.index}] ({step.name}): Processors read "
                            f"each other's outputs in a cycle: {names}{why}")
            return facts
        return [facts[i] for i in ranked]

    def _filter(self, step: FilterStep) -> None:
        processor = self.processors.get(step.class_ref)
        if processor is None:
            self._job_error("unknown-class", f"pipeline[{step.index}] ({step.name}): filter class "
                            f"{step.class_ref!r} is not a Processor in the plugin folders")
            return
        self._add_unit(Unit(index=len(self.units), name=step.name, kind="filter", step=step.name,
                            step_index=step.index, reads=tuple(sorted(processor.reads)),
                            writes=tuple(sorted(processor.writes)) + (EXISTS,),
                            reads_all=processor.reads_all, writes_all=processor.writes_all,
                            prunable=processor.prunable, class_ref=processor.name,
                            file=processor.file, isolated=processor.isolated,
                            must_writes=tuple(sorted(processor.must_writes)) + (EXISTS,)))

    def _dimjoin(self, step: DimJoinStep) -> None:
        keys = tuple(row_field for row_field, _ in step.on)
        dim_keys = tuple(d for _, d in step.on)
        dim_fields = tuple(dict.fromkeys((*dim_keys, *step.fields)))
        key_versions = [v for k in keys for v in self._versions_of(k, None)]
        lineage = {f: [*key_versions, *(("src", step.table, d) for d in dict.fromkeys((*dim_keys, f)))]
                   for f in step.fields}
        self._add_unit(Unit(index=len(self.units), name=step.name, kind="dimjoin", step=step.name,
                            step_index=step.index, reads=keys, writes=step.fields),
                       sources=[("src", step.table, f) for f in dim_fields], per_field=lineage)

    def _udaf(self, step: UdafStep) -> None:
        key = self.spec.sink.primary_key[0]
        # Membership and order of the aggregate come from the source's key and its own primary
        # key (members are listed in primary-key order), so both are inputs, with the fields.
        source_key = self.spec.table(step.source).primary_key
        fields = tuple(dict.fromkeys((step.key, *source_key, *step.fields)))
        self._add_unit(Unit(index=len(self.units), name=step.name, kind="udaf", step=step.name,
                            step_index=step.index, reads=(key,), writes=(step.output,)),
                       sources=[("src", step.source, f) for f in fields])

    def _rename(self, step: RenameStep) -> None:
        old = tuple(o for o, _ in step.fields)
        new = tuple(n for _, n in step.fields)
        lineage = {n: self._versions_of(o, None) for o, n in step.fields}
        self._add_unit(Unit(index=len(self.units), name=step.name, kind="rename", step=step.name,
                            step_index=step.index, reads=old, writes=new), per_field=lineage)
        # Taking a field out of the row is a write too: its new version is "absent", made by
        # this unit. Its value never changes (no mask flows into it), but a later reader of the
        # field (`row.get(old, d)`, `old in row`, `row.items()`) sees the row the rename left,
        # so the rename is live when that reader is, and in the reader's supply (stateless).
        node = ("unit", self.units[-1].index)
        for field in dict.fromkeys(old):
            if field not in new:
                version = self._new_version(field, [])
                self.graph.add_edge(node, version, carries=False)
                self.removed[field] = step.name

    # ------------------------------------------------------------------ graph building
    def _add_unit(self, unit: Unit, sources: list[tuple] = (),
                  per_field: dict[str, list[tuple]] | None = None) -> None:
        """Add a unit reading the current versions; `per_field` gives exact per-output lineage."""
        node = ("unit", unit.index)
        self.units.append(unit)
        self.graph.add_node(node)
        for field in unit.reads:
            for producer in self._versions_of(field, unit):
                self.graph.add_edge(producer, node)
        if unit.reads_all:
            for version in self.current.values():
                self.graph.add_edge(version, node)
            self.graph.add_edge(WILD, node)
            for writer in self.wild_writers:
                self.graph.add_edge(writer, node)
        for source in sources:
            self.graph.add_edge(source, node)
        if not unit.prunable:
            self.graph.add_edge(ALWAYS, node)
        for field in unit.writes:
            if per_field is not None and field in per_field:
                version = self._new_version(field, per_field[field])
                self.graph.add_edge(node, version, carries=False)
            elif unit.must_writes is not None and field not in unit.must_writes and field in self.current:
                # A write on some paths only: the old value survives on the others.
                self._new_version(field, [node, self.current[field]])
            else:
                self._new_version(field, [node])
        if unit.writes_all:
            for field in list(self.current):
                if field not in unit.writes:
                    self._new_version(field, [node, self.current[field]])
            self.wild_writers.append(node)

    def _versions_of(self, field: str, unit: Unit | None) -> list[tuple]:
        if field in self.removed:                # renamed away: reads the "absent" version
            if unit is not None:
                self._job_warning("unknown-field", f"{unit.name} (pipeline[{unit.step_index}]) reads "
                                  f"{field!r}, but it was renamed away by {self.removed[field]}; "
                                  "it never has a value there", unit)
            return [self.current[field]]
        if field in self.current:
            return [self.current[field]]
        if self.wild_writers:
            return [WILD, *self.wild_writers]
        if unit is not None:
            self._job_warning("unknown-field", f"{unit.name} (pipeline[{unit.step_index}]) reads "
                              f"{field!r}, but no source or earlier step provides it; it depends on "
                              "the wildcard (unknown fields) only", unit)
        return [WILD]

    def _new_version(self, field: str, producers: list[tuple]) -> tuple:
        self.removed.pop(field, None)        # written again: no longer renamed away
        k = self.versions.get(field, -1) + 1
        self.versions[field] = k
        node = ("v", field, k)
        for producer in producers:
            self.graph.add_edge(producer, node)
        self.current[field] = node
        return node

    def _sink(self) -> None:
        exists = self.current.get(EXISTS)
        for field in self.spec.sink.primary_key:
            writers = [u.name for u in self.units if field in u.writes]
            if writers:
                self._job_error("sink-key-written", f"sink key field {field!r} is written by "
                                f"{', '.join(writers)}: a sink row's key is its row sources' key, so "
                                "that value would be dropped; write it to another field")
        for field in self.spec.sink.fields:
            node = ("sink", field)
            self.graph.add_node(node)
            if field in self.current and field not in self.removed:
                self.graph.add_edge(self.current[field], node)
            elif self.wild_writers:
                for writer in self.wild_writers:
                    self.graph.add_edge(writer, node)
                self.graph.add_edge(WILD, node)
            else:
                where = f" (renamed away by {self.removed[field]})" if field in self.removed else ""
                self._job_error("unproduced-sink-field", f"sink field {field!r}{where} is produced "
                                "by no source and no step")
            if exists is not None:
                self.graph.add_edge(exists, node)

    # ------------------------------------------------------------------ diagnostics
    def _job_error(self, name: str, message: str) -> None:
        self.diagnostics.append(dx.make(name, str(self.spec.path), 1, 1, message))

    def _job_warning(self, name: str, message: str, unit: Unit) -> None:
        self.diagnostics.append(dx.make(name, unit.file or str(self.spec.path), 1, 1, message))


def _feeds(writer: ProcessorFacts, reader: ProcessorFacts) -> bool:
    """Whether `reader` reads something `writer` writes."""
    if writer.writes_all:
        return reader.reads_all or bool(reader.reads)
    if reader.reads_all:
        return bool(writer.writes)
    return bool(writer.writes & reader.reads)


def _shares_write(a: ProcessorFacts, b: ProcessorFacts) -> bool:
    if a.writes_all or b.writes_all:
        return bool(a.writes or a.writes_all) and bool(b.writes or b.writes_all)
    return bool(a.writes & b.writes)
