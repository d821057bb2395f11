"""Engine message dedup: exact (the sink equals full after every message), under every ordering.

The differential oracle with dedup on (random jobs and streams; partial and full rows; key
bounds and TTL expiry with a fake clock; ignored fields), and the hand-made orderings the
issue names: delete then re-insert, A -> B -> A, NaN and None, floats, expiry.
"""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pruner.cdc.model import DELETE, INSERT, UPDATE, Change
from pruner.compiler import build
from pruner.planfile import write_plan
from pruner.runtime.engine import Dedup, Engine, SinkTable
from pruner.spec import load_spec
from tests.runtime.oracle_jobs import run_oracle
from tests.runtime.test_oracle import ORACLE, draw_case

ROOT = Path(__file__).resolve().parents[2]


def _ticking(step: float = 1.0):
    counter = itertools.count()
    return lambda: next(counter) * step


@settings(ORACLE, max_examples=max(1, ORACLE.max_examples // 3))
@given(data=st.data())
def test_dedup_never_changes_the_sink(data) -> None:
    job, spec_path, built, changes = draw_case(data)
    fields = [f for f in built.spec.sink.fields if f not in built.spec.sink.primary_key]
    ignore = frozenset(data.draw(st.lists(st.sampled_from(fields), max_size=2), label="ignore")) if fields else frozenset()
    dedups = [Dedup(), Dedup(full_rows=True), Dedup(max_keys=1), Dedup(max_keys=2, full_rows=True),
              Dedup(ttl=2.5, clock=_ticking()), Dedup(ignore=ignore)]
    run_oracle(spec_path, changes, plan_build=built, describe=job.describe(), dedups=dedups)


# ---------------------------------------------------------------------- hand-made orderings
def _engine(job: Path, **options) -> Engine:
    from pruner.planfile import read_plan
    return Engine(load_spec(job / "job.yaml"), read_plan(job / "job.plan"), "pruned", dedup=Dedup(**options))


def ins(table, **row):
    return Change(INSERT, table, None, row, None, 0)


def upd(table, before, **new):
    after = {**before, **new}
    return Change(UPDATE, table, before, after, frozenset(k for k in after if not _same(before.get(k), after[k])), 0)


def _same(a, b):
    return (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)) or (a == b and type(a) is type(b))


def dele(table, **row):
    return Change(DELETE, table, row, None, None, 0)


def _emit(engine: Engine, change: Change) -> list:
    out = engine.process(change)
    assert isinstance(out, list), out
    return [(r.op, r.key, r.fields) for r in out]


def test_a_to_b_to_a_emits_both_changes(reference: Path) -> None:
    e = _engine(reference)
    _emit(e, ins("sellers", b=1, c="x"))
    assert _emit(e, ins("items", id=1, a="A", b=1))[0][0] == "upsert"
    item = {"id": 1, "a": "A", "b": 1}
    assert _emit(e, upd("items", item, a="B")) == [("upsert", (1,), {"a": "B", "d": "B:1", "e": "B:1", "id": 1})]
    assert _emit(e, upd("items", {**item, "a": "B"}, a="A")) == [("upsert", (1,), {"a": "A", "d": "A:1", "e": "A:1", "id": 1})]
    assert e.stats.dedup.suppressed == 0


def test_a_change_that_changes_no_sink_value_is_not_sent(reference: Path) -> None:
    """P2 upper-cases d: a seller change whose c changes only in... nothing emitted when equal."""
    e = _engine(reference)
    _emit(e, ins("sellers", b=1, c="x"))
    _emit(e, ins("items", id=1, a="a", b=1))
    # a seller update to the same value after a round trip: c x -> y -> x emits both, y -> y nothing
    assert _emit(e, upd("sellers", {"b": 1, "c": "x"}, c="y")) == [("upsert", (1,), {"c": "y", "id": 1})]
    # a message that says c changed when the row the engine holds already has c = y: the
    # engine's own diff is empty, so it is dropped at the source and dedup never sees it
    assert _emit(e, Change(UPDATE, "sellers", {"b": 1, "c": "x"}, {"b": 1, "c": "y"}, frozenset({"c"}), 0)) == []
    assert e.stats.dropped == 1 and e.stats.dedup.fields["c"] == [1, 0]
    # a -> A changes d (a:1 -> A:1) but not e (A:1): e is left out of the record
    assert _emit(e, upd("items", {"id": 1, "a": "a", "b": 1}, a="A")) == [("upsert", (1,), {"a": "A", "d": "A:1", "id": 1})]
    assert e.stats.dedup.fields["e"][1] == 1


def test_delete_then_reinsert_goes_out_whole(reference: Path) -> None:
    e = _engine(reference)
    _emit(e, ins("sellers", b=1, c="x"))
    _emit(e, ins("items", id=1, a="a", b=1))
    assert _emit(e, dele("items", id=1, a="a", b=1)) == [("delete", (1,), {})]
    again = _emit(e, ins("items", id=1, a="a", b=1))                      # same values as before
    assert again == [("upsert", (1,), {"id": 1, "a": "a", "b": 1, "c": "x", "d": "a:1", "e": "A:1"})]


@pytest.mark.parametrize("old, new, sent", [
    (math.nan, math.nan, False), (None, None, False), (1.0, 1, True), (0.0, -0.0, True), (1, True, True),
    (None, 0, True), (0.1 + 0.2, 0.3, True), ([1, {"x": math.nan}], [1, {"x": math.nan}], False),
])
def test_values_compare_exactly(reference: Path, old, new, sent: bool) -> None:
    e = _engine(reference)
    _emit(e, ins("sellers", b=1, c=old))
    _emit(e, ins("items", id=1, a="a", b=1))
    out = _emit(e, Change(UPDATE, "sellers", {"b": 1, "c": old}, {"b": 1, "c": new}, frozenset({"c"}), 0))
    assert bool(out) is sent


def test_ignored_fields_never_go_out_alone(reference: Path) -> None:
    e = _engine(reference, ignore=frozenset({"c"}))
    _emit(e, ins("sellers", b=1, c="x"))
    _emit(e, ins("items", id=1, a="a", b=1))
    assert _emit(e, upd("sellers", {"b": 1, "c": "x"}, c="y")) == []          # only c: held back
    assert _emit(e, upd("items", {"id": 1, "a": "a", "b": 1}, a="b")) == \
        [("upsert", (1,), {"a": "b", "d": "b:1", "e": "B:1", "id": 1})]


def test_full_rows_mode(reference: Path) -> None:
    e = _engine(reference, full_rows=True)
    _emit(e, ins("sellers", b=1, c="x"))
    _emit(e, ins("items", id=1, a="a", b=1))
    assert _emit(e, upd("sellers", {"b": 1, "c": "x"}, c="y")) == \
        [("upsert", (1,), {"id": 1, "a": "a", "b": 1, "c": "y", "d": "a:1", "e": "A:1"})]


def test_an_expired_key_gets_a_full_row_not_a_partial_one(reference: Path) -> None:
    now = [0.0]
    e = _engine(reference, ttl=10.0, clock=lambda: now[0])
    _emit(e, ins("sellers", b=1, c="x"))
    _emit(e, ins("items", id=1, a="a", b=1))
    now[0] = 5.0
    assert _emit(e, upd("sellers", {"b": 1, "c": "x"}, c="y")) == [("upsert", (1,), {"c": "y", "id": 1})]
    now[0] = 16.0                                                          # 11 s after the last emit
    assert _emit(e, upd("sellers", {"b": 1, "c": "y"}, c="z")) == \
        [("upsert", (1,), {"id": 1, "a": "a", "b": 1, "c": "z", "d": "a:1", "e": "A:1"})]
    assert e.stats.dedup.forgotten == 1 and e.stats.dedup.full_rows == 1


def test_a_bound_on_keys_forgets_the_least_recent(reference: Path) -> None:
    e = _engine(reference, max_keys=1)
    _emit(e, ins("sellers", b=1, c="x"))
    _emit(e, ins("items", id=1, a="a", b=1))
    _emit(e, ins("items", id=2, a="b", b=2))                                # forgets key 1
    out = _emit(e, upd("items", {"id": 1, "a": "a", "b": 1}, a="c"))
    assert out[0][2] == {"id": 1, "a": "c", "b": 1, "c": "x", "d": "c:1", "e": "C:1"}      # full row


def test_dedup_state_rolls_back_with_a_dead_letter(reference: Path) -> None:
    plugin = reference / "plugins/reference_udtfs.py"
    text = plugin.read_text()
    plugin.write_text(text.replace('out["e"] =', "if row['d'] == 'BOOM:1':\n            raise ValueError('no')\n"
                                   "        out[\"e\"] =", 1))
    write_plan(build(reference / "job.yaml").plan, reference / "job.plan")
    e = _engine(reference)
    _emit(e, ins("sellers", b=1, c="x"))
    _emit(e, ins("items", id=1, a="a", b=1))
    emitted = dict(e.emitted)
    assert not isinstance(e.process(upd("items", {"id": 1, "a": "a", "b": 1}, a="BOOM")), list)
    assert e.emitted == emitted


def test_dedup_options_are_checked(reference: Path) -> None:
    from pruner.planfile import read_plan
    spec, plan = load_spec(reference / "job.yaml"), read_plan(reference / "job.plan")
    with pytest.raises(ValueError, match="stateful"):
        Engine(spec, plan, "stateless", dedup=Dedup())
    with pytest.raises(ValueError, match="not sink fields"):
        Engine(spec, plan, "pruned", dedup=Dedup(ignore=frozenset({"zz"})))
    with pytest.raises(ValueError, match="max_keys"):
        Dedup(max_keys=0)
    for ttl in (0.0, -1.0, float("nan"), float("inf")):       # nan: found by an adversary
        with pytest.raises(ValueError, match="ttl"):
            Dedup(ttl=ttl)


def test_replay_with_dedup(tmp_path: Path, capsys) -> None:
    from pruner.cli import main
    from tests.runtime.test_engine import CLOCK_FIELDS, _replay

    code, plain, _ = _replay(tmp_path, "pruned")
    code_d, deduped, stats = _replay(tmp_path, "pruned", "--dedup", "--dedup-ignore", ",".join(CLOCK_FIELDS))
    assert code == code_d == 0
    strip = lambda rows: [{k: v for k, v in r.items() if k not in CLOCK_FIELDS} for r in rows]   # noqa: E731
    assert strip(deduped) == strip(plain)
    assert 0 < stats["dedup"]["suppressed"] < stats["dedup"]["records"]
    assert main(["replay", str(ROOT / "examples/ecommerce/job.yaml"), "--plan", str(ROOT / "compiled_plans/ecommerce.plan"),
                 "--input", "-", "--format", "debezium-json", "--mode", "full", "--dedup"]) == 2
    assert "--dedup needs --mode pruned" in capsys.readouterr().err


@pytest.mark.parametrize("dedup", [Dedup(), Dedup(max_keys=3), Dedup(full_rows=True, max_keys=1),
                                   Dedup(ttl=40.0, clock=_ticking())], ids=["plain", "keys3", "full1", "ttl"])
def test_no_update_is_lost_on_the_ecommerce_stream(dedup: Dedup) -> None:
    """Every key of the full run's final sink is in the dedup run's, with equal values."""
    from dataclasses import replace

    from pruner.cdc import decode
    from pruner.cdc.model import DeadLetter, DecodeStats
    from pruner.planfile import read_plan

    clock = ("indexed_at", "index_lag_ms")
    dedup = replace(dedup, ignore=frozenset(clock))
    spec = load_spec(ROOT / "examples/ecommerce/job.yaml")
    plan = read_plan(ROOT / "compiled_plans/ecommerce.plan")
    lines = (ROOT / "examples/ecommerce/stream.debezium.jsonl").read_text().splitlines()
    changes = [c for c in decode(lines, "debezium-json", DecodeStats()) if not isinstance(c, DeadLetter)]
    sinks = {}
    for name, engine in (("full", Engine(spec, plan, "full")), ("dedup", Engine(spec, plan, "pruned", dedup=dedup))):
        sinks[name] = SinkTable(spec.sink.fields, spec.sink.primary_key)
        for change in changes:
            sinks[name].apply_all(engine.process(change))
        if name == "dedup":
            assert engine.stats.dedup.suppressed > 0
    full, deduped = sinks["full"].rows, sinks["dedup"].rows
    assert set(full) == set(deduped)
    for key, row in full.items():
        assert {f: v for f, v in deduped[key].items() if f not in clock} == {f: v for f, v in row.items() if f not in clock}
