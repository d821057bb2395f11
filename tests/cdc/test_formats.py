"""Each decoder on small hand-written messages: the edge cases the fixtures do not cover."""
from __future__ import annotations

import json
from typing import Any

import pytest

from pruner.cdc import (
    DELETE,
    FORMATS,
    INSERT,
    SNAPSHOT,
    UPDATE,
    Change,
    DeadLetter,
    DecodeStats,
    decode,
)


def run(fmt: str, *messages: Any) -> tuple[list[Change | DeadLetter], DecodeStats]:
    """Decode messages given as JSON values (dumped) or as raw line text (str)."""
    lines = [m if isinstance(m, str) else json.dumps(m) for m in messages]
    stats = DecodeStats()
    return list(decode(lines, fmt, stats)), stats


def one(fmt: str, message: Any) -> Change | DeadLetter:
    out, _ = run(fmt, message)
    assert len(out) == 1, out
    return out[0]


def dead(fmt: str, message: Any) -> str:
    result = one(fmt, message)
    assert isinstance(result, DeadLetter), result
    return result.reason


# ---------------------------------------------------------------- decode()

def test_formats() -> None:
    assert FORMATS == ("debezium-json", "canal-json", "maxwell-json", "ogg-json", "changelog-json", "wal2json")


def test_unknown_format_lists_the_formats() -> None:
    with pytest.raises(ValueError) as error:
        decode([], "avro")
    assert all(fmt in str(error.value) for fmt in FORMATS)


def test_one_string_instead_of_lines_is_refused() -> None:
    with pytest.raises(TypeError):
        decode('{"op": "c"}', "debezium-json")


@pytest.mark.parametrize("fmt", FORMATS)
def test_blank_lines_invalid_json_and_non_objects(fmt: str) -> None:
    out, stats = run(fmt, "", "  \n", "{not json\n", "[1, 2]", "null", '"text"')
    assert [(d.line, d.raw) for d in out] == [(3, "{not json"), (4, "[1, 2]"), (6, '"text"')]
    assert out[0].reason.startswith("invalid JSON")
    assert "array" in out[1].reason and "string" in out[2].reason
    assert stats.messages == 4 and stats.skipped_empty == 3 and stats.dead_letter == 3   # null: a tombstone


def test_overlong_integer_is_a_dead_letter() -> None:
    assert dead("maxwell-json", '{"ts": ' + "9" * 5000 + "}").startswith("invalid JSON")


def test_line_numbers_count_blank_lines_and_stats_are_per_table() -> None:
    insert = {"type": "insert", "database": "d", "table": "t", "ts": 1, "data": {"id": 1}}
    out, stats = run("maxwell-json", insert, "", {**insert, "table": "u"})
    assert [c.line for c in out] == [1, 3]
    assert stats.by_table == {"t": 1, "u": 1}


# ---------------------------------------------------------------- Debezium

SOURCE = {"db": "inventory", "table": "products", "snapshot": "false"}


def dbz(op: str, before: Any = None, after: Any = None, **extra: Any) -> dict[str, Any]:
    return {"before": before, "after": after, "source": SOURCE, "op": op, "ts_ms": 7, **extra}


def test_debezium_kinds() -> None:
    row = {"id": 1}
    out, _ = run("debezium-json", dbz("c", after=row), dbz("r", after=row),
                 {"schema": {}, "payload": dbz("d", before=row)},
                 dbz("c", after=row) | {"source": {**SOURCE, "snapshot": "true"}})
    assert [c.kind for c in out] == [INSERT, SNAPSHOT, DELETE, INSERT]
    assert out[2].before == row and out[2].after is None and out[2].ts_ms == 7


def test_debezium_values_compare_exactly() -> None:
    before = {"a": 1, "b": 1, "c": 0.0, "d": {"x": [1, 2]}, "e": None, "gone": 1}
    after = {"a": 1.0, "b": True, "c": -0.0, "d": {"x": [1, 2]}, "e": None, "new": None}
    change = one("debezium-json", dbz("u", before, after))
    assert change.changed == {"a", "b", "c", "gone", "new"}


def test_debezium_deeply_nested_values_compare() -> None:
    nested = "[" * 400 + "]" * 400
    line = (f'{{"op": "u", "before": {{"a": {nested}}}, "after": {{"a": {nested}, "b": 1}}, '
            f'"source": {{"table": "t"}}}}')
    change = one("debezium-json", line)
    assert isinstance(change, Change) and change.changed == {"b"}


def test_debezium_update_without_before_is_counted_not_guessed() -> None:
    out, stats = run("debezium-json", dbz("u", None, {"id": 1}))
    assert out[0].kind == UPDATE and out[0].changed is None and stats.no_before_image == 1


