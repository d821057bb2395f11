"""Weld and Compile: semantics on small jobs, and the fast propagation against a naive search."""
from __future__ import annotations

from pathlib import Path

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pruner.compiler import build
from pruner.compiler.encode import encode
from pruner.compiler.masks import compile_lineage
from pruner.compiler.weld import ALWAYS, WILD, weld
from pruner.decide import change_mask, decide
from pruner.spec import DimJoinStep, FilterStep, JobSpec, RenameStep, TableSpec, UdafStep, UdtfStep
from pruner.transform import Analysis, ModuleAnalysis, ProcessorFacts, UDTFFacts

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------- building jobs by hand
def proc(name: str, reads=(), writes=(), *, reads_all=False, writes_all=False, prunable=True,
         must=()) -> ProcessorFacts:
    return ProcessorFacts(name=f"m.{name}", module="m", class_name=name, file="m.py", line=1,
                          reads=frozenset(reads), writes=frozenset(writes), reads_all=reads_all,
                          writes_all=writes_all, prunable=prunable, must_writes=frozenset(must))


def job(steps, udtfs: dict[str, list[ProcessorFacts]], sink_fields, *, source_fields=("id", "a", "b"),
        dimension=None, aggregated=None, filters=()) -> tuple[JobSpec, Analysis]:
    sources = [TableSpec("items", ("id",), tuple(source_fields))]
    if aggregated:
        sources.append(TableSpec("agg", ("aid",), ("aid", "item_id", *aggregated)))
    dims = (TableSpec("dim", ("k",), ("k", *dimension)),) if dimension else ()
    spec = JobSpec(name="t", path=Path("job.yaml"), plugins=(), sources=tuple(sources),
                   dimensions=dims, pipeline=tuple(steps),
                   sink=TableSpec("sink", ("id",), tuple(sink_fields)), text="")
    processors = [p for ps in udtfs.values() for p in ps] + list(filters)
    unique = {p.name: p for p in processors}
    module = ModuleAnalysis(module="m", file="m.py", sha256="0", processors=tuple(unique.values()),
                            udtfs=tuple(UDTFFacts(f"m.{u}", "m.py", 1, tuple(p.name for p in ps))
                                        for u, ps in udtfs.items()))
    return spec, Analysis(modules=(module,))


def deps(spec: JobSpec, analysis: Analysis) -> dict[str, set[str]]:
    """Per unit and per sink field (as 'sink:f'): the source fields (ns.f) it depends on."""
    compiled = compile_lineage(weld(spec, analysis))
    plan = encode(compiled)
    names = plan.field_names()

    def fields(mask: int) -> set[str]:
        return {names[b] for b in range(plan.n_bits) if mask >> b & 1}

    out = {cu.unit.name: fields(cu.dep) for cu in compiled.units}
    out.update({f"sink:{f}": fields(dep) for f, dep in compiled.sink})
    return out


# ---------------------------------------------------------------------- semantics
def test_reference_example_decisions_are_exact() -> None:
    plan = build(ROOT / "examples/reference/job.yaml").plan

    def outcome(source: str, changed: list[str]):
        d = decide(plan, change_mask(plan, source, changed))
        return d.drop, set(d.run), set(d.outputs)

    assert outcome("items", ["a"]) == (False, {"UDTF1.P1", "UDTF2.P2"}, {"a", "d", "e"})
    assert outcome("items", ["b"]) == (False, {"UDTF1.P1", "J1", "UDTF2.P2"}, {"b", "c", "d", "e"})
    assert outcome("sellers", ["c"]) == (False, {"J1"}, {"c"})
    assert outcome("items", ["f"])[0] is True


def test_an_overwritten_field_is_a_new_version() -> None:
    # P1 overwrites source field b from a; the sink's b then depends on a, not on items.b.
    p1, p2 = proc("P1", reads={"a"}, writes={"b"}, must={"b"}), proc("P2", reads={"b"}, writes={"x"})
    spec, analysis = job([UdtfStep("U", "m.U", 0), UdtfStep("V", "m.V", 1)], {"U": [p1], "V": [p2]},
                         ["id", "b", "x"])
    d = deps(spec, analysis)
    assert d["sink:b"] == {"items.a"}
    assert d["V.P2"] == {"items.a"}
    assert d["U.P1"] == {"items.a"}


