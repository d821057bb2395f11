"""Typed sources: type names, and decoded rows coerced to them per format (pruner.cdc.types).

The rules under test: text formats (Canal, wal2json) read strings by the declared type and
convert numbers only exactly; JSON formats (Debezium, Maxwell, OGG, changelog) need the
declared JSON type; NULL stays None; nothing is rounded; a value that does not fit is a
dead letter naming the table, the field, the type and the value.
"""
from __future__ import annotations

import base64
import json
import math
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pruner.cdc import FORMATS, BadMessage, Change, DeadLetter, DecodeStats, decode
from pruner.cdc.types import TEXT_FORMATS, ColumnType, coerce, parse_type

SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "cdc"
JSON_FORMATS = tuple(f for f in FORMATS if f not in TEXT_FORMATS)


def types(**spelled: str) -> dict[str, dict[str, ColumnType]]:
    return {"items": {name: parse_type(text) for name, text in spelled.items()}}


def canal(type_: str, *rows: dict, old: list[dict] | None = None) -> str:
    return json.dumps({"data": list(rows), "old": old, "type": type_, "database": "shop", "table": "items",
                       "isDdl": False, "ts": 1})


def debezium(op: str, before: dict | None, after: dict | None) -> str:
    return json.dumps({"before": before, "after": after, "op": op, "source": {"table": "items", "db": "shop"}})


def decoded(lines: list[str], fmt: str, spelled: dict[str, str]) -> list[Change | DeadLetter]:
    return list(decode(lines, fmt, DecodeStats(), types(**spelled)))


def only(lines: list[str], fmt: str, spelled: dict[str, str]) -> Change:
    out = decoded(lines, fmt, spelled)
    assert len(out) == 1 and isinstance(out[0], Change), out
    return out[0]


def reason(lines: list[str], fmt: str, spelled: dict[str, str]) -> str:
    out = decoded(lines, fmt, spelled)
    assert len(out) == 1 and isinstance(out[0], DeadLetter), out
    return out[0].reason


def change(fmt: str, row: dict[str, Any], table: str = "items") -> Change:
    return Change("insert", table, None, row, None, 1)


def value(fmt: str, spelled: str, raw: Any) -> Any:
    """One value coerced in `fmt` to the type `spelled`, through ``coerce``."""
    return coerce(change(fmt, {"v": raw}), {"v": parse_type(spelled)}, fmt).after["v"]


def refused(fmt: str, spelled: str, raw: Any) -> str:
    with pytest.raises(BadMessage) as caught:
        value(fmt, spelled, raw)
    return caught.value.reason


# ---------------------------------------------------------------------- type names
@pytest.mark.parametrize("text, kind, extra", [
    ("bigint", "int", {"low": -2 ** 63, "high": 2 ** 63 - 1}),
    ("BIGINT UNSIGNED", "int", {"low": 0, "high": 2 ** 64 - 1}),
    ("tinyint", "int", {"low": -128, "high": 127}),
    ("smallint", "int", {"low": -32768, "high": 32767}),
    ("int(11)", "int", {"low": -2 ** 31, "high": 2 ** 31 - 1}),      # MySQL's display width
    ("integer", "int", {}),
    ("decimal(12,2)", "decimal", {"precision": 12, "scale": 2}),
    ("numeric(5)", "decimal", {"precision": 5, "scale": 0}),
    ("decimal", "decimal", {"precision": None, "scale": None}),
    ("double", "double", {}), ("float", "double", {}), ("string", "string", {}), ("text", "string", {}),
    ("bool", "bool", {}), ("boolean", "bool", {}), ("timestamp", "timestamp", {}), ("date", "date", {}),
    ("json", "json", {}), ("bytes", "bytes", {}),
])
def test_type_names(text: str, kind: str, extra: dict) -> None:
    column = parse_type(text)
    assert column.kind == kind and column.spelled == text
    for name, expected in extra.items():
        assert getattr(column, name) == expected


