"""Every decoder on Flink's own test messages, checked against Flink's expected rows.

Fixtures: the shared Flink fixtures (``../shared/fixtures/cdc``, see its ``SOURCES.md``)
plus our ``fixtures/changelog/``. Expected rows are Flink's ``RowData.toString()`` lines.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pruner.cdc import DELETE, INSERT, SNAPSHOT, UPDATE, Change, DeadLetter, DecodeStats, decode
from tests.cdc.rowdata import flink_rows, java_float

# Flink's messages live in the shared fixtures beside the checkout (never copied, never edited);
# our own changelog-json fixture lives here.
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "cdc"
OWN = Path(__file__).resolve().parent / "fixtures"
if not SHARED.is_dir():
    # A user's clone has no ../shared: this conformance check runs where it is (CI always has it).
    if os.environ.get("CI") == "true":
        raise AssertionError(f"the shared CDC fixtures are missing: expected them at {SHARED}")
    pytest.skip(f"no shared CDC fixtures beside this checkout ({SHARED}): conformance check skipped",
                allow_module_level=True)


def _fixture(path: str | Path) -> Path:
    return OWN / path if str(path).startswith("changelog") else SHARED / path


def read(path: str) -> list[str]:
    with open(_fixture(path), encoding="utf-8") as file:
        return list(file)


def expected(path: str) -> list[str]:
    return _fixture(path).read_text(encoding="utf-8").splitlines()


def run(path: str, fmt: str) -> tuple[list[Change], list[DeadLetter], DecodeStats]:
    stats = DecodeStats()
    out = list(decode(read(path), fmt, stats))
    changes = [o for o in out if isinstance(o, Change)]
    dead = [o for o in out if isinstance(o, DeadLetter)]
    assert stats.changes == len(changes) and stats.dead_letter == len(dead)
    return changes, dead, stats


@pytest.mark.parametrize("value, text", [
    (3.140000104904175, "3.14"), (8.100000381469727, "8.1"), (0.800000011920929, "0.8"),
    (0.75, "0.75"), (1, "1.0"), (1.0, "1.0"), (22.200000762939453, "22.2"),
    (5.099999904632568, "5.1"), (0.10000000149011612, "0.1"), (5.18, "5.18"), (0.875, "0.875"),
])
def test_java_float_matches_float_tostring(value: float, text: str) -> None:
    assert java_float(value) == text


@pytest.mark.parametrize("path, fmt, rows", [
    ("canal/canal-data.txt", "canal-json", "canal/canal-data.expected-rows.txt"),
    ("maxwell/maxwell-data.txt", "maxwell-json", "maxwell/maxwell-data.expected-rows.txt"),
    ("ogg/ogg-data.txt", "ogg-json", "ogg/ogg-data.expected-rows.txt"),
    ("debezium/debezium-data-schema-include.txt", "debezium-json", "debezium/debezium-data.expected-rows.txt"),
    ("debezium/debezium-postgres-data-schema-include.txt", "debezium-json",
     "debezium/debezium-data.expected-rows.txt"),
    ("debezium/debezium-postgres-data-schema-exclude.txt", "debezium-json",
     "debezium/debezium-data.expected-rows.txt"),
    ("changelog/changelog-data.txt", "changelog-json", "changelog/changelog-data.expected-rows.txt"),
])
def test_decoded_rows_match_flink(path: str, fmt: str, rows: str) -> None:
    changes, dead, stats = run(path, fmt)
    assert dead == []
    assert flink_rows(changes) == expected(rows)
    assert stats.no_before_image == 0
    assert stats.messages == len(read(path))


# ---------------------------------------------------------------- Debezium

def test_debezium_mysql_snapshot_rows_with_op_c_are_inserts() -> None:
    changes, _, _ = run("debezium/debezium-data-schema-include.txt", "debezium-json")
    assert [c.kind for c in changes[:9]] == [INSERT] * 9
    first = changes[0]
    assert (first.database, first.table, first.ts_ms) == ("inventory", "products", 1589355606100)


@pytest.mark.parametrize("path", ["debezium/debezium-postgres-data-schema-include.txt",
                                  "debezium/debezium-postgres-data-schema-exclude.txt"])
def test_debezium_postgres_op_r_is_snapshot(path: str) -> None:
    changes, _, _ = run(path, "debezium-json")
    assert [c.kind for c in changes] == [SNAPSHOT] * 9 + [UPDATE] * 2 + [INSERT] * 2 + [UPDATE] * 2 + [DELETE]
    assert (changes[0].database, changes[0].table, changes[0].ts_ms) == ("postgres", "products", 1596001099434)


def test_debezium_schema_wrapper_changes_nothing() -> None:
    with_schema, _, _ = run("debezium/debezium-postgres-data-schema-include.txt", "debezium-json")
    bare, _, _ = run("debezium/debezium-postgres-data-schema-exclude.txt", "debezium-json")
    assert with_schema == bare


def test_debezium_update_changed_fields() -> None:
    changes, _, _ = run("debezium/debezium-data-schema-include.txt", "debezium-json")
    assert [c.changed for c in changes if c.kind == UPDATE] == [
        {"description"}, {"weight"}, {"description", "weight"}, {"weight"}]


def test_debezium_replica_identity_default() -> None:
    """Postgres without REPLICA IDENTITY FULL: updates lose their before image, the delete both."""
    changes, dead, stats = run("debezium/debezium-postgres-data-replica-identity.txt", "debezium-json")
    updates = [c for c in changes if c.kind == UPDATE]
    assert len(updates) == 4
    assert all(c.changed is None and c.before is None and c.after is not None for c in updates)
    assert stats.no_before_image == 4
    assert [d.line for d in dead] == [16]
    assert "REPLICA IDENTITY FULL" in dead[0].reason
    assert len(changes) == 15 and stats.messages == 16


# ---------------------------------------------------------------- Canal

def test_canal_first_message_holds_nine_rows() -> None:
    changes, _, stats = run("canal/canal-data.txt", "canal-json")
    assert [c.line for c in changes].count(1) == 9
    first = changes[0]
    assert (first.database, first.table, first.ts_ms) == ("inventory", "products2", 1589373515477)
    assert stats.skipped_ddl == 1 and stats.messages == 11


def test_canal_old_key_with_null_value_marks_the_field_changed() -> None:
    changes, _, _ = run("canal/canal-data.txt", "canal-json")
    update = next(c for c in changes if c.kind == UPDATE)
    assert update.changed == {"description"}
    assert update.before == {"id": "106", "name": "hammer", "description": None, "weight": "1.0"}
    assert update.after["description"] == "18oz carpenter hammer"


def test_canal_values_are_kept_as_strings() -> None:
    changes, _, _ = run("canal/canal-data.txt", "canal-json")
    assert changes[0].after == {"id": "101", "name": "scooter", "description": "Small 2-wheel scooter",
                                "weight": "3.14"}


def test_canal_multi_row_update_pairs_old_with_data() -> None:
    changes, _, _ = run("canal/canal-data.txt", "canal-json")
    pair = [c for c in changes if c.line == 9]
    assert [(c.before["id"], c.before["weight"], c.after["weight"], c.changed) for c in pair] == [
        ("101", "3.14", "5.17", {"weight"}), ("102", "8.1", "5.17", {"weight"})]


def test_canal_filter_table_keeps_every_table() -> None:
    changes, dead, stats = run("canal/canal-data-filter-table.txt", "canal-json")
    assert dead == []
    assert stats.skipped_ddl == 2
    assert stats.by_table == {"product": 20, "orders": 6, "project": 9}
    assert {c.database for c in changes} == {"mydb"}
    # Flink's test: database ^my.* and table ^prod.* give canal-data.txt's rows
    kept = [c for c in changes if re.match("^my.*", c.database or "") and re.match("^prod.*", c.table)]
    assert flink_rows(kept) == expected("canal/canal-data.expected-rows.txt")
    orders = next(c for c in changes if c.table == "orders" and c.kind == UPDATE)
    assert orders.changed == {"quantity"} and orders.before["quantity"] == "1"


def test_canal_init_is_snapshot_and_extra_columns_are_kept() -> None:
    changes, dead, stats = run("canal/canal-data-with-init.txt", "canal-json")
    assert dead == [] and stats.skipped_ddl == 1
    assert [c.kind for c in changes[:9]] == [SNAPSHOT] * 9
    assert changes[0].after["other"] == "val1"
    update = changes[9]
    assert update.changed == {"description", "other"}
    assert (update.before["description"], update.before["other"], update.after["other"]) == (None, "val2", "val0")


# ---------------------------------------------------------------- Maxwell, OGG

def test_maxwell_metadata_and_changed_fields() -> None:
    changes, _, _ = run("maxwell/maxwell-data.txt", "maxwell-json")
    first = changes[0]
    assert (first.database, first.table, first.ts_ms) == ("test", "product", 1596684883000)
    assert [c.changed for c in changes if c.kind == UPDATE] == [
        {"description"}, {"weight"}, {"description", "weight"}, {"weight"}, {"weight"}, {"weight"}]


def test_ogg_schema_prefix_is_the_database() -> None:
    changes, _, _ = run("ogg/ogg-data.txt", "ogg-json")
    assert {(c.database, c.table) for c in changes} == {("OGG", "TBL_TEST")}
    assert changes[0].ts_ms == 1589384406000          # op_ts 2020-05-13 15:40:06 UTC
    assert [c.changed for c in changes if c.kind == UPDATE] == [
        {"description"}, {"weight"}, {"description", "weight"}, {"weight"}]


def test_ogg_ignores_the_extra_source_object() -> None:
    changes, _, _ = run("ogg/ogg-data.txt", "ogg-json")
    line12 = next(c for c in changes if c.line == 12)
    assert (line12.kind, line12.table, line12.after["id"]) == (INSERT, "TBL_TEST", 110)


def test_changelog_pairs_minus_u_with_plus_u() -> None:
    changes, _, stats = run("changelog/changelog-data.txt", "changelog-json")
    updates = [c for c in changes if c.kind == UPDATE]
    assert [c.changed for c in updates] == [{"description"}, {"weight"}, {"description", "weight"}, {"weight"}]
    assert [c.line for c in updates] == [10, 12, 16, 18]     # the -U line of each pair
    assert stats.messages == 20 and stats.changes == 16
