"""Typed columns of the Flink SQL UDTF (``PrunedUDTF``).

A job whose sources and sink declare types: the UDTF's inputs arrive as Flink's values of
those types (DECIMAL, INT, TIMESTAMP, JSON text for json), its outputs leave typed by the
sink's types (an output named like a typed source field takes that field's type), untyped
outputs stay JSON text. Checked against the step's Processors run on the same rows, in a
real Flink SQL query and without a cluster; a value that does not fit its type fails with
the step, the output and the value.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from plugin_sdk import flink

from .test_flink import _Context

PROCESSORS = '''
from plugin_sdk import UDTF, Processor


class Money(Processor):
    def process(self, row, out):
        out["total"] = row["price"] * 2                 # a Decimal, from a decimal source


class Cat(Processor):
    def process(self, row, out):
        out["cat"] = row["cat_id"] + 1                  # an int, from a renamed int source


class Day(Processor):
    def process(self, row, out):
        out["day"] = row["created"].date()
        out["seen"] = row["created"] + DELAY


class Label(Processor):
    def process(self, row, out):
        out["label"] = f"{row['title']}/{len(row['tags'])}"
        out["meta"] = {"tags": row["tags"], "n": len(row["tags"])}      # untyped: JSON text
        out["title"] = row["title"].upper()              # a typed source field, rewritten


class Wrong(Processor):
    def process(self, row, out):
        out["count"] = "many" if row["title"].lower() == "bad" else 3


class U(UDTF):
    processors = [Money, Cat, Day, Label, Wrong]
'''

SPEC = '''name: typed
plugins: [plugins]
sources:
  items:
    primary_key: [id]
    fields: [id, title, price, category_id, created, tags]
    types:
      id: bigint
      title: string
      price: decimal(10,2)
      category_id: int
      created: timestamp
      tags: json
pipeline:
  - rename: R
    fields: {category_id: cat_id}
  - udtf: U
    class: p.U
sink:
  name: s
  primary_key: [id]
  fields: [id, title, total, cat, day, seen, label, meta, count]
  types:
    id: bigint
    total: decimal(12,2)
    cat: bigint
    day: date
    seen: timestamp
    count: smallint
'''

COLUMNS = ("id", "title", "price", "cat_id", "created", "tags")       # as U sees them (after R)


@pytest.fixture(scope="module")
def typed_job(tmp_path_factory):
    from pruner.compiler import build
    from pruner.planfile import write_plan

    folder = tmp_path_factory.mktemp("typed")
    (folder / "job/plugins").mkdir(parents=True)
    (folder / "job/plugins/p.py").write_text(
        "from datetime import timedelta\nDELAY = timedelta(seconds=90)\n" + PROCESSORS, encoding="utf-8")
    (folder / "job/job.yaml").write_text(SPEC, encoding="utf-8")
    write_plan(build(folder / "job/job.yaml").plan, folder / "typed.plan")
    return flink.FlinkJob.load(folder / "job/job.yaml", folder / "typed.plan")


def _rows():
    base = datetime(2026, 3, 4, 23, 59, 30)
    return [(i, f"item{i}", Decimal(f"{i}.25"), 10 + i, base + timedelta(hours=i), json.dumps(["a"] * i))
            for i in range(1, 6)]


def _expected(row: tuple) -> dict:
    i, title, price, cat, created, tags = row
    n = len(json.loads(tags))
    return {"total": price * 2, "cat": cat + 1, "day": created.date(), "seen": created + timedelta(seconds=90),
            "label": f"{title}/{n}", "meta": {"tags": json.loads(tags), "n": n}, "title": title.upper(),
            "count": 3}


def test_output_columns_take_the_sink_types_then_the_source_types(typed_job) -> None:
    from pyflink.table import DataTypes
    columns = dict(flink.PrunedUDTF.output_columns(typed_job, "U"))
    assert {name: (c.spelled if c else None) for name, c in columns.items()} == {
        "total": "decimal(12,2)", "cat": "bigint", "day": "date", "seen": "timestamp", "label": None,
        "meta": None, "title": "string", "count": "smallint"}
    types = dict(zip(["_set", *columns], flink.PrunedUDTF.result_types(typed_job, "U")))
    assert types["_set"] == DataTypes.STRING() and types["label"] == DataTypes.STRING()
    assert types["total"] == DataTypes.DECIMAL(12, 2) and types["cat"] == DataTypes.BIGINT()
    assert types["day"] == DataTypes.DATE() and types["seen"] == DataTypes.TIMESTAMP(6)
    assert types["count"] == DataTypes.SMALLINT() and types["title"] == DataTypes.STRING()


def test_typed_values_in_and_out_without_a_cluster(typed_job) -> None:
    function = flink.PrunedUDTF(typed_job, "U", COLUMNS)
    function.open(_Context())
    for row in _rows():
        (got,) = function.eval("+I", "*", *row)
        assert got[0].split(",") == list(function.outputs)
        out = dict(zip(function.outputs, got[1:]))
        expected = _expected(row)
        assert json.loads(out.pop("label")) == expected.pop("label")           # untyped: JSON text
        assert json.loads(out.pop("meta")) == expected.pop("meta")
        assert out == expected
        assert type(out["total"]) is Decimal and out["total"].as_tuple().exponent == -2
        assert type(out["day"]) is date and type(out["cat"]) is int


def test_a_value_that_does_not_fit_its_type_fails_clearly(typed_job) -> None:
    function = flink.PrunedUDTF(typed_job, "U", COLUMNS)
    function.open(_Context())
    row = list(_rows()[0])
    row[1] = "bad"
    with pytest.raises(ValueError, match=r"step 'U', output 'count': expected smallint, got the string 'many'"):
        list(function.eval("+I", "*", *row))
    row = list(_rows()[0])
    row[2] = Decimal("1.234")                 # more places than decimal(10,2): refused, not rounded
    with pytest.raises(ValueError, match=r"input column 'price': expected decimal\(10,2\)"):
        list(function.eval("+I", "*", *row))


def test_timestamps_with_an_offset_leave_as_utc() -> None:
    from pruner.cdc.types import parse_type

    class _Step:
        step = "U"
    aware = datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert flink.PrunedUDTF._output(_Step(), "seen", parse_type("timestamp"), aware) == datetime(2025, 12, 31, 23, 30)
    assert flink.PrunedUDTF._output(_Step(), "n", parse_type("bigint unsigned"), 2 ** 64 - 1) == Decimal(2 ** 64 - 1)


def test_flink_types_of_every_declared_type() -> None:
    from pyflink.table import DataTypes

    from pruner.cdc.types import parse_type
    expected = {"tinyint": DataTypes.TINYINT(), "tinyint unsigned": DataTypes.SMALLINT(),
                "smallint": DataTypes.SMALLINT(), "int": DataTypes.INT(), "int unsigned": DataTypes.BIGINT(),
                "bigint": DataTypes.BIGINT(), "bigint unsigned": DataTypes.DECIMAL(20, 0),
                "decimal(7,3)": DataTypes.DECIMAL(7, 3), "double": DataTypes.DOUBLE(),
                "string": DataTypes.STRING(), "bool": DataTypes.BOOLEAN(), "timestamp": DataTypes.TIMESTAMP(6),
                "date": DataTypes.DATE(), "bytes": DataTypes.BYTES(), "json": DataTypes.STRING()}
    for text, flink_type in expected.items():
        assert flink.flink_type(parse_type(text)) == flink_type, text
    assert flink.flink_type(None) == DataTypes.STRING()
    for text in ("decimal", "decimal(40,2)"):
        with pytest.raises(ValueError, match="at most 38"):
            flink.flink_type(parse_type(text), "output 'x'")


def test_the_typed_udtf_in_a_flink_sql_query(flink_env, typed_job) -> None:
    """The columns as Flink SQL sees them: typed in, typed out, equal to the Processors' values."""
    from pyflink.table import DataTypes, StreamTableEnvironment
    from pyflink.table.udf import udtf

    env, _ = flink_env
    t_env = StreamTableEnvironment.create(env)
    schema = DataTypes.ROW([DataTypes.FIELD("_op", DataTypes.STRING()), DataTypes.FIELD("_changed", DataTypes.STRING()),
                            DataTypes.FIELD("id", DataTypes.BIGINT()), DataTypes.FIELD("title", DataTypes.STRING()),
                            DataTypes.FIELD("price", DataTypes.DECIMAL(10, 2)),
                            DataTypes.FIELD("category_id", DataTypes.INT()),
                            DataTypes.FIELD("created", DataTypes.TIMESTAMP(3)),
                            DataTypes.FIELD("tags", DataTypes.STRING())])
    rows = _rows()
    t_env.create_temporary_view("typed_items", t_env.from_elements([("+I", "*", *r) for r in rows], schema))
    outputs = flink.PrunedUDTF.outputs_of(typed_job, "U")
    function = udtf(flink.PrunedUDTF(typed_job, "U", COLUMNS),
                    result_types=flink.PrunedUDTF.result_types(typed_job, "U"))
    t_env.create_temporary_system_function("pruner_typed", function)
    inputs = ", ".join(f"s.{c}" for c in ("_op", "_changed", "id", "title", "price", "category_id", "created", "tags"))
    table = t_env.sql_query(f"SELECT s.id, t.* FROM typed_items AS s, LATERAL TABLE(pruner_typed({inputs})) "
                            f"AS t(_set, {', '.join(f'`{o}`' for o in outputs)})")
    got = {}
    with table.execute().collect() as results:
        for row in results:
            got[row[0]] = dict(zip(outputs, row[2:]))
    assert sorted(got) == [r[0] for r in rows]
    for row in rows:
        out, expected = got[row[0]], _expected(row)
        assert json.loads(out.pop("label")) == expected.pop("label")
        assert json.loads(out.pop("meta")) == expected.pop("meta")
        assert out == expected, row
        assert isinstance(out["total"], Decimal) and isinstance(out["seen"], datetime)
