"""One key normalization (pruner.runtime.keys): the engine, the keyed runtime and the SQLite
stores build every key the same way, equal keys have one spelling (one ``repr``, for Flink's
partitioning), and what cannot be a key (null, NaN, a list) is said so."""
from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pruner.runtime.engine import Engine
from pruner.runtime.keyed import _key as keyed_key
from pruner.runtime.keyed import _normal
from pruner.runtime.keys import BadKey, normal_key, normal_value, row_key
from pruner.runtime.stores import SqliteTable, StoreError

@pytest.mark.parametrize("values, normal", [
    ((18,), (18,)), ((True,), (1,)), ((18.0,), (18,)), ((Decimal("18.00"),), (18,)), ((Decimal("1E+2"),), (100,)),
    ((1.5,), (1.5,)), ((Decimal("1.50"),), (1.5,)), ((Decimal("0.10"),), (Decimal("0.1"),)),
    (("18",), ("18",)), ((b"\x00",), (b"\x00",)), ((2 ** 70, "a"), (2 ** 70, "a")),
])
def test_normal_keys(values: tuple, normal: tuple) -> None:
    key = normal_key(values)
    assert key == normal and [type(v) for v in key] == [type(v) for v in normal]


@pytest.mark.parametrize("image, says", [
    ({"id": None}, "key field is null"), ({}, "row has no key field 'id'"), ([1], "row image is not an object"),
    ({"id": [1]}, "not a scalar"), ({"id": float("nan")}, "NaN"), ({"id": Decimal("NaN")}, "NaN"),
    ({"id": datetime(2026, 1, 1)}, "not a scalar"),
])
def test_what_is_not_a_key(image, says: str) -> None:
    with pytest.raises(BadKey, match=says):
        row_key(image, ("id",))


_SCALARS = (st.integers() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=3) | st.binary(max_size=2)
            | st.decimals(allow_nan=False)
            | st.integers(-10 ** 30, 10 ** 30).map(lambda n: Decimal(n) / 100))


@given(a=_SCALARS, b=_SCALARS)
def test_normal_values_are_equal_exactly_when_a_dict_says_so(a, b) -> None:
    na, nb = normal_value(a), normal_value(b)
    assert (na == nb) == (a == b)
    if a == b:                          # one spelling: equal keys route to one partition by repr
        assert repr(na) == repr(nb) and type(na) is type(nb)
    assert normal_value(na) == na and type(normal_value(na)) is type(na)


@given(value=_SCALARS)
def test_the_engine_the_keyed_runtime_and_a_store_build_one_key(value) -> None:
    image = {"id": value, "x": 1}
    engine_key = Engine._key(None, image, ("id",))          # type: ignore[arg-type]  # reads no engine state
    assert engine_key == keyed_key(image, ("id",)) == _normal((value,)) == row_key(image, ("id",))
    assert repr(engine_key) == repr(keyed_key(image, ("id",)))
    store = SqliteTable(sqlite3.connect(":memory:", isolation_level=None), "t", ("id",))
    store[(value,)] = {"id": 1}
    assert list(store) == [engine_key] and [type(v) for v in next(iter(store))] == [type(v) for v in engine_key]
    assert store.get(engine_key) == {"id": 1} and (value,) in store


def test_store_keys_sqlite_cannot_hold_as_they_are() -> None:
    store = SqliteTable(sqlite3.connect(":memory:", isolation_level=None), "t", ("id",))
    for key in [(2 ** 64 - 1,), (Decimal("0.1"),), ("\x00int:5",), (-(2 ** 63),)]:
        store[key] = {"k": repr(key)}
    assert sorted(map(repr, store)) == sorted(map(repr, [(2 ** 64 - 1,), (Decimal("0.1"),), ("\x00int:5",),
                                                          (-(2 ** 63),)]))
    assert (5,) not in store                                          # "\x00int:5" is a string, not 5
    assert store[("\x00int:5",)] == {"k": repr(("\x00int:5",))}
    assert store.get((None,)) is None and (float("nan"),) not in store
    with pytest.raises(StoreError, match="cannot be stored: key field|cannot be stored: key"):
        store[(None,)] = {}
