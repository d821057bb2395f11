"""SQLite-backed source tables: a dict in every observable way, and the engine's results unchanged."""
from __future__ import annotations

import math
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pruner.compiler import build
from pruner.planfile import write_plan
from pruner.runtime.stores import SqliteTable, StoreError, connect, sqlite_stores
from pruner.spec import TableSpec, load_spec
from tests.runtime.test_engine import STREAM, _engine, _run, insert, update

SELLERS = TableSpec("sellers", ("b",), ("b", "c"))
PAIR = TableSpec("pairs", ("x", "y"), ("x", "y", "v"))


def _table(tmp_path: Path, spec: TableSpec = SELLERS) -> SqliteTable:
    return SqliteTable.open(tmp_path / "store.db", spec)


def test_rows_come_back_exactly(tmp_path: Path) -> None:
    table = _table(tmp_path)
    row = {"b": 1, "none": None, "yes": True, "int": -(2 ** 70), "float": 0.1 + 0.2, "inf": math.inf,
           "text": "naïve ✓ \"quoted\" \x00", "list": [1, "a", None, [2.5]], "obj": {"k": {"n": 1}},
           "dec": Decimal("12345678901234567890.000000001"), "bytes": b"\x00\xffraw"}
    table[(1,)] = row
    back = table[(1,)]
    assert back == row
    assert type(back["dec"]) is Decimal and str(back["dec"]) == "12345678901234567890.000000001"
    assert type(back["bytes"]) is bytes and type(back["yes"]) is bool
    table[(2,)] = {"b": 2, "nan": math.nan}
    assert math.isnan(table[(2,)]["nan"])


def test_the_mapping_protocol(tmp_path: Path) -> None:
    table = _table(tmp_path, PAIR)
    assert len(table) == 0 and list(table) == [] and table.get((1, "a")) is None
    table[(1, "a")] = {"v": 1}
    table[(1, "b")] = {"v": 2}
    table[(1, "a")] = {"v": 3}                          # a replace, not a second row
    assert len(table) == 2 and sorted(table) == [(1, "a"), (1, "b")]
    assert (1, "a") in table and (2, "a") not in table and (1.0, "a") in table   # 1 == 1.0, as in a dict
    assert table[(1, "a")] == {"v": 3} and table.pop((1, "b")) == {"v": 2}
    with pytest.raises(KeyError):
        table[(1, "b")]
    with pytest.raises(KeyError):
        del table[(1, "b")]
    assert table.pop((1, "b"), "gone") == "gone"


def test_rows_persist_and_a_store_can_start_filled(tmp_path: Path) -> None:
    _table(tmp_path)[(7,)] = {"b": 7, "c": "kept"}
    assert _table(tmp_path)[(7,)] == {"b": 7, "c": "kept"}


def test_bad_keys_and_layouts_are_clear_errors(tmp_path: Path) -> None:
    table = _table(tmp_path)
    with pytest.raises(StoreError, match="tuple of 1 value"):
        table[(1, 2)] = {}
    with pytest.raises(StoreError, match="cannot be stored"):
        table[([1],)] = {}
    assert ([1],) not in table and "not a tuple" not in table
    with pytest.raises(TypeError, match="cannot be stored"):
        table[(3,)] = {"value": object()}
    assert (3,) not in table                            # nothing half-written
    with pytest.raises(StoreError, match="another primary key"):
        SqliteTable.open(tmp_path / "store.db", TableSpec("sellers", ("b", "extra"), ("b", "extra")))
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError, match="cannot open"):
        connect(tmp_path / "dir.db")


_keys = st.tuples(st.integers(-3, 3) | st.sampled_from(["a", "b", "é"]))
_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5)
                       | st.floats(allow_nan=False), lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=6)
_ops = st.lists(st.tuples(st.sampled_from(["set", "del", "get"]), _keys,
                          st.dictionaries(st.text(max_size=3), _values, max_size=3)), max_size=30)


@settings(max_examples=60)
@given(ops=_ops)
def test_behaves_like_a_dict(ops) -> None:
    table = SqliteTable(sqlite3.connect(":memory:", isolation_level=None), "t", ("k",))
    model: dict = {}
    for op, key, row in ops:
        if op == "set":
            table[key], model[key] = row, row
        elif op == "del":
            assert table.pop(key, None) == model.pop(key, None)
        else:
            assert table.get(key) == model.get(key) and (key in table) == (key in model)
    assert dict(table.items()) == model and len(table) == len(model)


