"""wal2json (format-version 2) on messages captured from PostgreSQL 15 with wal2json 2.x.

tests/cdc/fixtures/wal2json/postgres15-samples.txt was captured from a real server (our own
script; the 8 kB TOASTed value is shortened to a marker). Tables t_default (REPLICA IDENTITY
DEFAULT) and t_full (FULL) got the same DML: insert, one- and two-column updates, numeric
and boolean and null changes, a key change, a delete, two inserts, a truncate.
"""
from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest

from pruner.cdc import decode
from pruner.cdc.model import DELETE, INSERT, TRUNCATE, UPDATE, Change, DecodeStats
from pruner.cdc import wal2json

SAMPLES = Path(__file__).parent / "fixtures/wal2json/postgres15-samples.txt"


@pytest.fixture()
def changes(caplog) -> list[Change]:
    wal2json._warned.clear()
    with caplog.at_level(logging.WARNING, logger="pruner.cdc.wal2json"):
        stats = DecodeStats()
        out = list(decode(SAMPLES.read_text(encoding="utf-8").splitlines(), "wal2json", stats))
    assert stats.dead_letter == 0 and stats.skipped_empty == 40          # 20 begin + 20 commit
    return out


def _of(changes, table):
    return [c for c in changes if c.table == table]


def test_replica_identity_full_gives_exact_changed_fields(changes) -> None:
    full = _of(changes, "t_full")
    assert [c.kind for c in full] == [INSERT, UPDATE, UPDATE, UPDATE, UPDATE, UPDATE, DELETE, INSERT, INSERT, TRUNCATE]
    assert [sorted(c.changed) for c in full[1:6]] == [["a"], ["a", "b"], ["flag", "n", "nul"], ["n"], ["id"]]
    assert all(c.database == "public" and not c.partial for c in full)
    delete = full[6]
    assert delete.before["id"] == 2 and delete.before["a"] == "a2"      # FULL: the whole old row


def test_an_unchanged_toasted_value_is_unchanged_not_null(changes) -> None:
    insert, update = _of(changes, "t_full")[:2]
    assert "big" not in update.changed
    assert update.after["big"] == update.before["big"] == insert.after["big"]      # from identity


def test_numerics_are_exact_and_types_kept(changes) -> None:
    insert = _of(changes, "t_full")[0]
    assert insert.after["n"] == Decimal("12345678901234567890.1234567891")
    assert isinstance(insert.after["n"], Decimal) and insert.after["flag"] is True and insert.after["nul"] is None
    assert _of(changes, "t_full")[3].after["n"] == Decimal("-0.0000000001")


def test_replica_identity_default_counts_every_field_and_warns_once(changes, caplog) -> None:
    default = _of(changes, "t_default")
    updates = [c for c in default if c.kind == UPDATE]
    assert len(updates) == 5 and all(c.changed is None and c.partial for c in updates)
    assert all("big" not in c.after for c in updates)        # left out: the runtime keeps its value
    warnings = [r.getMessage() for r in caplog.get_records("setup") if "REPLICA IDENTITY" in r.getMessage()]
    assert warnings == ["table public.t_default has REPLICA IDENTITY DEFAULT: its updates carry no old values, "
                        "so every field counts as changed and nothing is pruned. "
                        "Fix: ALTER TABLE public.t_default REPLICA IDENTITY FULL;"]


@pytest.mark.parametrize("line, reason", [
    ('{"action": "X", "table": "t"}', "unknown action 'X'"),
    ('{"action": "I", "table": "t"}', "'columns' must be an array"),
    ('{"action": "I", "table": "t", "columns": [{"name": "a"}]}', "columns[0] must be an object"),
    ('{"action": "D", "table": "t", "columns": []}', "'identity' must be an array"),
    ('{"action": "U"}', "missing key 'table'"),
])
def test_bad_messages_are_dead_letters(line: str, reason: str) -> None:
    [letter] = decode([line], "wal2json")
    assert reason in letter.reason


# ---------------------------------------------------------------------- the engine's side
def test_the_engine_keeps_left_out_columns_and_empties_a_truncated_table(tmp_path: Path) -> None:
    from pruner.compiler import build
    from pruner.runtime.engine import Engine, SinkTable

    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins/p.py").write_text(
        "from plugin_sdk import UDTF, Processor\n\n"
        "class Size(Processor):\n    def process(self, row, out):\n        out['big_len'] = len(row['big'] or '')\n\n"
        "class U(UDTF):\n    processors = [Size]\n")
    (tmp_path / "job.yaml").write_text(
        "name: toast\nplugins: [plugins]\nsources:\n  t_default: {primary_key: [id], fields: [id, a, b, big]}\n"
        "pipeline:\n  - udtf: U\n    class: p.U\nsink: {name: out, primary_key: [id], fields: [id, a, big_len]}\n")
    built = build(tmp_path / "job.yaml")
    lines = SAMPLES.read_text(encoding="utf-8").splitlines()
    for mode in ("pruned", "full"):
        engine = Engine(built.spec, built.plan, mode)
        sink = SinkTable(built.spec.sink.fields, built.spec.sink.primary_key)
        snapshots = []
        for change in decode(lines, "wal2json"):
            if change.table == "t_default":
                sink.apply_all(engine.process(change))
                snapshots.append(sink.sorted_rows())
        big = len("<8192 hex chars>")
        assert snapshots[1] == [{"id": 1, "a": "a1", "big_len": big}]        # not 0: big kept
        assert snapshots[5] == [{"id": 2, "a": "a2", "big_len": big}]        # a key change keeps it too
        assert snapshots[8] == [{"id": 3, "a": None, "big_len": 0}, {"id": 4, "a": None, "big_len": 0}]
        assert snapshots[9] == []                                              # truncate
        assert engine.tables["t_default"] == {}