def test_a_unit_reads_the_version_written_before_it() -> None:
    # V.P2 reads b before W.P3 overwrites it: P2 depends on items.b; the sink's b on items.a.
    p2 = proc("P2", reads={"b"}, writes={"x"})
    p3 = proc("P3", reads={"a"}, writes={"b"}, must={"b"})
    spec, analysis = job([UdtfStep("V", "m.V", 0), UdtfStep("W", "m.W", 1)], {"V": [p2], "W": [p3]},
                         ["id", "b", "x"])
    d = deps(spec, analysis)
    assert d["V.P2"] == {"items.b"}
    assert d["sink:b"] == {"items.a"}


def test_a_write_on_some_paths_keeps_the_old_version_in_the_lineage() -> None:
    # `if row["b"] == 1: out["x"] = 5`: when P2 does not write x, P1's x reaches the sink,
    # so the sink's x depends on P1's input too, and P1 is not dead.
    p1 = proc("P1", reads={"a"}, writes={"x"}, must={"x"})
    p2 = proc("P2", reads={"b"}, writes={"x"})
    spec, analysis = job([UdtfStep("U", "m.U", 0)], {"U": [p1, p2]}, ["id", "x"])
    assert deps(spec, analysis)["sink:x"] == {"items.a", "items.b"}
    compiled = compile_lineage(weld(spec, analysis))
    assert not any(cu.dead for cu in compiled.units)
    assert compiled.sink_supply[compiled.lineage.spec.sink.fields.index("x")] == (0, 1)


def test_processors_in_a_udtf_run_in_dependency_order() -> None:
    reader = proc("Reader", reads={"y"}, writes={"z"})
    writer = proc("Writer", reads={"a"}, writes={"y"})
    spec, analysis = job([UdtfStep("U", "m.U", 0)], {"U": [reader, writer]}, ["id", "z"])
    lineage = weld(spec, analysis)
    assert [u.name for u in lineage.units] == ["U.Writer", "U.Reader"]
    assert deps(spec, analysis)["sink:z"] == {"items.a"}
    assert not lineage.diagnostics


def test_a_cycle_inside_a_udtf_is_an_error_naming_the_processors() -> None:
    one = proc("One", reads={"y"}, writes={"x"})
    two = proc("Two", reads={"x"}, writes={"y"})
    spec, analysis = job([UdtfStep("U", "m.U", 0)], {"U": [one, two]}, ["id", "x"])
    (diagnostic,) = [d for d in weld(spec, analysis).diagnostics if d.code == "PR502"]
    assert "One" in diagnostic.message and "Two" in diagnostic.message
    assert "could not tell" not in diagnostic.message


def test_a_cycle_from_the_analyzers_worst_case_says_so() -> None:
    """Two Processors the analyzer could not follow (globals(), a star import) read and write every
    field: the cycle is its guess, and the message says what to do (an adversary found it confusing)."""
    one = proc("One", reads_all=True, writes={"x"}, writes_all=True)
    two = proc("Two", reads={"x"}, writes={"y"})
    spec, analysis = job([UdtfStep("U", "m.U", 0)], {"U": [one, two]}, ["id", "x", "y"])
    (diagnostic,) = [d for d in weld(spec, analysis).diagnostics if d.code == "PR502"]
    assert "One reads and writes every field" in diagnostic.message and "@reads(...)" in diagnostic.message


def test_reads_all_and_unprunable_units_depend_on_every_bit() -> None:
    dynamic = proc("Dyn", reads_all=True, writes={"x"})
    clock = proc("Clock", reads={"a"}, writes={"t"}, prunable=False)
    spec, analysis = job([UdtfStep("U", "m.U", 0)], {"U": [dynamic, clock]}, ["id", "x", "t"])
    compiled = compile_lineage(weld(spec, analysis))
    by_name = {cu.unit.name: cu for cu in compiled.units}
    assert by_name["U.Dyn"].dep == compiled.all_bits          # every field and the wildcard
    assert by_name["U.Clock"].dep == compiled.all_bits
    assert compiled.relevant == compiled.all_bits             # an effect keeps every message


