"""The runtime inside real PyFlink jobs (local mini-cluster, parallelism 2).

The differential oracle on Flink: the sink table built from the keyed Flink job's output
(partial updates and deletes applied in order) equals ``pruner replay --mode full`` on the
same input; the Table API UDTF's partial outputs, applied per key, equal the step's
Processors run in full on the final rows.
"""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from pruner.cdc import decode
from pruner.cdc.model import DeadLetter, DecodeStats
from pruner.planfile import PlanError, loads
from pruner.runtime.engine import SinkTable
from pruner.runtime.replay import replay

from plugin_sdk import flink                 # `make test` installs the flink extra: never skipped

ROOT = Path(__file__).resolve().parents[2]
JOB = ROOT / "examples/ecommerce/job.yaml"
PLAN = ROOT / "compiled_plans/ecommerce.plan"
STREAM = ROOT / "examples/ecommerce/stream.debezium.jsonl"
CLOCK = ("indexed_at", "index_lag_ms")


def _stable(rows):
    return [{k: v for k, v in row.items() if k not in CLOCK} for row in rows]


def _generated(profile: str, seed: int, updates: int) -> list[str]:
    import importlib.util
    spec = importlib.util.spec_from_file_location("generate_stream", ROOT / "examples/ecommerce/generate_stream.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    buffer = io.StringIO()
    module.generate(buffer, profile=profile, seed=seed, updates=updates, items=25)
    return buffer.getvalue().splitlines()


def _changes(lines):
    return [c for c in decode(lines, "debezium-json", DecodeStats()) if not isinstance(c, DeadLetter)]


def _run_keyed(env, job, lines):
    stream = flink.keyed_pipeline(env, job, lines, "debezium-json")
    with stream.execute_and_collect() as records:
        return list(records)


@pytest.mark.parametrize("stream", ["bundled", "daily-3", "peak-5", "daily-4 dedup"])
def test_the_keyed_flink_job_gives_the_full_sink(flink_env, stream: str) -> None:
    from pruner.runtime.engine import Dedup

    env, _ = flink_env
    stream, _, dedup = stream.partition(" ")
    if stream == "bundled":
        lines = STREAM.read_text().splitlines()
    else:
        profile, seed = stream.split("-")
        lines = _generated(profile, int(seed), 300)
    job = flink.FlinkJob.load(JOB, PLAN, dedup=Dedup(ignore=frozenset(CLOCK)) if dedup else None)
    before = dict(flink.TOTALS)
    records = _run_keyed(env, job, lines)
    sink = SinkTable(job.spec().sink.fields, job.spec().sink.primary_key)
    sink.apply_all(records)
    full = replay(JOB, PLAN, lines, "debezium-json", "full")
    assert _stable(sink.sorted_rows()) == _stable(full.sink.sorted_rows())
    assert len(sink.rows) > 10
    if dedup:                                              # R sent only what really changed
        pruned = replay(JOB, PLAN, lines, "debezium-json", "pruned")
        assert len(records) < pruned.stats.records
    run = flink.TOTALS["units_run"] - before["units_run"]
    skipped = flink.TOTALS["units_skipped"] - before["units_skipped"]
    assert run > 0 and skipped > run                       # it pruned (most unit runs skipped)
    full_runs = sum(r for r, _ in full.stats.units.values())
    assert run < full_runs


def test_a_stale_plan_stops_the_flink_job_when_asked(flink_env, tmp_path: Path) -> None:
    env, _ = flink_env
    job_dir = tmp_path / "ecommerce"
    shutil.copytree(JOB.parent, job_dir, ignore=shutil.ignore_patterns(".pruner-cache", "__pycache__"))
    plugin = job_dir / "plugins/item_processors.py"
    plugin.write_text(plugin.read_text() + "\n# edited after the plan was compiled\n")
    job = flink.FlinkJob.load(job_dir / "job.yaml", PLAN, on_stale="stop")
    with pytest.raises(Exception, match="stale|does not match|StalePlanError"):
        _run_keyed(env, job, STREAM.read_text().splitlines()[:20])


def test_a_missing_or_corrupt_plan_fails_before_submission(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the plan file"):
        flink.FlinkJob.load(JOB, tmp_path / "nope.plan")
    bad = tmp_path / "bad.plan"
    bad.write_bytes(PLAN.read_bytes()[:-10])
    with pytest.raises(PlanError):
        flink.FlinkJob.load(JOB, bad)


ITEM_COLUMNS = ("id", "title", "description", "brand", "category_id", "price", "original_price", "currency",
                "inventory", "status", "attributes", "tags", "weight_g", "length_mm", "width_mm", "height_mm",
                "updated_at", "ext_warranty_months", "ext_energy_class")


def _run_udtf(flink_env, name: str, job, step: str, table: str, source_columns, columns, changes):
    """The step as a SQL table function over `table`'s changelog; returns (final outputs per key,
    +U rows, +U rows with only some outputs set)."""
    from pyflink.common import Types
    from pyflink.table import DataTypes
    from pyflink.table.udf import udtf

    from pyflink.table import StreamTableEnvironment

    env, _ = flink_env
    # a table environment of its own, made on the calling thread: the planner keeps per-thread
    # state (Calcite's metadata providers), and a job run before may have moved the session's
    # calls to another gateway thread
    t_env = StreamTableEnvironment.create(env)
    rows = flink.changelog_rows(changes, table, source_columns, key=(source_columns[0],))
    names = ["_op", "_changed", *source_columns]
    source = env.from_collection(rows, type_info=Types.ROW_NAMED(names, [Types.STRING()] * len(names)))
    t_env.create_temporary_view(f"{name}_changelog", t_env.from_changelog_stream(source))
    outputs = flink.PrunedUDTF.outputs_of(job, step)
    function = udtf(flink.PrunedUDTF(job, step, columns), result_types=[DataTypes.STRING()] * (len(outputs) + 1))
    t_env.create_temporary_system_function(f"pruner_{name}", function)
    args = ", ".join(["_op", "_changed", *source_columns])
    table = t_env.sql_query(f"SELECT {source_columns[0]}, t.* FROM {name}_changelog, "
                            f"LATERAL TABLE(pruner_{name}({args})) AS t(_set, {', '.join(outputs)})")
    got: dict[str, dict] = {}
    partial = updates = 0
    with table.execute().collect() as results:
        for row in results:
            kind, key = str(row.get_row_kind()), row[0]
            if kind == "-D":
                got.pop(key, None)
            elif kind in ("+I", "+U"):
                values = dict(zip(outputs, row[2:]))
                target = got.setdefault(key, {})
                names = [n for n in row[1].split(",") if n]
                for field in names:
                    target[field] = json.loads(values[field])
                if kind == "+U":
                    updates += 1
                    partial += len(names) < len(outputs)
    return got, updates, partial


def _expected(job, step: str, table: str, source_columns, columns, changes) -> dict[str, dict]:
    """The reference: every Processor of the step, in order, on each final row."""
    from pruner.runtime.plugins import load_class
    spec = job.spec()
    units = [u for u in loads(job.plan_bytes).units if u.step == step]
    final: dict[str, dict] = {}
    for change in changes:
        if change.table != table:
            continue
        image = change.after if change.after is not None else change.before
        key = json.dumps(image[source_columns[0]])
        if change.kind == "delete":
            final.pop(key, None)
        else:
            final[key] = change.after
    expected = {}
    for key, image in final.items():
        row = {c: image.get(src) for c, src in zip(columns, source_columns)}
        out: dict = {}
        for unit in units:
            result: dict = {}
            load_class(spec, unit.class_ref)().process(row, result)
            row.update(result)
            out.update(result)
        expected[key] = json.loads(json.dumps(out))
    return expected


def test_the_udtf_prunes_statelessly_and_loses_nothing(flink_env) -> None:
    """The reference job's UDTF1 (P1 reads a and b): an update of another field runs nothing."""
    from pruner.cdc.model import DELETE, INSERT, UPDATE, Change

    job = flink.FlinkJob.load(ROOT / "examples/reference/job.yaml", ROOT / "compiled_plans/reference.plan")
    rows = {i: {"id": i, "a": f"a{i}", "b": i % 3, "f": 0} for i in range(1, 21)}
    changes = [Change(INSERT, "items", None, dict(r), None, 0) for r in rows.values()]
    for n in range(120):
        i = n % 20 + 1
        field = ("a", "b", "f", "f")[n % 4]
        before = dict(rows[i])
        rows[i][field] = rows[i][field] + 1 if field != "a" else rows[i][field] + "x"
        changes.append(Change(UPDATE, "items", before, dict(rows[i]), frozenset({field}), 0))
    changes.append(Change(DELETE, "items", dict(rows[5]), None, None, 0))
    columns = ("id", "a", "b", "f")
    got, updates, partial = _run_udtf(flink_env, "reference_u1", job, "UDTF1", "items", columns, columns, changes)
    assert got == _expected(job, "UDTF1", "items", columns, columns, changes)
    assert updates == 120 and partial == 60                  # the updates of f ran no Processor


def test_the_udtf_agrees_with_full_under_redelivery(flink_env) -> None:
    """Old messages delivered again after later changes: the changelog is normalized by key
    (the -U image is the row as last seen), so the stateless UDTF runs what the redelivery
    really changes and the outputs equal every Processor run on the final rows."""
    from pruner.cdc.model import INSERT, UPDATE, Change

    job = flink.FlinkJob.load(ROOT / "examples/reference/job.yaml", ROOT / "compiled_plans/reference.plan")
    first = [Change(INSERT, "items", None, {"id": i, "a": f"a{i}", "b": i, "f": 0}, None, 0) for i in (1, 2)]
    row2 = [first[1].after, {"id": 2, "a": "a2", "b": 2, "f": 1}, {"id": 2, "a": "a2", "b": 7, "f": 1}]
    later = [Change(UPDATE, "items", first[0].after, {"id": 1, "a": "new", "b": 1, "f": 0}, frozenset("a"), 0),
             Change(UPDATE, "items", row2[0], row2[1], frozenset("f"), 0),
             Change(UPDATE, "items", row2[1], row2[2], frozenset("b"), 0)]
    # delivered again: the insert of 1 (a goes back), the update of f of 2 (it lists only f,
    # but against the row as last seen b changes back too: trusting its list would skip P1)
    changes = [*first, *later, first[0], later[1]]
    columns = ("id", "a", "b", "f")
    rows = flink.changelog_rows(changes, "items", columns, key=("id",))
    assert [(r[0], r[1]) for r in rows[-4:]] == [("-U", "a"), ("+U", "a"), ("-U", "b,f"), ("+U", "b,f")]
    assert json.loads(rows[-4][2 + 1]) == "new"                  # -U is the row as last seen
    got, _, _ = _run_udtf(flink_env, "reference_redelivered", job, "UDTF1", "items", columns, columns, changes)
    assert got == _expected(job, "UDTF1", "items", columns, columns, changes)
    assert got["1"] == {"d": "a1:1"} and got["2"] == {"d": "a2:2"}


def test_the_ecommerce_item_core_udtf_loses_nothing(flink_env) -> None:
    """ItemCore on Flink. Nothing is pruned here, and that is right: CollectExtProps reads the
    whole row, earlier Processors' outputs included, so stateless mode must run them all."""
    job = flink.FlinkJob.load(JOB, PLAN)
    changes = _changes(_generated("daily", 9, 300))
    columns = tuple("cat_id" if c == "category_id" else c for c in ITEM_COLUMNS)   # rename R1
    got, updates, partial = _run_udtf(flink_env, "item_core", job, "ItemCore", "items", ITEM_COLUMNS, columns, changes)
    assert got == _expected(job, "ItemCore", "items", ITEM_COLUMNS, columns, changes)
    assert updates > 100 and partial == 0


class _Metrics:
    """A stand-in for Flink's metric group (the UDTF is called here without a cluster)."""

    class _Counter:
        def inc(self, n: int = 1) -> None:
            pass

    def add_group(self, name: str) -> "_Metrics":
        return self

    def counter(self, name: str) -> "_Metrics._Counter":
        return self._Counter()


class _Context:
    def get_metric_group(self) -> _Metrics:
        return _Metrics()


def test_the_udtf_prunes_by_source_fields_through_renames_and_earlier_steps(tmp_path: Path) -> None:
    """The UDTF's `_changed` lists source fields. It used to meet them with the step's own read
    names, so a Processor reading a renamed field (`cat_id` for `category_id`) or an earlier
    step's output was skipped when that changed. It now decides by the plan's deps (one rule,
    ``change_mask``), checked here against running every Processor."""
    from pruner.compiler import build
    from pruner.planfile import write_plan

    job = tmp_path / "job"
    (job / "plugins").mkdir(parents=True)
    (job / "plugins/p.py").write_text(
        "from plugin_sdk import UDTF, Processor\n\n"
        "class Up(Processor):\n    def process(self, row, out):\n        out['up'] = str(row['a']).upper()\n\n"
        "class Cat(Processor):\n    def process(self, row, out):\n        out['cat'] = f\"c{row['cat_id']}\"\n\n"
        "class FromUp(Processor):\n    def process(self, row, out):\n        out['up2'] = row['up'] + '!'\n\n"
        "class B(Processor):\n    def process(self, row, out):\n        out['bb'] = row['b']\n\n"
        "class U1(UDTF):\n    processors = [Up]\n\nclass U2(UDTF):\n    processors = [Cat, FromUp, B]\n")
    (job / "job.yaml").write_text(
        "name: udtf\nplugins: [plugins]\nsources:\n  items: {primary_key: [id], fields: [id, a, b, category_id]}\n"
        "pipeline:\n  - udtf: U1\n    class: p.U1\n  - rename: R\n    fields: {category_id: cat_id}\n"
        "  - udtf: U2\n    class: p.U2\n"
        "sink: {name: s, primary_key: [id], fields: [id, up, cat, up2, bb]}\n")
    plan = tmp_path / "udtf.plan"
    write_plan(build(job / "job.yaml").plan, plan)
    columns = ("id", "a", "b", "cat_id", "up")                 # U2's input: after R, with U1's output
    function = flink.PrunedUDTF(flink.FlinkJob.load(job / "job.yaml", plan), "U2", columns)
    function.open(_Context())
    outputs = function.outputs
    row = {"id": 1, "a": "x", "b": 2, "cat_id": 7, "up": "X"}
    cells = [json.dumps(row[c]) for c in columns]
    for changed in ("category_id", "a", "b", "a,b", "zz", "id"):
        (got,) = function.eval("+U", changed, *cells)
        done = {name: json.loads(value) for name, value in zip(outputs, got[1:]) if name in got[0].split(",")}
        expected = {"cat": "c7", "up2": "X!", "bb": 2}
        needs = {"category_id": {"cat"}, "a": {"up2"}, "b": {"bb"}, "a,b": {"up2", "bb"},
                 "zz": set(), "id": set()}[changed]
        assert needs <= set(done), (changed, done)
        assert all(done[name] == expected[name] for name in done), (changed, done)
    (got,) = function.eval("+U", "b", *cells)
    assert got[0] == "bb"                                   # and it prunes: only B ran


def _udtf_job(tmp_path: Path, processors: str, names: str, fields: str, sink: str):
    from pruner.compiler import build
    from pruner.planfile import write_plan

    job = tmp_path / "job"
    (job / "plugins").mkdir(parents=True)
    (job / "plugins/p.py").write_text(f"from plugin_sdk import UDTF, Processor\n\n{processors}\n"
                                      f"class U(UDTF):\n    processors = [{names}]\n")
    (job / "job.yaml").write_text(
        f"name: u\nplugins: [plugins]\nsources:\n  items: {{primary_key: [id], fields: [{fields}]}}\n"
        f"pipeline:\n  - udtf: U\n    class: p.U\nsink: {{name: s, primary_key: [id], fields: [{sink}]}}\n")
    plan = tmp_path / "u.plan"
    write_plan(build(job / "job.yaml").plan, plan)
    columns = tuple(f.strip() for f in fields.split(","))
    function = flink.PrunedUDTF(flink.FlinkJob.load(job / "job.yaml", plan), "U", columns)
    function.open(_Context())
    return function, columns


def _udtf_sink(function, columns, versions: list[dict], changed: list[str]) -> dict:
    """The step's outputs as a sink merging partial updates sees them, after each row version."""
    sink: dict = {}
    for row, names in zip(versions, changed):
        (got,) = function.eval("+U", names, *[json.dumps(row[c]) for c in columns])
        for name, value in zip(function.outputs, got[1:]):
            if name in got[0].split(","):
                sink[name] = json.loads(value)
    return sink


def test_the_udtf_emits_a_field_only_as_its_last_writer_in_the_step_leaves_it(tmp_path: Path) -> None:
    """Found by the sixth adversary round: P1 writes x, P2 overwrites it; a change of `a` ran only
    P1 and emitted its intermediate x."""
    function, columns = _udtf_job(
        tmp_path, "class P1(Processor):\n    def process(self, row, out):\n        out['x'] = row['a'] * 10\n"
        "        out['y'] = row['a']\n\nclass P2(Processor):\n    def process(self, row, out):\n"
        "        out['x'] = row['b']\n", "P1, P2", "id, a, b", "id, x, y")
    versions = [{"id": 1, "a": 1, "b": 5}, {"id": 1, "a": 2, "b": 5}]
    assert _udtf_sink(function, columns, versions, ["*", "a"]) == {"x": 5, "y": 2}


def test_the_udtf_runs_a_writer_of_fields_named_by_data_as_a_supplier(tmp_path: Path) -> None:
    """Found by the sixth adversary round: suppliers were found by named writes only, so `Use`
    read the column f instead of what Dyn writes there."""
    function, columns = _udtf_job(
        tmp_path, "class Dyn(Processor):\n    def process(self, row, out):\n        out[row['k']] = row['v'] * 100\n\n"
        "class Use(Processor):\n    def process(self, row, out):\n        out['o'] = row['f'] + row['g']\n",
        "Dyn, Use", "id, k, v, f, g", "id, f, o")
    versions = [{"id": 1, "k": "f", "v": 3, "f": 1, "g": 20}, {"id": 1, "k": "f", "v": 3, "f": 1, "g": 21}]
    assert _udtf_sink(function, columns, versions, ["*", "g"])["o"] == 321