# ---------------------------------------------------------------------- inside the engine
def test_the_engine_gives_the_same_sink_with_sqlite_tables(reference: Path, tmp_path: Path) -> None:
    spec = load_spec(reference / "job.yaml")
    expected, _ = _run(_engine(reference), STREAM)
    for mode in ("pruned", "stateless", "full", "batch"):
        stores = sqlite_stores(tmp_path / f"{mode}.db", [*spec.dimensions, *spec.sources])
        rows, dead = _run(_engine(reference, mode, stores=stores), STREAM)
        assert not dead and rows == expected, mode
        assert stores["sellers"][(1,)] == {"b": 1, "c": "y"}


def test_a_dimension_row_already_in_the_store_is_found(reference: Path, tmp_path: Path) -> None:
    spec = load_spec(reference / "job.yaml")
    stores = sqlite_stores(tmp_path / "dims.db", list(spec.dimensions))
    stores["sellers"][(1,)] = {"b": 1, "c": "x"}          # loaded by someone else
    rows, _ = _run(_engine(reference, stores=stores), STREAM[1:3])
    assert rows == [{"id": 1, "a": "A2", "b": 1, "c": "x", "d": "A2:1", "e": "A2:1"}]


def test_a_dead_letter_rolls_the_store_back(reference: Path, tmp_path: Path) -> None:
    plugin = reference / "plugins/reference_udtfs.py"
    text = plugin.read_text()
    assert 'out["e"] =' in text                          # P2 runs after the seller DimJoin
    plugin.write_text(text.replace('out["e"] =', "if row.get('c') == 'BOOM':\n"
                                   "            raise ValueError('bad seller')\n        out[\"e\"] =", 1))
    write_plan(build(reference / "job.yaml").plan, reference / "job.plan")
    spec = load_spec(reference / "job.yaml")
    stores = sqlite_stores(tmp_path / "dims.db", list(spec.dimensions))
    bad = update("sellers", {"b": 1, "c": "y"}, {"b": 1, "c": "BOOM"}, line=9)
    with_bad, dead = _run(_engine(reference, stores=stores), [*STREAM, bad, insert("items", {"id": 2, "a": "B", "b": 1})])
    assert [d.line for d in dead] == [9] and "bad seller" in dead[0].reason
    assert stores["sellers"][(1,)] == {"b": 1, "c": "y"}
    without_bad, _ = _run(_engine(reference), [*STREAM, insert("items", {"id": 2, "a": "B", "b": 1})])
    assert with_bad == without_bad


def test_stores_for_unknown_tables_are_refused(reference: Path) -> None:
    with pytest.raises(ValueError, match="nope"):
        _engine(reference, stores={"nope": {}})


def test_a_list_as_join_key_matches_no_dimension_row(reference: Path, tmp_path: Path) -> None:
    spec = load_spec(reference / "job.yaml")
    for stores in ({}, sqlite_stores(tmp_path / "dims.db", list(spec.dimensions))):
        rows, dead = _run(_engine(reference, stores=stores), [*STREAM, insert("items", {"id": 2, "a": "B", "b": [1]})])
        assert not dead and rows[1]["c"] is None


# ---------------------------------------------------------------------- pruner replay --dim-store
def test_replay_with_a_sqlite_dimension_store(tmp_path: Path) -> None:
    from tests.runtime.test_engine import CLOCK_FIELDS, _replay

    def stable(rows):
        return [{k: v for k, v in row.items() if k not in CLOCK_FIELDS} for row in rows]

    (tmp_path / "memory").mkdir()
    code, in_memory, _ = _replay(tmp_path / "memory", "pruned")
    store = tmp_path / "dims.db"
    code_sqlite, in_sqlite, stats = _replay(tmp_path, "pruned", "--dim-store", str(store))
    assert code == code_sqlite == 0 and stats["dead_letter"] == 0
    assert stable(in_sqlite) == stable(in_memory)
    sellers = SqliteTable(sqlite3.connect(store), "sellers", ("seller_id",))
    assert len(sellers) > 0 and all(set(row) >= {"seller_id", "seller_name"} for row in sellers.values())


def test_replay_reports_a_store_it_cannot_open(tmp_path: Path, capsys) -> None:
    from tests.runtime.test_engine import _replay

    (tmp_path / "dir.db").mkdir()
    code, _, _ = _replay(tmp_path, "pruned", "--dim-store", str(tmp_path / "dir.db"))
    err = capsys.readouterr().err
    assert code == 2 and "--dim-store" in err and "not a regular file" in err
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not an SQLite database" * 100)
    code, _, _ = _replay(tmp_path, "pruned", "--dim-store", str(garbage))
    assert code != 0 and "SQLite" in capsys.readouterr().err
