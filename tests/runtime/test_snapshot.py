"""Engine snapshots (``pruner.runtime.snapshot``): written exactly, checked when read, and an
engine loaded from one goes on exactly as the engine it was taken from."""
from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pruner.cdc.model import Change, DeadLetter
from pruner.compiler import build
from pruner.runtime.dedup import Dedup
from pruner.runtime.engine import Engine
from pruner.runtime.snapshot import SnapshotError, decode_value, dumps, encode_value, engine_state, loads, restore_engine
from tests.runtime.test_oracle import ORACLE, draw_case

ROOT = Path(__file__).resolve().parents[2]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
    st.decimals(allow_nan=True, allow_infinity=True), st.binary(max_size=6), st.dates(),
    st.datetimes(timezones=st.one_of(st.none(), st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
                                     .map(timezone))),
    st.times(), st.timedeltas())
hashables = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4)),
                         lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=5)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
                            st.dictionaries(st.text(max_size=3), inner, max_size=3),
                            st.dictionaries(hashables, inner, max_size=3),
                            st.sets(hashables, max_size=3), st.frozensets(hashables, max_size=3)),
    max_leaves=10)


def _shape(value):
    """A value's exact form: its type, and for a container its items in order (repr for scalars,
    so -0.0, NaN, Decimal('1.50') and a timestamp's offset and fold all count)."""
    kind = type(value)
    if kind is dict:
        return (kind, [(_shape(k), _shape(v)) for k, v in value.items()])
    if kind in (list, tuple):
        return (kind, [_shape(v) for v in value])
    if kind in (set, frozenset):
        return (kind, sorted(repr(_shape(v)) for v in value))
    if kind in (datetime, time):
        return (kind, repr(value), value.fold)
    return (kind, repr(value))


@settings(max_examples=300)
@given(values)
def test_every_value_comes_back_exactly(value) -> None:
    text = json.dumps(encode_value(value), allow_nan=False)
    assert _shape(decode_value(text)) == _shape(value)


@pytest.mark.parametrize("value", [
    {"$u": 1}, {"a": {"$D": "1"}}, [float("nan"), -0.0, math.inf], Decimal("-0.00"), b"\x00\xff",
    datetime(2020, 1, 1, 1, 30, fold=1), datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    {(1, "a"): [1], 2: None}, {"x": 1, "$y": 2}, (), set(), frozenset({(1, 2)}), date(1, 1, 1),
    time(23, 59, 59, 999999, tzinfo=timezone.utc)])
def test_values_json_cannot_hold_come_back_exactly(value) -> None:
    assert _shape(decode_value(json.dumps(encode_value(value), allow_nan=False))) == _shape(value)


@pytest.mark.parametrize("value", [object(), datetime(2020, 1, 1, tzinfo=ZoneInfo("Europe/Paris")), complex(1, 2),
                                   [1, {"a": range(3)}]])
def test_a_value_of_another_type_is_refused_with_its_type(value) -> None:
    with pytest.raises(SnapshotError, match="cannot be written"):
        encode_value(value)


def _records(engine: Engine, changes) -> list:
    out = []
    for change in changes:
        result = engine.process(change)
        out.append(("dead", result.reason) if isinstance(result, DeadLetter) else result)
    return out


def _through_a_snapshot(built, mode: str, changes, cut: int, **options) -> tuple[Engine, Engine, list, list]:
    """An engine over every change, and one loaded from a snapshot of another taken after `cut`."""
    whole = Engine(built.spec, built.plan, mode, **options)
    first = _records(whole, changes[:cut])
    rest = _records(whole, changes[cut:])
    before = Engine(built.spec, built.plan, mode, **options)
    assert _records(before, changes[:cut]) == first
    identity = {"plan": "test", "mode": mode}
    text = dumps(before, identity, {"at": cut})
    position, state = loads(text, identity)
    assert position == {"at": cut}
    after = Engine(built.spec, built.plan, mode, **options)
    restore_engine(after, state)
    return whole, after, rest, _records(after, changes[cut:])


@settings(ORACLE, max_examples=max(1, ORACLE.max_examples // 3))
@given(data=st.data())
def test_an_engine_loaded_from_a_snapshot_goes_on_exactly(data) -> None:
    """Random jobs and streams (the oracle's): cut anywhere, snapshot, load into a new engine;
    the rest of the stream gives the same records (and dead letters) as the engine that never
    stopped, and both end holding the same state."""
    job, spec_path, built, changes = draw_case(data)
    cut = data.draw(st.integers(0, len(changes)), label="cut")
    mode = data.draw(st.sampled_from(["pruned", "stateless", "full"]), label="mode")
    whole, after, want, got = _through_a_snapshot(built, mode, changes, cut)
    assert got == want
    assert _shape(engine_state(after)) == _shape(engine_state(whole))


def test_dedup_state_goes_through_a_snapshot() -> None:
    built = build(ROOT / "examples/reference/job.yaml")
    changes = [Change("insert", "sellers", None, {"b": 1, "c": "x"}, None, 1),
               Change("insert", "items", None, {"id": 1, "a": "A", "b": 1}, None, 2),
               Change("update", "items", {"id": 1, "a": "A", "b": 1}, {"id": 1, "a": "B", "b": 1}, None, 3),
               Change("update", "sellers", {"b": 1, "c": "x"}, {"b": 1, "c": "y"}, None, 4),
               Change("update", "items", {"id": 1, "a": "B", "b": 1}, {"id": 1, "a": "A", "b": 1}, None, 5)]
    for cut in range(len(changes) + 1):
        whole, after, want, got = _through_a_snapshot(built, "pruned", changes, cut, dedup=Dedup())
        assert got == want, cut
        assert after.emitted.keys() == whole.emitted.keys()


def test_a_damaged_or_foreign_snapshot_is_refused() -> None:
    built = build(ROOT / "examples/reference/job.yaml")
    engine = Engine(built.spec, built.plan, "pruned")
    engine.process(Change("insert", "items", None, {"id": 1, "a": "A", "b": 1}, None, 1))
    text = dumps(engine, {"plan": "p1"}, {})
    with pytest.raises(SnapshotError, match="checksum"):
        loads(text.replace('"A"', '"B"'), {"plan": "p1"})
    with pytest.raises(SnapshotError, match="not p1|another plan"):
        loads(text, {"plan": "p2"})
    with pytest.raises(SnapshotError, match="version"):
        loads(text.replace('"version": 1', '"version": 99'), {"plan": "p1"})
    with pytest.raises(SnapshotError, match="not a snapshot|not an engine snapshot"):
        loads("{}\n{}", {"plan": "p1"})
    with pytest.raises(SnapshotError, match="new engine"):
        restore_engine(engine, loads(text, {"plan": "p1"})[1])