@pytest.mark.parametrize("text, says", [
    ("varchar", "unknown type 'varchar'"), ("decimal(12", 'write "decimal(12,2)" in quotes'),
    ("decimal(3,5)", "cannot exceed the precision"), ("decimal(0,0)", "precision must be 1"),
    ("string unsigned", "only integer types"), ("bool(1)", "takes no"), ("int(3,1)", "no scale"),
    (12, "expected a type name"), (None, "expected a type name"),
])
def test_bad_type_names_say_what_is_accepted(text: Any, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        parse_type(text)


# ---------------------------------------------------------------------- Canal: every value a string
def test_canal_strings_become_the_declared_types() -> None:
    row = {"id": "18", "price": "12.5", "weight": "3.14", "title": "t", "active": "1", "deleted": "false",
           "created_at": "2020-05-13 17:26:27.5", "day": "2020-05-13", "attrs": '{"k": [1, 2.5]}',
           "raw": "\x00\xff", "note": "kept as sent"}
    got = only([canal("INSERT", row)], "canal-json", dict(
        id="bigint", price="decimal(12,2)", weight="double", title="string", active="bool", deleted="bool",
        created_at="timestamp", day="date", attrs="json", raw="bytes"))
    assert got.after == {"id": 18, "price": Decimal("12.50"), "weight": 3.14, "title": "t", "active": True,
                         "deleted": False, "created_at": datetime(2020, 5, 13, 17, 26, 27, 500000),
                         "day": date(2020, 5, 13), "attrs": {"k": [1, 2.5]}, "raw": b"\x00\xff",
                         "note": "kept as sent"}
    assert str(got.after["price"]) == "12.50" and type(got.after["active"]) is bool


def test_canal_update_coerces_the_before_image_and_keeps_the_changed_fields() -> None:
    got = only([canal("UPDATE", {"id": "18", "price": "13.00", "qty": "5"}, old=[{"price": "12.5"}])],
               "canal-json", dict(id="bigint", price="decimal(12,2)", qty="int"))
    assert got.before == {"id": 18, "price": Decimal("12.50"), "qty": 5}
    assert got.after == {"id": 18, "price": Decimal("13.00"), "qty": 5}
    assert got.changed == frozenset({"price"})


def test_canal_a_wrong_value_in_any_row_makes_the_message_a_dead_letter() -> None:
    message = canal("INSERT", {"id": "18"}, {"id": "eighteen"})
    assert reason([message], "canal-json", dict(id="bigint")) == \
        "table 'items', field 'id': expected bigint, got the string 'eighteen'"


def test_canal_fixture_reads_typed() -> None:
    path = SHARED / "canal" / "canal-data.txt"
    if not path.exists():
        pytest.skip("the shared CDC fixtures are not here")
    lines = path.read_text().splitlines()
    out = list(decode(lines, "canal-json", DecodeStats(),
                      {"products2": {"id": parse_type("int"), "weight": parse_type("double"),
                                     "name": parse_type("string")}}))
    assert out and all(isinstance(c, Change) for c in out)
    first = out[0].after
    assert first["id"] == 101 and first["weight"] == 3.14 and first["description"] == "Small 2-wheel scooter"
    assert {type(c.row["id"]) for c in out} == {int}


@pytest.mark.parametrize("text, expected", [("1", True), ("0", False), ("true", True), ("FALSE", False)])
def test_canal_bools_as_mysql_tinyint_and_bit(text: str, expected: bool) -> None:
    assert value("canal-json", "bool", text) is expected


@pytest.mark.parametrize("spelled, raw", [
    ("bool", "2"), ("bool", "yes"), ("bigint", "18.5"), ("bigint", "1e3x"), ("bigint", " 18"),
    ("int", "1_000"), ("tinyint", "128"), ("bigint unsigned", "-1"), ("decimal(4,2)", "123.4"),
    ("decimal(12,2)", "1.005"), ("decimal(12,2)", "NaN"), ("double", "nan"), ("timestamp", "0000-00-00 00:00:00"),
    ("timestamp", "2020-05-13 17:26:27.1234567"), ("date", "2020-05-13 00:00:00"), ("json", "{bad"),
    ("bytes", "\u20ac"), ("string", 18),
])
def test_canal_values_that_do_not_fit_are_refused(spelled: str, raw: Any) -> None:
    message = refused("canal-json", spelled, raw)
    assert message.startswith(f"table 'items', field 'v': expected {spelled}")


def test_text_formats_convert_numbers_only_exactly() -> None:
    assert value("canal-json", "bigint", "18.00") == 18
    assert value("wal2json", "bigint", Decimal("18.00")) == 18
    assert "a whole number" in refused("wal2json", "bigint", Decimal("18.5"))
    assert value("canal-json", "timestamp", "2020-05-13 17:26:27.123456000") == \
        datetime(2020, 5, 13, 17, 26, 27, 123456)


# ---------------------------------------------------------------------- wal2json
def test_wal2json_numbers_are_exact_and_text_is_read() -> None:
    line = json.dumps({"action": "I", "schema": "public", "table": "items", "columns": [
        {"name": "id", "type": "integer", "value": 1},
        {"name": "n", "type": "numeric(30,10)", "value": 0},
        {"name": "f8", "type": "double precision", "value": 0},
        {"name": "ts", "type": "timestamp with time zone", "value": "2024-05-06 05:08:09.123456+00"},
        {"name": "j", "type": "jsonb", "value": '{"k": [1, 2.50]}'},
        {"name": "flag", "type": "boolean", "value": True},
        {"name": "blob", "type": "bytea", "value": "\\x00ff"},
        {"name": "blob2", "type": "bytea", "value": "0aFF"}]})      # as wal2json 2.5 sends bytea
    line = line.replace('"numeric(30,10)", "value": 0', '"numeric(30,10)", "value": 12345678901234567890.1234567891')
    line = line.replace('"double precision", "value": 0', '"double precision", "value": 0.1')
    got = only([line], "wal2json", dict(id="int", n="decimal(30,10)", f8="double", ts="timestamp", j="json",
                                        flag="bool", blob="bytes", blob2="bytes"))
    assert got.after == {"id": 1, "n": Decimal("12345678901234567890.1234567891"), "f8": 0.1,
                         "ts": datetime(2024, 5, 6, 5, 8, 9, 123456, tzinfo=timezone.utc),
                         "j": {"k": [1, Decimal("2.50")]}, "flag": True, "blob": b"\x00\xff", "blob2": b"\n\xff"}


def test_wal2json_fixture_reads_typed() -> None:
    path = Path(__file__).parent / "fixtures" / "wal2json" / "postgres15-samples.txt"
    columns = {name: parse_type(text) for name, text in dict(
        id="int", a="string", b="int", big="string", n="decimal(30,10)", flag="bool", ts="timestamp",
        tsn="timestamp", j="json", f8="double", nul="string").items()}
    out = list(decode(path.read_text().splitlines(), "wal2json", DecodeStats(),
                      {"t_default": columns, "t_full": columns}))
    assert not [d for d in out if isinstance(d, DeadLetter)]
    rows = [c.after for c in out if isinstance(c, Change) and c.after is not None and "ts" in c.after]
    assert rows and all(isinstance(r["ts"], (datetime, type(None))) for r in rows)
    assert any(r["n"] == Decimal("12345678901234567890.1234567891") for r in rows)


# ---------------------------------------------------------------------- JSON formats
def test_debezium_string_for_a_bigint_key_is_a_dead_letter() -> None:
    spelled = dict(id="bigint", price="decimal(12,2)")
    assert only([debezium("c", None, {"id": 18, "price": 12.5})], "debezium-json", spelled).after == \
        {"id": 18, "price": Decimal("12.50")}
    assert reason([debezium("c", None, {"id": "18", "price": 12.5})], "debezium-json", spelled) == \
        "table 'items', field 'id': expected bigint, got the string '18'"


@pytest.mark.parametrize("fmt", JSON_FORMATS)
@pytest.mark.parametrize("spelled, raw", [
    ("bigint", "18"), ("bigint", 18.0), ("bigint", True), ("int", 2 ** 31), ("double", "3.14"),
    ("double", 2 ** 53 + 1), ("bool", 1), ("bool", "true"), ("string", 18), ("timestamp", 1589373515000),
    ("date", 18395), ("decimal(12,2)", "BNI="), ("decimal(12,2)", True), ("bytes", "not base64!"),
])
def test_json_formats_need_the_declared_json_type(fmt: str, spelled: str, raw: Any) -> None:
    assert f"expected {spelled}" in refused(fmt, spelled, raw)


@pytest.mark.parametrize("fmt", JSON_FORMATS)
def test_json_formats_values_that_fit(fmt: str) -> None:
    assert value(fmt, "bigint", 18) == 18
    assert value(fmt, "double", 1) == 1.0 and type(value(fmt, "double", 1)) is float   # OGG's weight: 1
    assert value(fmt, "decimal(12,2)", 12.5) == Decimal("12.50")
    assert value(fmt, "decimal(12,2)", "12.5") == Decimal("12.50")      # decimal.handling.mode=string
    assert value(fmt, "bool", False) is False
    assert value(fmt, "timestamp", "2020-05-13 15:40:06.000000") == datetime(2020, 5, 13, 15, 40, 6)
    assert value(fmt, "date", "2020-05-13") == date(2020, 5, 13)
    assert value(fmt, "json", '{"a": 1}') == '{"a": 1}'                 # kept as sent
    assert value(fmt, "json", {"a": [1.5]}) == {"a": [1.5]}
    assert value(fmt, "bytes", "AP8=") == b"\x00\xff"


@pytest.mark.parametrize("fmt", FORMATS)
def test_null_stays_none_for_every_type(fmt: str) -> None:
    for spelled in ("bigint", "decimal(12,2)", "double", "string", "bool", "timestamp", "date", "json", "bytes"):
        assert value(fmt, spelled, None) is None


def test_decimals_are_exact_through_a_json_format() -> None:
    """A decimal(30,10) read from Debezium JSON never passes through a float."""
    line = '{"op": "c", "source": {"table": "items"}, "before": null, ' \
           '"after": {"id": 1, "n": 12345678901234567890.1234567891, "f": 0.1, "x": {"y": [1.5]}}}'
    got = only([line], "debezium-json", dict(id="bigint", n="decimal(30,10)"))
    assert got.after["n"] == Decimal("12345678901234567890.1234567891")
    assert got.after["f"] == 0.1 and type(got.after["f"]) is float       # untyped: as without types
    assert got.after["x"] == {"y": [1.5]} and type(got.after["x"]["y"][0]) is float
    assert "at most 2 places" in reason([line.replace("0.1234567891", "0.123")], "debezium-json",
                                        dict(n="decimal(30,2)"))


def test_untyped_fields_and_tables_read_as_without_types() -> None:
    lines = [debezium("c", None, {"id": 1, "w": 3.140000104904175, "neg": -0.0, "s": "18"}),
             '{"op": "c", "source": {"table": "other"}, "before": null, "after": {"v": 1e400}}']
    untyped = list(decode(lines, "debezium-json"))
    typed = list(decode(lines, "debezium-json", DecodeStats(), types(id="bigint")))
    assert [getattr(c, "after", None) for c in typed] == [getattr(c, "after", None) for c in untyped]
    assert repr(typed[0].after["neg"]) == "-0.0"
    assert "beyond the range of a double" in typed[1].reason and "beyond the range of a double" in untyped[1].reason


def test_a_debezium_update_whose_values_differ_only_in_sign_of_zero_is_changed() -> None:
    got = only([debezium("u", {"id": 1, "w": 0.0}, {"id": 1, "w": -0.0})], "debezium-json", dict(id="bigint"))
    assert got.changed == frozenset({"w"})


def test_changelog_pairs_coerced_rows() -> None:
    lines = [json.dumps({"kind": "-U", "table": "items", "row": {"id": 1, "p": 12.5}}),
             json.dumps({"kind": "+U", "table": "items", "row": {"id": 1, "p": 12.50}})]
    got = only(lines, "changelog-json", dict(id="bigint", p="decimal(12,2)"))
    assert got.before == got.after == {"id": 1, "p": Decimal("12.50")} and got.changed == frozenset()
    bad = [lines[0].replace('"id": 1', '"id": "1"'), lines[1]]
    out = decoded(bad, "changelog-json", dict(id="bigint"))
    assert isinstance(out[0], DeadLetter) and "expected bigint, got the string '1'" in out[0].reason


def test_the_dead_letter_keeps_the_raw_line() -> None:
    line = debezium("c", None, {"id": "18"})
    out = decoded([line], "debezium-json", dict(id="bigint"))
    assert out == [DeadLetter(1, "table 'items', field 'id': expected bigint, got the string '18'", line)]


# ---------------------------------------------------------------------- the property
_SPELLED = st.sampled_from(["tinyint", "smallint", "int", "bigint", "bigint unsigned", "decimal", "decimal(5,2)",
                            "decimal(30,10)", "double", "string", "bool", "timestamp", "date", "json", "bytes"])
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(-10 ** 40, 10 ** 40)
    | st.floats() | st.decimals(allow_nan=False) | st.just(Decimal("NaN")) | st.text(max_size=12)
    | st.from_regex(r"[+-]?[0-9]{1,25}(\.[0-9]{0,12})?([eE][+-]?[0-9]{1,4})?", fullmatch=True)
    | st.sampled_from(["1", "0", "true", "false", "NaN", "Infinity", "\\x00ff", "AP8=", "2020-05-13",
                       "2020-05-13 17:26:27.1234567", "2020-05-13T17:26:27+02:00", "0000-00-00", "{}", "[1]"])
    | st.datetimes().map(lambda d: d.isoformat(sep=" ")) | st.dates().map(date.isoformat),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=5)


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                     max_leaves=4)