def test_units_that_reach_no_sink_field_are_dead() -> None:
    used = proc("Used", reads={"a"}, writes={"x"})
    unused = proc("Unused", reads={"b"}, writes={"scratch"})
    effect = proc("Effect", reads={"b"}, writes={"log"}, prunable=False)
    spec, analysis = job([UdtfStep("U", "m.U", 0)], {"U": [used, unused, effect]}, ["id", "x"])
    dead = {cu.unit.name for cu in compile_lineage(weld(spec, analysis)).units if cu.dead}
    assert dead == {"U.Unused"}


def test_dimjoin_udaf_rename_and_filter() -> None:
    core = proc("Core", reads={"c", "n"}, writes={"y"})
    keep = proc("Keep", reads={"b"}, writes={"ok"})
    steps = [RenameStep("R", (("a", "n"),), 0), FilterStep("F", "m.Keep", 1),
             DimJoinStep("J", "dim", (("b", "k"),), ("c",), 2),
             UdafStep("G", "agg", "item_id", ("u",), "imgs", 3), UdtfStep("U", "m.U", 4)]
    spec, analysis = job(steps, {"U": [core]}, ["id", "n", "y", "imgs"], dimension=("c", "e"),
                         aggregated=("u", "v"), filters=[keep])
    d = deps(spec, analysis)
    assert d["J"] == {"items.b", "dim.k", "dim.c"}           # not dim.e: never fetched
    assert d["G"] == {"items.id", "agg.aid", "agg.item_id", "agg.u"}   # not agg.v; aid orders members
    assert d["U.Core"] == {"items.a", "items.b", "dim.k", "dim.c"}
    # every sink field depends on the filter's input (whether the row exists at all)
    assert all("items.b" in d[f"sink:{f}"] for f in ("id", "n", "y", "imgs"))
    assert d["sink:n"] == {"items.a", "items.b"}


def test_a_dimjoin_output_depends_only_on_its_own_dimension_field() -> None:
    level = proc("Level", reads={"lvl"}, writes={"score"})
    steps = [DimJoinStep("J", "dim", (("b", "k"),), ("name", "lvl"), 0), UdtfStep("U", "m.U", 1)]
    spec, analysis = job(steps, {"U": [level]}, ["id", "name", "score"], dimension=("name", "lvl"))
    d = deps(spec, analysis)
    assert d["J"] == {"items.b", "dim.k", "dim.name", "dim.lvl"}   # the lookup runs on any of them
    assert d["U.Level"] == {"items.b", "dim.k", "dim.lvl"}         # but a name change skips Level
    assert d["sink:name"] == {"items.b", "dim.k", "dim.name"}
    supply = {cu.unit.name: cu.supply for cu in compile_lineage(weld(spec, analysis)).units}
    assert supply["U.Level"] == (0,)                                # J still supplies Level


def test_a_rename_keeps_per_field_lineage() -> None:
    spec, analysis = job([RenameStep("R", (("a", "x"), ("b", "y")), 0)], {}, ["id", "x", "y"])
    d = deps(spec, analysis)
    assert d["sink:x"] == {"items.a"} and d["sink:y"] == {"items.b"}


def test_a_rename_takes_its_old_field_out_of_the_row() -> None:
    # R renames a to r_a; P1 overwrites r_a before anyone reads it, so the rename's output is
    # dead. But the rename also removes `a`, which Dyn (row.items()), Has (`"a" in row`) and the
    # DimJoin keyed on `a` see: R must stay live and supply them (stateless), or pruned runs
    # would keep `a` in the row (the oracle's counterexample, fixtures/oracle/rename_removes_a_field).
    p1 = proc("P1", reads={"b"}, writes={"r_a"}, must={"r_a"})
    dyn = proc("Dyn", reads_all=True, writes={"x"}, must={"x"})
    has = proc("Has", reads={"a"}, writes={"y"}, must={"y"})
    steps = [RenameStep("R", (("a", "r_a"),), 0), UdtfStep("U", "m.U", 1),
             DimJoinStep("J", "dim", (("a", "k"),), ("c",), 2)]
    spec, analysis = job(steps, {"U": [p1, dyn, has]}, ["id", "r_a", "x", "y", "c"], dimension=("c",))
    lineage = weld(spec, analysis)
    compiled = compile_lineage(lineage)
    by_name = {cu.unit.name: cu for cu in compiled.units}
    assert not any(cu.dead for cu in compiled.units)
    rename = by_name["R"].unit.index
    for reader in ("U.Dyn", "U.Has", "J"):
        assert rename in by_name[reader].supply, reader
    fields = compiled.lineage.spec.sink.fields
    assert rename in compiled.sink_supply[fields.index("x")]
    assert rename not in compiled.sink_supply[fields.index("r_a")]     # P1's r_a needs only P1
    # "absent" never changes: reading it adds no bit (nor the wildcard)
    d = deps(spec, analysis)
    assert d["U.Has"] == set() and d["sink:y"] == set()
    assert d["J"] == {"dim.k", "dim.c"}
    assert d["sink:r_a"] == {"items.b"}
    warnings = [x.message for x in lineage.diagnostics if x.code == "PR503"]
    assert any("'a'" in m and "renamed away by R" in m for m in warnings), warnings


