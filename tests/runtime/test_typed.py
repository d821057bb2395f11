"""Typed sources end to end: a key typed in the spec is one row whatever format spells it, and
a wrong-typed key is a dead letter, not a second row, in every mode, runtime and store."""
from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pruner.cdc import Change, DeadLetter, DecodeStats, decode
from pruner.compiler import build
from pruner.planfile import read_plan, write_plan
from pruner.runtime.engine import Engine, SinkTable
from pruner.runtime.keyed import run_keyed
from pruner.runtime.replay import replay
from pruner.spec import load_spec

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"


@pytest.fixture
def typed(tmp_path: Path) -> Path:
    """tests/fixtures/specs/good/typed.yaml with its plugins, compiled, plus an untyped copy."""
    shutil.copytree(SPECS / "plugins", tmp_path / "plugins")
    shutil.copytree(SPECS / "good", tmp_path / "good")
    job = tmp_path / "good"
    write_plan(build(job / "typed.yaml").plan, job / "typed.plan")
    untyped = re.sub(r"\n    types:\n(      .*\n)+", "\n", (job / "typed.yaml").read_text())
    untyped = re.sub(r"(,|\n   ) types: \{[^}]*\}", "", untyped)
    (job / "untyped.yaml").write_text(untyped.replace("name: typed", "name: untyped"))
    assert load_spec(job / "untyped.yaml").types == {}
    write_plan(build(job / "untyped.yaml").plan, job / "untyped.plan")
    return job


def debezium(op: str, table: str, before: dict | None, after: dict | None) -> str:
    return json.dumps({"op": op, "source": {"table": table}, "before": before, "after": after})


def canal(type_: str, table: str, row: dict, old: dict | None = None) -> str:
    return json.dumps({"data": [row], "old": [old] if old is not None else None, "type": type_,
                       "table": table, "isDdl": False})


ITEM = {"id": 18, "a": "x", "b": 7, "price": 12.5, "active": True, "created_at": "2026-12-01 10:00:00"}
STREAM = [
    debezium("c", "sellers", None, {"b": 7, "c": "Seven"}),
    debezium("c", "items", None, ITEM),
    debezium("u", "items", {**ITEM, "id": "18"}, {**ITEM, "id": "18", "a": "z"}),     # a producer's bug
    debezium("u", "items", ITEM, {**ITEM, "a": "y", "price": 13}),
]


def test_a_wrong_typed_key_is_a_dead_letter_not_a_second_row(typed: Path) -> None:
    result = replay(typed / "typed.yaml", typed / "typed.plan", STREAM, "debezium-json", "pruned")
    assert [(d.line, d.reason) for d in result.dead_letters] == [
        (3, "table 'items', field 'id': expected bigint, got the string '18'")]
    assert result.dead_letters[0].raw == STREAM[2]
    rows = result.sink.sorted_rows()
    assert len(rows) == 1
    assert rows[0]["id"] == 18 and rows[0]["a"] == "y" and rows[0]["c"] == "Seven" and rows[0]["dd"] == "y7"
    assert rows[0]["price"] == Decimal("13.00") and rows[0]["created_at"] == datetime(2026, 12, 1, 10)
    # Without types the same stream makes "18" a second row: what the types are for.
    untyped = replay(typed / "untyped.yaml", typed / "untyped.plan", STREAM, "debezium-json", "pruned")
    assert not untyped.dead_letters and len(untyped.sink.sorted_rows()) == 2


def test_canal_strings_join_the_rows_of_typed_json_messages(typed: Path) -> None:
    """Canal's "18" is the row a Debezium 18 made, and its seller "7" the dimension row 7."""
    spec = load_spec(typed / "typed.yaml")
    changes = [*decode(STREAM[:2], "debezium-json", DecodeStats(), spec.types),
               *decode([canal("UPDATE", "items", {"id": "18", "a": "q", "b": "7", "price": "12.50", "active": "1",
                                                  "created_at": "2026-12-01 10:00:00"}, old={"a": "x"}),
                        canal("UPDATE", "sellers", {"b": "7", "c": "Sieben"}, old={"c": "Seven"})],
                       "canal-json", DecodeStats(), spec.types)]
    assert all(isinstance(c, Change) for c in changes)
    engine = Engine(spec, read_plan(typed / "typed.plan"), "pruned")
    sink = SinkTable(spec.sink.fields, spec.sink.primary_key)
    for change in changes:
        result = engine.process(change)
        assert not isinstance(result, DeadLetter), result
        sink.apply_all(result)
    rows = sink.sorted_rows()
    assert len(rows) == 1 and (rows[0]["a"], rows[0]["c"], rows[0]["price"]) == ("q", "Sieben", Decimal("12.50"))
    keyed = run_keyed(spec, read_plan(typed / "typed.plan"), changes)
    keyed_sink = SinkTable(spec.sink.fields, spec.sink.primary_key)
    keyed_sink.apply_all(keyed.records)
    assert keyed_sink.sorted_rows() == rows and not keyed.bad


def test_every_mode_agrees_on_a_typed_stream(typed: Path) -> None:
    sinks = [replay(typed / "typed.yaml", typed / "typed.plan", STREAM, "debezium-json", mode).sink.sorted_rows()
             for mode in ("pruned", "stateless", "full", "batch")]
    assert all(s == sinks[0] for s in sinks)


def test_a_sqlite_dimension_store_holds_typed_rows(typed: Path, tmp_path: Path) -> None:
    in_memory = replay(typed / "typed.yaml", typed / "typed.plan", STREAM, "debezium-json", "pruned")
    stored = replay(typed / "typed.yaml", typed / "typed.plan", STREAM, "debezium-json", "pruned",
                    dim_store=tmp_path / "dims.db")
    assert stored.sink.sorted_rows() == in_memory.sink.sorted_rows()