def _fitting(column: ColumnType) -> st.SearchStrategy:
    """Values made to fit `column` in some format (or nearly: the edges of each type)."""
    kind = column.kind
    if kind == "int":
        numbers = st.integers(column.low - 2, column.high + 2)
        return numbers | numbers.map(str) | numbers.map(lambda n: Decimal(n) / 100 * 100)
    if kind == "decimal":
        numbers = st.decimals(allow_nan=False, places=2)
        return numbers | numbers.map(str) | st.floats(allow_nan=False, allow_infinity=False)
    if kind == "double":
        return st.floats() | st.floats().map(repr) | st.integers() | st.decimals(allow_nan=False)
    if kind == "string":
        return st.text(max_size=8)
    if kind == "bool":
        return st.booleans() | st.sampled_from(["1", "0", "true", "FALSE", "2"])
    if kind == "timestamp":
        return st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat(sep=" "))
    if kind == "date":
        return st.dates().map(date.isoformat)
    if kind == "json":
        return _JSON | _JSON.map(json.dumps)
    raws = st.binary(max_size=8)
    return (raws.map(lambda b: base64.b64encode(b).decode()) | raws.map(lambda b: b.decode("latin-1"))
            | raws.map(lambda b: "\\x" + b.hex()))


@settings(max_examples=500)
@given(fmt=st.sampled_from(FORMATS), columns=st.dictionaries(st.sampled_from("abcdef"), _SPELLED, max_size=6),
       data=st.data())