@pytest.mark.parametrize("message, names", [
    ({"schema": {}}, "payload"),
    ({"schema": {}, "payload": None}, "payload"),
    ({"before": None, "after": {"id": 1}, "source": SOURCE}, "op"),
    (dbz("x", after={"id": 1}), "op"),
    (dbz("t"), "truncate"),
    (dbz("c"), "after"),
    (dbz("c", after=[1]), "after"),
    (dbz("u", before="x", after={"id": 1}), "before"),
    (dbz("d"), "REPLICA IDENTITY FULL"),
    (dbz("c", after={"id": 1}) | {"source": {"db": "x"}}, "source.table"),
    (dbz("c", after={"id": 1}) | {"source": None}, "source"),
    (dbz("c", after={"id": 1}) | {"ts_ms": "7"}, "ts_ms"),
    ({"schema": {}, "payload": dbz("q", after={"id": 1})}, "payload.op"),
])
def test_debezium_bad_messages(message: dict[str, Any], names: str) -> None:
    assert names in dead("debezium-json", message)


# ---------------------------------------------------------------- Canal

def canal(type_: str, data: Any, old: Any = None, **extra: Any) -> dict[str, Any]:
    return {"data": data, "old": old, "type": type_, "database": "db", "table": "t", "isDdl": False,
            "ts": 5, **extra}


def test_canal_ddl_is_skipped_and_counted() -> None:
    out, stats = run("canal-json", canal("CREATE", None, isDdl=True), canal("ALTER", None),
                     canal("QUERY", None), canal("INSERT", None, isDdl=True))
    assert out == [] and stats.skipped_ddl == 4 and stats.messages == 4


def test_canal_update_before_image_and_changed() -> None:
    change = one("canal-json", canal("UPDATE", [{"id": "1", "a": "x", "b": None}], [{"a": None, "b": None}]))
    assert change.before == {"id": "1", "a": None, "b": None}
    assert change.changed == {"a", "b"}          # b was NULL and still is: Canal says changed, we agree


def test_canal_update_without_old_is_counted_not_guessed() -> None:
    out, stats = run("canal-json", canal("UPDATE", [{"id": "1"}, {"id": "2"}]))
    assert [c.changed for c in out] == [None, None] and stats.no_before_image == 2


@pytest.mark.parametrize("message, names", [
    (canal("INSERT", None), "data"),
    (canal("DELETE", []), "data"),
    (canal("INSERT", {"id": "1"}), "data"),
    (canal("INSERT", [{"id": "1"}, "x"]), "data[1]"),
    (canal("UPDATE", [{"id": "1"}], [{"a": "1"}, {"a": "2"}]), "old"),
    (canal("UPDATE", [{"id": "1"}], [None]), "old[0]"),
    (canal("UPDATE", [{"id": "1"}], {"a": "1"}), "old"),
    (canal("UPSERT", [{"id": "1"}]), "UPSERT"),
    (canal("TRUNCATE", None, isDdl=True), "truncate"),
    ({"data": [{"id": "1"}], "table": "t"}, "type"),
    (canal("INSERT", [{"id": "1"}], table=None), "table"),
])
def test_canal_bad_messages(message: dict[str, Any], names: str) -> None:
    assert names in dead("canal-json", message)


# ---------------------------------------------------------------- Maxwell

def maxwell(type_: str, data: Any = None, **extra: Any) -> dict[str, Any]:
    return {"database": "db", "table": "t", "type": type_, "ts": 3, "data": data, **extra}


def test_maxwell_kinds_control_and_ddl() -> None:
    out, stats = run("maxwell-json", maxwell("bootstrap-start"), maxwell("bootstrap-insert", {"id": 1}),
                     maxwell("bootstrap-complete"), maxwell("table-create", None, sql="create table t"),
                     maxwell("database-drop"), maxwell("delete", {"id": 1}))
    assert [(c.kind, c.line, c.ts_ms) for c in out] == [(SNAPSHOT, 2, 3000), (DELETE, 6, 3000)]
    assert stats.skipped_empty == 2 and stats.skipped_ddl == 2


def test_maxwell_update() -> None:
    out, stats = run("maxwell-json", maxwell("update", {"id": 1, "a": 2}, old={"a": None}),
                     maxwell("update", {"id": 1, "a": 2}))
    assert out[0].before == {"id": 1, "a": None} and out[0].changed == {"a"}
    assert out[1].changed is None and stats.no_before_image == 1


