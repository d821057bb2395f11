"""`pruner explain` shows what the runtime does, by construction and by test.

For random changes (updates of random fields, inserts and deletes, in every table of the
ecommerce job and of the reference job) applied to an engine holding the state of the
bundled stream, the units the engine actually runs (its counters) are exactly the units
`pruner explain --format json` lists for that change, once per row the change recomputes. A
row the engine holds no outputs for, or that was not in the sink (a filter dropped it),
runs every live unit: that is state the plan cannot know, and is accounted for as such.
"""
from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pruner.cdc.decode import decode
from pruner.cdc.model import DELETE, INSERT, UPDATE, Change, DeadLetter
from pruner.cli import main
from pruner.planfile import read_plan
from pruner.runtime.engine import Engine
from pruner.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("ORACLE_EXAMPLES", "25"))
JOBS = {
    "ecommerce": (ROOT / "examples/ecommerce/job.yaml", ROOT / "compiled_plans/ecommerce.plan",
                  ROOT / "examples/ecommerce/stream.debezium.jsonl"),
}


def _loaded(job: str) -> Engine:
    spec_path, plan_path, stream = JOBS[job]
    engine = Engine(load_spec(spec_path), read_plan(plan_path), "pruned")
    with stream.open("rb") as lines:
        for change in decode(lines, "debezium-json"):
            if isinstance(change, Change):
                engine.process(change)
    return engine


def _explain(plan: Path, table: str, changed: list[str], op: str) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["explain", str(plan), "--source", table, "--changed", ",".join(changed) or "-",
                     "--op", op, "--format", "json"])
    assert code == 0
    return json.loads(out.getvalue())


def _other(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "z"
    return "changed"


@pytest.mark.parametrize("job", sorted(JOBS))
@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_the_units_the_engine_runs_are_the_units_explain_lists(job: str, data) -> None:
    engine = _loaded(job)
    spec, plan_path = engine.spec, JOBS[job][1]
    table = data.draw(st.sampled_from(sorted(engine.tables)), label="table")
    rows = engine.tables[table]
    assume(rows)
    pk = data.draw(st.sampled_from(sorted(rows, key=repr)), label="row")
    held = dict(rows[pk])
    key_fields = engine.table_specs[table].primary_key
    op = data.draw(st.sampled_from([UPDATE, UPDATE, INSERT, DELETE]), label="op")
    if op == UPDATE:
        fields = [f for f in sorted(held) if f not in key_fields]
        changed = data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique=True), label="changed")
        after = {**held, **{f: _other(held[f]) for f in changed}}
        change = Change(UPDATE, table, held, after, frozenset(changed), 1)
    elif op == DELETE:
        changed, change = [], Change(DELETE, table, held, None, None, 1)
    else:          # the row's copy under a new key: a new row of the table
        changed = []
        after = {**held, **{f: _other(held[f]) + 100000 if isinstance(held[f], int) else _other(held[f])
                            for f in key_fields}}
        assume(tuple(after[f] for f in key_fields) not in rows)
        change = Change(INSERT, table, None, after, None, 1)

    recomputed: list[tuple[bool, bool]] = []       # per row recomputed: (exists, ran every live unit)
    original = engine._recompute

    def watched(key, decision):
        exists = any(key in engine.tables[t] for t in engine.row_sources)
        full = not engine.in_sink.get(key, False) or engine.outputs.get(key) is None
        recomputed.append((exists, full))
        return original(key, decision)
    engine._recompute = watched
    before = {name: counts[0] for name, counts in engine.stats.units.items()}
    result = engine.process(change)
    assume(not isinstance(result, DeadLetter))     # a Processor refusing the made-up value
    ran = {name: counts[0] - before[name] for name, counts in engine.stats.units.items()}

    said = _explain(plan_path, table, changed, op)
    live = [u.name for u in engine.plan.units if not u.dead]
    expected = {name: 0 for name in ran}
    if said["drop"]:
        assert not recomputed
    for exists, full in recomputed:
        if exists:
            for name in (live if full else said["run"]):
                expected[name] += 1
    assert ran == expected, (table, op, changed, said, recomputed)


def test_a_dimension_insert_runs_only_what_reads_that_table(tmp_path: Path) -> None:
    """The issue's case: on the reference job, a `sellers` insert. explain said P1, J1 and P2
    would run; the engine runs only J1 (only J1 reads a `sellers` field). Now both say J1."""
    plan = ROOT / "compiled_plans/reference.plan"
    said = _explain(plan, "sellers", [], "insert")
    assert said["run"] == ["J1"] and said["skip"] == ["UDTF1.P1", "UDTF2.P2"]
    engine = Engine(load_spec(ROOT / "examples/reference/job.yaml"), read_plan(plan), "pruned")
    engine.process(Change(INSERT, "items", None, {"id": 1, "a": "A", "b": 7}, None, 1))
    before = {name: counts[0] for name, counts in engine.stats.units.items()}
    engine.process(Change(INSERT, "sellers", None, {"b": 7, "c": "x"}, None, 2))
    ran = sorted(name for name, counts in engine.stats.units.items() if counts[0] > before[name])
    assert ran == said["run"]