def test_coercion_gives_the_declared_type_or_bad_message(fmt: str, columns: dict[str, str], data) -> None:
    typed = {name: parse_type(text) for name, text in columns.items()}
    row = data.draw(st.dictionaries(st.sampled_from("abcdefg"), _VALUES, max_size=3), label="untyped")
    for name, column in typed.items():
        row[name] = data.draw(_VALUES | _fitting(column), label=name)
    try:
        got = coerce(Change("update", "t", row, row, frozenset(), 1), typed, fmt)
    except BadMessage as bad:
        assert bad.reason.startswith("table 't', field ")
        return
    for image in (got.before, got.after):
        assert image.keys() == row.keys()
        for name, v in image.items():
            column = typed.get(name)
            if v is None or column is None:
                continue
            assert isinstance(v, column.python), (name, column, v)
            if column.kind == "int":
                assert type(v) is int and column.low <= v <= column.high
            if column.kind == "decimal" and column.scale is not None:
                assert v.is_finite() and -v.as_tuple().exponent == column.scale
            if column.kind == "timestamp":
                assert isinstance(v, datetime)
            if column.kind == "date":
                assert type(v) is date


@settings(max_examples=200)
@given(number=st.decimals(allow_nan=False, allow_infinity=False, places=2,
                          min_value=Decimal("-9999999999.99"), max_value=Decimal("9999999999.99")),
       fmt=st.sampled_from(FORMATS))