@pytest.mark.parametrize("message, names", [
    (maxwell("insert"), "data"),
    (maxwell("insert", [1]), "data"),
    (maxwell("update", {"id": 1}, old=[1]), "old"),
    (maxwell("upsert", {"id": 1}), "upsert"),
    (maxwell("insert", {"id": 1}, ts=1.5), "ts"),
    (maxwell("insert", {"id": 1}, table=""), "table"),
])
def test_maxwell_bad_messages(message: dict[str, Any], names: str) -> None:
    assert names in dead("maxwell-json", message)


# ---------------------------------------------------------------- OGG

def ogg(op: str, before: Any = None, after: Any = None, table: str = "S.T", **extra: Any) -> dict[str, Any]:
    message = {"table": table, "op_type": op, "op_ts": "1970-01-01 00:00:01.500000", **extra}
    if before is not None:
        message["before"] = before
    if after is not None:
        message["after"] = after
    return message


def test_ogg_table_names_and_timestamps() -> None:
    out, _ = run("ogg-json", ogg("I", after={"id": 1}, table="T"),
                 ogg("I", after={"id": 1}, table="PDB.S.T", op_ts="1970-01-01T08:00:00+08:00"),
                 ogg("I", after={"id": 1}, op_ts=None))
    assert [(c.database, c.table, c.ts_ms) for c in out] == [
        (None, "T", 1500), ("PDB.S", "T", 0), ("S", "T", None)]


def test_ogg_update_without_before_is_counted_not_guessed() -> None:
    out, stats = run("ogg-json", ogg("U", after={"id": 1}))
    assert out[0].changed is None and stats.no_before_image == 1


@pytest.mark.parametrize("message, names", [
    (ogg("T"), "truncate"),
    (ogg("X", after={"id": 1}), "op_type"),
    (ogg("D", after={"id": 1}), "before"),
    (ogg("I"), "after"),
    (ogg("I", after={"id": 1}, table="S."), "table"),
    (ogg("I", after={"id": 1}, op_ts="yesterday"), "op_ts"),
    ({"op_type": "I", "after": {"id": 1}}, "table"),
])
def test_ogg_bad_messages(message: dict[str, Any], names: str) -> None:
    assert names in dead("ogg-json", message)


# ---------------------------------------------------------------- changelog

def cl(kind: str, row: Any = None, table: str = "t", **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "table": table, "row": {"id": 1} if row is None else row, **extra}


def test_changelog_pair_becomes_one_update() -> None:
    out, stats = run("changelog-json", cl("+I"), cl("-U", {"id": 1, "a": 1}), "",
                     cl("+U", {"id": 1, "a": 2}, ts_ms=9), cl("-D"))
    assert [c.kind for c in out] == [INSERT, UPDATE, DELETE]
    update = out[1]
    assert (update.before, update.after, update.changed, update.line, update.ts_ms) == (
        {"id": 1, "a": 1}, {"id": 1, "a": 2}, {"a"}, 2, 9)
    assert stats.no_before_image == 0 and stats.messages == 4 and stats.changes == 3


def test_changelog_lone_plus_u_is_counted_not_guessed() -> None:
    out, stats = run("changelog-json", cl("+U"))
    assert out[0].kind == UPDATE and out[0].changed is None and stats.no_before_image == 1


@pytest.mark.parametrize("follower, kinds", [
    (cl("+I"), [INSERT]),
    (cl("+U", table="other"), [UPDATE]),
    (cl("-U"), []),
    ("{broken", []),
])
def test_changelog_minus_u_not_followed_by_its_plus_u(follower: Any, kinds: list[str]) -> None:
    out, stats = run("changelog-json", cl("-U"), follower)
    assert isinstance(out[0], DeadLetter) and out[0].line == 1 and "+U" in out[0].reason
    assert [c.kind for c in out if isinstance(c, Change)] == kinds
    assert stats.dead_letter == 1 + (len(kinds) == 0)
    assert [o.line for o in out] == sorted(o.line for o in out)


def test_changelog_minus_u_at_the_end_is_a_dead_letter() -> None:
    out, stats = run("changelog-json", cl("+I"), cl("-U"))
    assert isinstance(out[1], DeadLetter) and out[1].line == 2 and stats.dead_letter == 1


@pytest.mark.parametrize("message, names", [
    ({"table": "t", "row": {}}, "kind"),
    (cl("+X"), "+X"),
    (cl("+I", row=[1]), "row"),
    ({"kind": "+I", "row": {}}, "table"),
    (cl("+I", database=1), "database"),
])
def test_changelog_bad_messages(message: dict[str, Any], names: str) -> None:
    assert names in dead("changelog-json", message)