def test_a_rename_alone_is_dead_when_nobody_sees_the_row_it_leaves() -> None:
    p1 = proc("P1", reads={"b"}, writes={"r_a"}, must={"r_a"})
    spec, analysis = job([RenameStep("R", (("a", "r_a"),), 0), UdtfStep("U", "m.U", 1)], {"U": [p1]},
                         ["id", "r_a"])
    dead = {cu.unit.name for cu in compile_lineage(weld(spec, analysis)).units if cu.dead}
    assert dead == {"R"}


def test_a_field_written_again_after_its_rename_keeps_the_rename_in_supply() -> None:
    # P writes `a` again on some paths only: where it does not, `a` is still absent, as R left it.
    p = proc("P", reads={"b"}, writes={"a"})
    q = proc("Q", reads={"a"}, writes={"y"}, must={"y"})
    steps = [RenameStep("R", (("a", "n"),), 0), UdtfStep("U", "m.U", 1), UdtfStep("V", "m.V", 2)]
    spec, analysis = job(steps, {"U": [p], "V": [q]}, ["id", "n", "y"])
    lineage = weld(spec, analysis)
    compiled = compile_lineage(lineage)
    by_name = {cu.unit.name: cu for cu in compiled.units}
    assert set(by_name["V.Q"].supply) == {by_name["R"].unit.index, by_name["U.P"].unit.index}
    assert deps(spec, analysis)["V.Q"] == {"items.b"}
    assert not [x for x in lineage.diagnostics if x.code == "PR503"]    # `a` may be there again
    # a field renamed away and never written again is no sink field
    spec, analysis = job([RenameStep("R", (("a", "n"),), 0)], {}, ["id", "a", "n"])
    errors = [x.message for x in weld(spec, analysis).diagnostics if x.code == "PR504"]
    assert len(errors) == 1 and "renamed away by R" in errors[0]


def test_reading_a_field_nobody_provides_is_a_warning_on_the_wildcard() -> None:
    typo = proc("Typo", reads={"pirce"}, writes={"x"})
    spec, analysis = job([UdtfStep("U", "m.U", 0)], {"U": [typo]}, ["id", "x"])
    lineage = weld(spec, analysis)
    assert [d.code for d in lineage.diagnostics] == ["PR503"]
    assert deps(spec, analysis)["U.Typo"] == {"<unknown field>"}


def test_writing_a_sink_key_field_is_an_error() -> None:
    """Found by an adversary: a Processor writing the sink's key compiled, and the engine kept the
    source key, dropping the value without a word."""
    rekey = proc("Rekey", reads={"a"}, writes={"id", "x"})
    spec, analysis = job([UdtfStep("U", "m.U", 0)], {"U": [rekey]}, ["id", "x"])
    lineage = weld(spec, analysis)
    assert [d.code for d in lineage.diagnostics] == ["PR507"]
    assert "U.Rekey" in lineage.diagnostics[0].message
    plain = proc("Plain", reads={"a"}, writes={"x"})
    spec, analysis = job([UdtfStep("U", "m.U", 0)], {"U": [plain]}, ["id", "x"])
    assert not weld(spec, analysis).diagnostics


# ---------------------------------------------------------------------- the naive reference
FIELDS = ["a", "b", "c", "x", "y", "z", "w", "nope"]