def test_decimals_in_range_come_back_exact_in_every_format(number: Decimal, fmt: str) -> None:
    raw = str(number) if fmt == "canal-json" else number
    assert value(fmt, "decimal(12,2)", raw) == number


def test_timestamps_keep_their_offset() -> None:
    got = value("maxwell-json", "timestamp", "2020-05-13T17:26:27+02:00")
    assert got.utcoffset() == timedelta(hours=2)


_HUGE = "1e2345678901234567890123"          # an exponent beyond what a Decimal holds


@pytest.mark.parametrize("fmt, types, line", [
    ("wal2json", None, '{"action":"I","table":"items","columns":[{"name":"id","value":1},'
                       '{"name":"a","value":%s}]}' % _HUGE),
    ("canal-json", {"items": {"id": "bigint", "p": "decimal"}},
     json.dumps({"type": "INSERT", "table": "items", "data": [{"id": "1", "p": _HUGE}]})),
    ("canal-json", {"items": {"id": "bigint", "p": "int"}},
     json.dumps({"type": "INSERT", "table": "items", "data": [{"id": "1", "p": _HUGE}]})),
    ("canal-json", {"items": {"id": "bigint", "p": "double"}},
     json.dumps({"type": "INSERT", "table": "items", "data": [{"id": "1", "p": "1e400"}]})),
    ("debezium-json", {"items": {"id": "bigint", "p": "decimal"}},
     json.dumps({"op": "c", "after": {"id": 1, "p": _HUGE}, "source": {"table": "items"}})),
    ("debezium-json", {"items": {"id": "bigint"}},           # a typed job: numbers are read exactly
     '{"op":"c","after":{"id":1,"q":%s},"source":{"table":"other"}}' % _HUGE),
    ("wal2json", {"items": {"id": "bigint", "p": "json"}},
     json.dumps({"action": "I", "table": "items", "columns": [{"name": "id", "value": 1},
                                                              {"name": "p", "value": "[%s]" % _HUGE}]})),
    ("canal-json", {"items": {"id": "bigint", "p": "json"}},
     json.dumps({"type": "INSERT", "table": "items", "data": [{"id": "1", "p": '{"x": NaN}'}]})),
    ("canal-json", {"items": {"id": "bigint", "p": "json"}},
     json.dumps({"type": "INSERT", "table": "items", "data": [{"id": "1", "p": '{"x": 1e400}'}]})),
    ("canal-json", {"items": {"id": "bigint", "p": "json"}},
     json.dumps({"type": "INSERT", "table": "items", "data": [{"id": "1", "p": '{"x": "\\ud800"}'}]})),
])
def test_numbers_and_json_text_no_value_can_hold_are_dead_letters(fmt: str, types, line: str) -> None:
    """Found by the fourth adversary round: a huge exponent raised decimal.InvalidOperation out of
    decode (the whole run stopped), and a typed json column's text took NaN, 1e400 and lone
    surrogates (the run failed at the end, writing the sink)."""
    parsed = {table: {f: parse_type(t) for f, t in fields.items()} for table, fields in (types or {}).items()}
    found = list(decode([line, line.replace('"1"', '"2"')], fmt, None, parsed or None))
    assert found and all(isinstance(item, DeadLetter) for item in found), found