@st.composite
def random_jobs(draw):
    source_fields = ["id"] + draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1,
                                           max_size=4, unique=True))
    dimension = ("e", "f")
    steps, udtfs, filters = [], {}, []
    n_steps = draw(st.integers(1, 6))
    counter = 0
    for i in range(n_steps):
        kind = draw(st.sampled_from(["udtf", "udtf", "udtf", "dimjoin", "udaf", "rename", "filter"]))
        if kind == "udtf":
            procs = []
            for _ in range(draw(st.integers(1, 4))):
                counter += 1
                procs.append(proc(
                    f"P{counter}",
                    reads=draw(st.sets(st.sampled_from(FIELDS + source_fields), max_size=3)),
                    writes=draw(st.sets(st.sampled_from(["x", "y", "z", "w", "a", "b"]), max_size=2)),
                    reads_all=draw(st.booleans()) and draw(st.booleans()),
                    writes_all=draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()),
                    prunable=not (draw(st.booleans()) and draw(st.booleans()))))
            udtfs[f"U{i}"] = procs
            steps.append(UdtfStep(f"U{i}", f"m.U{i}", i))
        elif kind == "dimjoin":
            steps.append(DimJoinStep(f"J{i}", "dim", ((draw(st.sampled_from(source_fields)), "k"),),
                                     tuple(draw(st.sets(st.sampled_from(dimension), min_size=1))), i))
        elif kind == "udaf":
            steps.append(UdafStep(f"G{i}", "agg", "item_id", ("u",), draw(st.sampled_from(["x", "imgs"])), i))
        elif kind == "rename":
            old = draw(st.sampled_from(source_fields[1:] + ["x"]))
            steps.append(RenameStep(f"R{i}", ((old, draw(st.sampled_from(["y", "renamed"]))),), i))
        else:
            counter += 1
            keep = proc(f"K{counter}", reads=draw(st.sets(st.sampled_from(source_fields), max_size=2)),
                        writes={"ok"})
            filters.append(keep)
            steps.append(FilterStep(f"F{i}", keep.name, i))
    sink = ["id"] + draw(st.lists(st.sampled_from(source_fields + ["x", "y", "z", "imgs", "renamed"]),
                                  max_size=5, unique=True))
    sink = list(dict.fromkeys(sink))
    return job(steps, udtfs, sink, source_fields=tuple(source_fields), dimension=dimension,
               aggregated=("u",), filters=filters)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_jobs())
def test_compiled_masks_equal_a_naive_ancestor_search(generated) -> None:
    spec, analysis = generated
    lineage = weld(spec, analysis)
    compiled = compile_lineage(lineage)
    graph = lineage.graph
    lineage_only = nx.subgraph_view(graph, filter_edge=lambda a, b: graph.edges[a, b].get("carries", True))
    bit = {("src", ns, f): i + 1 for i, (ns, f) in enumerate(lineage.source_fields)}

    def naive(node) -> int:
        ancestors = nx.ancestors(lineage_only, node) | {node}
        if ALWAYS in ancestors:
            return compiled.all_bits
        mask = 1 if WILD in ancestors else 0
        for a in ancestors:
            if a in bit:
                mask |= 1 << bit[a]
        return mask

    targets = [("sink", f) for f in spec.sink.fields if ("sink", f) in graph]
    targets += [("unit", u.index) for u in lineage.units if not u.prunable or u.kind == "filter"]
    for cu in compiled.units:
        node = ("unit", cu.unit.index)
        assert cu.dep == naive(node), cu.unit.name
        assert set(cu.supply) == {a[1] for a in nx.ancestors(graph, node) if a[0] == "unit"}
        reaches = any(t == node or nx.has_path(graph, node, t) for t in targets)
        assert cu.dead == (not reaches), cu.unit.name
    for field, dep in compiled.sink:
        assert dep == naive(("sink", field)), field
    expected = 0
    for _, dep in compiled.sink:
        expected |= dep
    if any(not cu.unit.prunable and not cu.dead for cu in compiled.units):
        expected = compiled.all_bits
    assert compiled.relevant == expected
    # a unit never depends on what only later units produce
    for cu in compiled.units:
        assert all(s < cu.unit.index for s in cu.supply)
