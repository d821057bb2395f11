"""The engine's contracts: stale plans, dead letters that lose nothing, and `pruner replay`."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from pruner.cdc.model import Change, DeadLetter
from pruner.cli import main
from pruner.compiler import build
from pruner.planfile import write_plan
from pruner.runtime.engine import Engine, SinkTable
from pruner.runtime.plugins import StalePlanError, StalePlanWarning
from pruner.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
ECOMMERCE_STREAM = ROOT / "examples/ecommerce/stream.debezium.jsonl"
CLOCK_FIELDS = ("indexed_at", "index_lag_ms")   # IndexStamp stamps wall-clock time


def _engine(job: Path, mode: str = "pruned", **options) -> Engine:
    from pruner.planfile import read_plan
    return Engine(load_spec(job / "job.yaml"), read_plan(job / "job.plan"), mode, **options)


def insert(table, row, line=1):
    return Change("insert", table, None, row, None, line)


def update(table, before, after, line=1):
    return Change("update", table, before, after, frozenset(k for k in after if after[k] != before.get(k)), line)


def _run(engine: Engine, changes) -> tuple[list[dict], list[DeadLetter]]:
    sink = SinkTable(engine.spec.sink.fields, engine.spec.sink.primary_key)
    dead = []
    for change in changes:
        result = engine.process(change)
        if isinstance(result, DeadLetter):
            dead.append(result)
        else:
            sink.apply_all(result)
    sink.apply_all(engine.finish())
    return sink.sorted_rows(), dead


STREAM = [insert("sellers", {"b": 1, "c": "x"}), insert("items", {"id": 1, "a": "A", "b": 1}),
          update("items", {"id": 1, "a": "A", "b": 1}, {"id": 1, "a": "A2", "b": 1}),
          update("sellers", {"b": 1, "c": "x"}, {"b": 1, "c": "y"})]


# ---------------------------------------------------------------------- stale plans
def test_a_fresh_plan_prunes(reference: Path) -> None:
    engine = _engine(reference)
    _run(engine, STREAM)
    assert engine.stats.units["J1"][1] > 0            # J1 skipped when only `a` changed


def _add_processor(job: Path, how: str) -> None:
    """Change the job after compiling: a Processor P3 appended to UDTF2, or a new step running it."""
    plugin = job / "plugins/reference_udtfs.py"
    plugin.write_text(plugin.read_text().replace("class UDTF1(UDTF):", (
        "class P3(Processor):\n    def process(self, row, out):\n        out['e'] = str(row['e']) + '!'\n\n\n"
        "class UDTF1(UDTF):")))
    if how == "processor":
        plugin.write_text(plugin.read_text().replace("processors = [P2]", "processors = [P2, P3]"))
    else:
        plugin.write_text(plugin.read_text() + "\n\nclass UDTF3(UDTF):\n    processors = [P3]\n")
        spec = job / "job.yaml"
        spec.write_text(spec.read_text().replace(
            "sink:", "  - udtf: UDTF3\n    class: reference_udtfs.UDTF3\nsink:"))


_P3 = {"processor": "UDTF2.P3", "step": "UDTF3.P3"}      # the new unit's name


def _fresh_rows(job: Path) -> list[dict]:
    fresh = job.parent / "fresh.plan"
    write_plan(build(job / "job.yaml").plan, fresh)
    from pruner.planfile import read_plan
    return _run(Engine(load_spec(job / "job.yaml"), read_plan(fresh), "full"), STREAM)[0]


@pytest.mark.parametrize("how", ["processor", "step"])
@pytest.mark.parametrize("mode", ["pruned", "stateless", "full", "batch"])
def test_a_plan_that_does_not_match_the_job_is_refused_in_every_mode(reference: Path, how: str, mode: str) -> None:
    _add_processor(reference, how)
    with pytest.raises(StalePlanError) as caught:
        _engine(reference, mode)
    message = str(caught.value)
    assert "plugins/reference_udtfs.py" in message and "pruner compile" in message
    assert f"units the plan does not have: {_P3[how]}" in message
    assert ("job.yaml" in message) == (how == "step")


@pytest.mark.parametrize("how", ["processor", "step"])
@pytest.mark.parametrize("mode", ["pruned", "stateless", "full", "batch"])
def test_on_stale_full_runs_every_current_unit(reference: Path, how: str, mode: str) -> None:
    _add_processor(reference, how)
    with pytest.warns(StalePlanWarning, match="every unit of the current code"):
        engine = _engine(reference, mode, on_stale="full")
    rows, dead = _run(engine, STREAM)
    assert not dead
    assert all(skipped == 0 for _, skipped in engine.stats.units.values())
    assert engine.stats.units[_P3[how]][0] > 0
    assert rows == _fresh_rows(reference)
    assert all(row["e"].endswith("!") for row in rows)


@pytest.mark.parametrize("how", ["processor", "step"])
@pytest.mark.parametrize("mode", ["pruned", "stateless"])
def test_on_stale_compile_prunes_with_the_current_code(reference: Path, how: str, mode: str) -> None:
    _add_processor(reference, how)
    with pytest.warns(StalePlanWarning, match="compiled in memory"):
        engine = _engine(reference, mode, on_stale="compile")
    rows, _ = _run(engine, STREAM)
    assert engine.stats.units["J1"][1] > 0            # pruning is on
    assert rows == _fresh_rows(reference)


def test_a_stale_plan_whose_job_no_longer_compiles_is_refused_with_why(reference: Path) -> None:
    plugin = reference / "plugins/reference_udtfs.py"
    plugin.write_text(plugin.read_text() + "\ndef broken(:\n")
    for policy in ("stop", "full", "compile"):
        with pytest.raises(StalePlanError, match="reference_udtfs.py") as caught:
            _engine(reference, on_stale=policy)
        assert "compiling it now fails" in str(caught.value) or "which fails" in str(caught.value)


def test_a_code_only_change_with_on_stale_full_prunes_nothing(reference: Path) -> None:
    plugin = reference / "plugins/reference_udtfs.py"
    plugin.write_text(plugin.read_text() + "\n# edited after compiling\n")
    with pytest.warns(StalePlanWarning, match="recompile"):
        engine = _engine(reference, on_stale="full")
    rows, _ = _run(engine, STREAM)
    assert all(skipped == 0 for _, skipped in engine.stats.units.values())
    with pytest.warns(StalePlanWarning):
        full = _engine(reference, "full", on_stale="full")
    assert rows == _run(full, STREAM)[0]


def test_a_stale_plan_stops_by_default_naming_the_new_file(reference: Path) -> None:
    (reference / "plugins/extra.py").write_text("X = 1\n")
    with pytest.raises(StalePlanError, match="not in the plan: plugins/extra.py"):
        _engine(reference)


def test_a_changed_spec_makes_the_plan_stale(reference: Path) -> None:
    spec = reference / "job.yaml"
    spec.write_text(spec.read_text() + "\n# a comment is a change too\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _engine(reference, on_stale="full")
    assert any(issubclass(w.category, StalePlanWarning) and "job.yaml" in str(w.message) for w in caught)


def test_replay_cli_refuses_a_stale_plan_and_writes_nothing(reference: Path, tmp_path: Path, capsys) -> None:
    _add_processor(reference, "processor")
    stream = tmp_path / "stream.jsonl"
    stream.write_text(json.dumps({"op": "c", "before": None, "after": {"id": 1, "a": "x", "b": 1},
                                  "source": {"table": "items"}}) + "\n")
    sink = tmp_path / "sink.jsonl"
    args = ["replay", str(reference / "job.yaml"), "--plan", str(reference / "job.plan"),
            "--input", str(stream), "--format", "debezium-json", "--sink-out", str(sink), "--quiet"]
    assert main(args) == 1
    assert "units the plan does not have: UDTF2.P3" in capsys.readouterr().err
    assert not sink.exists()
    assert main([*args, "--on-stale", "full"]) == 0
    assert json.loads(sink.read_text())["e"] == "X:1!"


# ---------------------------------------------------------------------- dead letters lose nothing
def test_a_raising_processor_dead_letters_its_message_and_changes_no_state(reference: Path) -> None:
    plugin = reference / "plugins/reference_udtfs.py"
    text = plugin.read_text()
    assert "def process(self, row, out):" in text
    plugin.write_text(text.replace("def process(self, row, out):",
                                   "def process(self, row, out):\n        if row.get('a') == 'BOOM':\n"
                                   "            raise ValueError('bad value')", 1))
    write_plan(build(reference / "job.yaml").plan, reference / "job.plan")
    bad = update("items", {"id": 1, "a": "A2", "b": 1}, {"id": 1, "a": "BOOM", "b": 1}, line=7)
    with_bad, dead = _run(_engine(reference), [*STREAM, bad])
    without_bad, _ = _run(_engine(reference), STREAM)
    assert [d.line for d in dead] == [7]
    assert "ValueError: bad value" in dead[0].reason
    assert with_bad == without_bad
    # compiled work (each piece compiled at its first use) fails the same way as the walker
    compiled = _engine(reference)
    compiled.COMPILE_AFTER = 1
    assert _run(compiled, [*STREAM, bad]) == (with_bad, dead)
    assert compiled._n_compiled > 0
    assert _run(_engine(reference, compiled=False), [*STREAM, bad]) == (with_bad, dead)
    assert dead[0].reason.startswith("P1 on key (1,) raised ValueError: bad value"), dead[0].reason


@pytest.mark.parametrize("change, reason", [
    (insert("items", {"a": "no key", "b": 1}), "no key field 'id'"),
    (insert("items", {"id": None, "a": "A", "b": 1}), "key field is null"),
    (insert("items", {"id": [1, 2], "a": "A", "b": 1}), "not a scalar"),
])
def test_bad_rows_are_dead_lettered(reference: Path, change: Change, reason: str) -> None:
    rows, dead = _run(_engine(reference), [*STREAM, change])
    assert len(dead) == 1 and reason in dead[0].reason
    assert rows == _run(_engine(reference), STREAM)[0]


def test_a_table_the_job_does_not_use_is_counted_and_skipped(reference: Path) -> None:
    engine = _engine(reference)
    rows, dead = _run(engine, [*STREAM, insert("audit_log", {"id": 1})])
    assert engine.stats.unknown_table == 1 and not dead
    assert rows == _run(_engine(reference), STREAM)[0]


# ---------------------------------------------------------------------- pruner replay
def _replay(tmp_path: Path, mode: str, *extra: str) -> tuple[int, list[dict], dict]:
    sink, stats = tmp_path / f"sink.{mode}.jsonl", tmp_path / f"stats.{mode}.json"
    code = main(["replay", str(ROOT / "examples/ecommerce/job.yaml"),
                 "--plan", str(ROOT / "compiled_plans/ecommerce.plan"), "--input", str(ECOMMERCE_STREAM),
                 "--format", "debezium-json", "--mode", mode, "--sink-out", str(sink),
                 "--stats-out", str(stats), "--quiet", *extra])
    rows = [json.loads(line) for line in sink.read_text().splitlines()] if sink.exists() else []
    return code, rows, json.loads(stats.read_text()) if stats.exists() else {}


def test_replay_modes_agree_on_the_bundled_stream(tmp_path: Path) -> None:
    tables = {}
    for mode in ("pruned", "stateless", "full", "batch"):
        code, rows, stats = _replay(tmp_path, mode)
        assert code == 0
        tables[mode] = [{k: v for k, v in row.items() if k not in CLOCK_FIELDS} for row in rows]
        assert set(stats) >= {"messages", "dropped", "dead_letter", "units", "seconds"}
        assert stats["dead_letter"] == 0
    assert tables["pruned"] == tables["stateless"] == tables["full"] == tables["batch"]
    assert len(tables["full"]) > 10
    ids = [row["id"] for row in tables["full"]]
    assert ids == sorted(ids)


def test_replay_stats_show_pruning(tmp_path: Path) -> None:
    _, _, pruned = _replay(tmp_path, "pruned")
    _, _, full = _replay(tmp_path, "full")
    run = lambda stats: sum(u["run"] for u in stats["units"].values())  # noqa: E731
    assert run(pruned) < run(full) / 2
    assert full["units"]["seller"]["skipped"] == 0
    assert pruned["units"]["seller"]["skipped"] > 0


def test_replay_dead_letters_bad_lines_and_goes_on(tmp_path: Path) -> None:
    lines = ECOMMERCE_STREAM.read_text().splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([lines[0], "{not json", lines[1], '{"op": "x", "source": {"table": "items"}}',
                                 *lines[2:]]) + "\n")
    dead = tmp_path / "dead.jsonl"
    code = main(["replay", str(ROOT / "examples/ecommerce/job.yaml"),
                 "--plan", str(ROOT / "compiled_plans/ecommerce.plan"), "--input", str(broken),
                 "--format", "debezium-json", "--dead-letter", str(dead), "--quiet",
                 "--sink-out", str(tmp_path / "sink.jsonl")])
    assert code == 3                       # done, with dead letters
    letters = [json.loads(line) for line in dead.read_text().splitlines()]
    assert [letter["line"] for letter in letters] == [2, 4]
    assert all(letter["reason"] for letter in letters)
    _, clean_rows, _ = _replay(tmp_path, "pruned")
    got = [json.loads(line) for line in (tmp_path / "sink.jsonl").read_text().splitlines()]
    strip = lambda rows: [{k: v for k, v in r.items() if k not in CLOCK_FIELDS} for r in rows]  # noqa: E731
    assert strip(got) == strip(clean_rows)


def test_replay_refuses_a_corrupt_plan(tmp_path: Path, capsys) -> None:
    corrupt = tmp_path / "corrupt.plan"
    data = bytearray((ROOT / "compiled_plans/ecommerce.plan").read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    code = main(["replay", str(ROOT / "examples/ecommerce/job.yaml"), "--plan", str(corrupt),
                 "--input", str(ECOMMERCE_STREAM), "--format", "debezium-json", "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "checksum" in err and "Traceback" not in err


def test_the_plugin_sdk_entry_point_runs_a_job(reference: Path) -> None:
    from plugin_sdk.runtime import open_job

    job = open_job(reference / "job.yaml", reference / "job.plan")
    rows, dead = _run(job, STREAM)
    assert not dead and rows == [{"id": 1, "a": "A2", "b": 1, "c": "y", "d": "A2:1", "e": "A2:1"}]
    assert job.stats.units["J1"][1] > 0


def test_a_rolled_back_message_leaves_the_lookup_indexes_as_they_were(reference: Path) -> None:
    """The DimJoin index (lookup key -> row keys) is changed in place; a unit failing after the
    join registered the row must take the registration back (P2 runs after J1)."""
    import copy
    plugin = reference / "plugins/reference_udtfs.py"
    text = plugin.read_text()
    plugin.write_text(text.replace('out["e"] = str(row["d"]).upper()',
                                   'if row["a"] == "BOOM":\n            raise ValueError("late")\n'
                                   '        out["e"] = str(row["d"]).upper()'))
    write_plan(build(reference / "job.yaml").plan, reference / "job.plan")
    engine = _engine(reference)
    _run(engine, STREAM)
    before = copy.deepcopy((engine.dim_index, engine.lookup_of, engine.tables, engine.outputs))
    for change in (insert("items", {"id": 9, "a": "BOOM", "b": 1}, line=20),
                   update("items", {"id": 1, "a": "A2", "b": 1}, {"id": 1, "a": "BOOM", "b": 2}, line=21)):
        assert isinstance(engine.process(change), DeadLetter)
        assert (engine.dim_index, engine.lookup_of, engine.tables, engine.outputs) == before


def test_a_stale_bytecode_cache_never_runs_instead_of_the_source(reference: Path) -> None:
    """Python trusts a __pycache__ .pyc whose recorded mtime and size match the source: a
    same-size edit in the same second (or files copied with their times) would run the old
    code under a fresh fingerprint. Plugins are compiled from their bytes as they are."""
    import importlib.util
    import os
    import py_compile
    plugin = reference / "plugins/reference_udtfs.py"
    old = plugin.read_text().replace('f"{row[\'a\']}:{row[\'b\']}"', 'f"{row[\'a\']}:{row[\'b\']}:OLD"')
    new = old.replace(":OLD", ":NEW")
    assert old != plugin.read_text() and len(old) == len(new)
    plugin.write_text(old)
    stamp = plugin.stat().st_mtime_ns
    py_compile.compile(str(plugin), cfile=importlib.util.cache_from_source(str(plugin)), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    plugin.write_text(new)
    os.utime(plugin, ns=(stamp, stamp))
    write_plan(build(reference / "job.yaml").plan, reference / "job.plan")
    rows, _ = _run(_engine(reference), STREAM)
    assert rows and all(row["d"].endswith(":NEW") for row in rows)


def _import_lazily(reference: Path) -> Path:
    """P1 imports SUFFIX from plugins/late_helper.py inside process(); the helper's path."""
    helper = reference / "plugins/late_helper.py"
    plugin = reference / "plugins/reference_udtfs.py"
    plugin.write_text(plugin.read_text().replace(
        '        out["d"] = f"{row[\'a\']}:{row[\'b\']}"',
        '        from late_helper import SUFFIX\n        out["d"] = f"{row[\'a\']}:{row[\'b\']}" + SUFFIX'))
    helper.write_text('SUFFIX = ":OLD"\n')
    return helper


def test_a_module_imported_lazily_inside_process_is_compiled_from_its_source(reference: Path) -> None:
    """A plugin module imported inside process() (after the classes were loaded) is found by the
    job's finder too: a stale .pyc beside it never runs instead of the file."""
    import importlib.util
    import os
    import py_compile
    helper = _import_lazily(reference)
    stamp = helper.stat().st_mtime_ns
    py_compile.compile(str(helper), cfile=importlib.util.cache_from_source(str(helper)), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    helper.write_text('SUFFIX = ":NEW"\n')
    os.utime(helper, ns=(stamp, stamp))
    result = build(reference / "job.yaml")
    assert not [d for d in result.diagnostics() if d.severity.name == "ERROR"]
    write_plan(result.plan, reference / "job.plan")
    rows, dead = _run(_engine(reference), STREAM)
    assert not dead and rows and all(row["d"].endswith(":NEW") for row in rows)


@pytest.mark.parametrize("edit", ["changed", "appeared"])
def test_a_lazily_imported_module_edited_during_the_run_never_runs(reference: Path, edit: str) -> None:
    """Found by an adversary: a helper imported inside process() and edited after the run checked
    the plan ran its new code under the old plan (pruned and full then disagreed). Its messages
    are dead letters naming the file; nothing runs code the plan was not made from."""
    import sys
    helper = _import_lazily(reference)
    result = build(reference / "job.yaml")
    write_plan(result.plan, reference / "job.plan")
    engine = _engine(reference)                       # checks the plan against the files now
    sys.modules.pop("late_helper", None)            # as in a fresh process: not imported yet
    if edit == "changed":
        helper.write_text('SUFFIX = ":NEW"\n')
    else:                                             # a module the plan never saw
        helper.unlink()
        (reference / "plugins/late_helper").mkdir()
        (reference / "plugins/late_helper/__init__.py").write_text('SUFFIX = ":NEW"\n')
    rows, dead = _run(engine, STREAM)
    assert dead and all(edit in d.reason and "late_helper" in d.reason for d in dead)
    assert not any(row.get("d") and row["d"].endswith(":NEW") for row in rows)


def test_a_module_name_in_two_plugin_folders_is_refused_by_compiler_and_runtime(reference: Path, capsys) -> None:
    """Python imports the first `common` on its path; an analyzer reading the other one would
    compile a plan for code that never runs. Both refuse, naming the two files."""
    from pruner.runtime.plugins import PluginLoadError, load_class
    from pruner.transform import SourceError

    (reference / "more").mkdir()
    (reference / "plugins/common.py").write_text("SUFFIX = 'first'\n")
    (reference / "more/common.py").write_text("SUFFIX = 'second'\n")
    spec_file = reference / "job.yaml"
    spec_file.write_text(spec_file.read_text().replace("plugins: [plugins]", "plugins: [plugins, more]"))
    with pytest.raises(SourceError, match=r"module 'common' is both .*plugins/common.py and .*more/common.py"):
        build(spec_file)
    assert main(["compile", str(spec_file), "-o", str(reference / "new.plan")]) == 1
    assert "module 'common' is both" in capsys.readouterr().err and not (reference / "new.plan").exists()
    with pytest.raises(PluginLoadError, match="module 'common' is both"):
        load_class(load_spec(spec_file), "reference_udtfs.UDTF1")


@pytest.mark.parametrize("folders", ["plugins, plugins/sub", "plugins/sub, plugins"])
def test_a_folder_inside_another_plugin_folder_clashes_in_either_order(reference: Path, folders: str) -> None:
    """Found by an adversary: with plugins and plugins/sub listed, plugins/sub/common.py is both
    "sub.common" and "common"; the compiler saw the clash with plugins/common.py in one order only."""
    from pruner.runtime.plugins import PluginLoadError, load_class
    from pruner.transform import SourceError

    (reference / "plugins/sub").mkdir()
    (reference / "plugins/common.py").write_text("SUFFIX = 'first'\n")
    (reference / "plugins/sub/common.py").write_text("SUFFIX = 'second'\n")
    spec_file = reference / "job.yaml"
    spec_file.write_text(spec_file.read_text().replace("plugins: [plugins]", f"plugins: [{folders}]"))
    with pytest.raises(SourceError, match=r"module 'common' is both"):
        build(spec_file)
    with pytest.raises(PluginLoadError, match="module 'common' is both"):
        load_class(load_spec(spec_file), "reference_udtfs.UDTF1")


def test_a_package_and_a_module_of_the_same_name_are_refused(reference: Path) -> None:
    from pruner.transform import SourceError

    (reference / "plugins/shared").mkdir()
    (reference / "plugins/shared/__init__.py").write_text("X = 1\n")
    (reference / "plugins/shared.py").write_text("X = 2\n")
    with pytest.raises(SourceError, match="module 'shared' is both"):
        build(reference / "job.yaml")


@pytest.mark.parametrize("mode", ["pruned", "full", "stateless", "batch"])
def test_a_decimal_join_key_finds_its_dimension_row(reference: Path, mode: str) -> None:
    """wal2json and typed sources give numeric columns as Decimal: a lookup value Decimal("1.0")
    must find dimension row 1, as the dimension's own keys are normalized (1 == 1.0)."""
    from decimal import Decimal
    stream = [insert("sellers", {"b": 1, "c": "x"}), insert("sellers", {"b": Decimal("2.5"), "c": "z"}),
              insert("items", {"id": 1, "a": "A", "b": Decimal("1.0")}),
              insert("items", {"id": 2, "a": "B", "b": Decimal("2.50")}),
              insert("items", {"id": 3, "a": "C", "b": [1]}),
              update("sellers", {"b": 1, "c": "x"}, {"b": 1, "c": "y"})]
    rows, dead = _run(_engine(reference, mode), stream)
    assert not dead
    assert [(row["id"], row["c"]) for row in rows] == [(1, "y"), (2, "z"), (3, None)]


# ---------------------------------------------------------------------- values changed in place
_IN_PLACE = '''from plugin_sdk import UDTF, Processor


class A(Processor):
    def process(self, row, out):
        out["lst"] = [row["a"]]


class B(Processor):
    def process(self, row, out):
        row["lst"].append(row["n"])            # a value another unit made (PR209)
        out["cnt"] = len(row["lst"])


class C(Processor):
    def process(self, row, out):
        t = row["tags"]
        t.append("x")                           # a source row value (PR209)
        out["tcount"] = len(t)


class D(Processor):
    def process(self, row, out):
        out["nn"] = len(row.get("note_list") or [])


class U(UDTF):
    processors = [A, B, C]


class V(UDTF):
    processors = [D]
'''
_IN_PLACE_JOB = '''name: inplace
plugins: [plugins]
sources:
  items: {primary_key: [id], fields: [id, a, n, tags]}
  notes: {primary_key: [nid], fields: [nid, item_id, txt]}
pipeline:
  - udtf: U
    class: m.U
  - udaf: N
    source: notes
    key: item_id
    fields: [txt]
    output: note_list
  - udtf: V
    class: m.V
sink: {name: s, primary_key: [id], fields: [id, lst, cnt, tags, tcount, nn]}
'''


@pytest.mark.parametrize("mode", ["pruned", "stateless", "full", "batch"])
def test_a_value_changed_in_place_is_seen_by_nothing_else(tmp_path: Path, mode: str) -> None:
    """Processors that change a row value in place (found by an adversary: pruned, full and batch
    each gave another sink, as the change reached stored outputs, the held source rows and later
    messages) run on a private copy of the row: every mode gives the sink of a job where each
    sees the values as the units that made them left them."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins/m.py").write_text(_IN_PLACE)
    (tmp_path / "job.yaml").write_text(_IN_PLACE_JOB)
    built = build(tmp_path / "job.yaml")
    assert {u.name for u in built.plan.units if u.isolated} == {"U.B", "U.C"}
    write_plan(built.plan, tmp_path / "job.plan")
    item = {"id": 1, "a": "A", "n": 1, "tags": ["t"]}
    stream = [insert("items", item), update("items", item, {**item, "n": 2}),
              update("items", {**item, "n": 2}, {**item, "n": 3}),
              insert("notes", {"nid": 1, "item_id": 1, "txt": "hello"}),
              insert("notes", {"nid": 2, "item_id": 1, "txt": "hello"})]
    rows, dead = _run(_engine(tmp_path, mode), stream)
    assert not dead
    assert rows == [{"id": 1, "lst": ["A"], "cnt": 2, "tags": ["t"], "tcount": 2, "nn": 2}]


@pytest.mark.parametrize("cache", [0, 1, 65536])
def test_run_and_skip_counts_are_exact_whatever_work_is_kept(reference: Path, cache: int, monkeypatch) -> None:
    """Counts are added per piece of per-decision work when stats are read; work not kept (a full
    cache) is counted as it is used. Both give the counts of the same run with every work kept."""
    def counts(limit: int) -> tuple:
        monkeypatch.setattr(Engine, "WORK_CACHE", limit)
        engine = _engine(reference)
        seen = []
        for change in STREAM + [update("items", {"id": 1, "a": "A2", "b": 1}, {"id": 1, "a": "A3", "b": 1})]:
            engine.process(change)
            seen.append((dict((k, list(v)) for k, v in engine.stats.units.items()),
                         dict((k, list(v)) for k, v in engine.stats.steps.items())))
        return tuple(map(repr, seen))
    assert counts(cache) == counts(65536)
    assert counts(0)[-1] != counts(0)[0]


@pytest.mark.parametrize("mode", ["pruned", "stateless", "full"])
def test_every_unit_counts_each_row_update_once_deletes_none(tmp_path: Path, mode: str) -> None:
    """Found by the fourth adversary round: a delete counted as a row update that no unit counted."""
    from pruner.cdc import decode
    built = build(ROOT / "examples/ecommerce/job.yaml")
    engine = Engine(built.spec, built.plan, mode)
    lines = ECOMMERCE_STREAM.read_text().splitlines()[:400]
    changes = [c for c in decode(lines, "debezium-json") if isinstance(c, Change)]
    item = next(c.after for c in changes if c.table == "items" and c.after is not None)
    changes += [Change("delete", "items", item, None, None, len(lines) + 1),
                Change("insert", "items", None, item, None, len(lines) + 2)]
    for change in changes:
        engine.process(change)
    stats = engine.stats
    assert stats.row_updates > 0
    assert {run + skipped for run, skipped in stats.units.values()} == {stats.row_updates}
    assert {run + skipped for run, skipped in stats.steps.values()} == {stats.row_updates}


def test_a_dead_unit_that_would_raise_runs_in_no_mode(tmp_path: Path) -> None:
    """Found by the fifth adversary round: full and batch ran a dead unit (its output reaches
    nothing, PR505) and dead-lettered the message it raised on; the other modes never run it."""
    job = tmp_path / "job"
    (job / "plugins").mkdir(parents=True)
    (job / "plugins/p.py").write_text(
        "from plugin_sdk import UDTF, Processor\n\n"
        "class Inv(Processor):\n    def process(self, row, out):\n        out['unused'] = 1 / row['a']\n\n"
        "class Copy(Processor):\n    def process(self, row, out):\n        out['bb'] = row['b']\n\n"
        "class U(UDTF):\n    processors = [Inv, Copy]\n")
    (job / "job.yaml").write_text(
        "name: deadunit\nplugins: [plugins]\nsources:\n  items: {primary_key: [id], fields: [id, a, b]}\n"
        "pipeline:\n  - udtf: U\n    class: p.U\nsink: {name: s, primary_key: [id], fields: [id, bb]}\n")
    built = build(job / "job.yaml")
    assert [u.name for u in built.plan.units if u.dead] == ["U.Inv"]
    sinks = {}
    for mode in ("pruned", "stateless", "full", "batch"):
        engine = Engine(built.spec, built.plan, mode)
        sink = SinkTable(built.spec.sink.fields, built.spec.sink.primary_key)
        for change in (insert("items", {"id": 1, "a": 0, "b": 5}),
                       update("items", {"id": 1, "a": 0, "b": 5}, {"id": 1, "a": 0, "b": 6}, 2)):
            result = engine.process(change)
            assert not isinstance(result, DeadLetter), (mode, result)
            sink.apply_all(result)
        sink.apply_all(engine.finish())
        assert engine.stats.units["U.Inv"][0] == 0
        sinks[mode] = sink.sorted_rows()
    assert all(rows == [{"id": 1, "bb": 6}] for rows in sinks.values()), sinks


def test_a_data_file_read_through_the_plugin_loader_runs(reference: Path) -> None:
    """pkgutil.get_data reads a data file with the plugin modules' loader: not code, so not checked
    against the plan's fingerprints (found by an adversary: every run was refused, "appeared
    after the run checked the plan", and recompiling never helped)."""
    (reference / "plugins/data").mkdir()
    (reference / "plugins/data/__init__.py").write_text("")
    (reference / "plugins/data/suffix.txt").write_text(":DATA")
    plugin = reference / "plugins/reference_udtfs.py"
    plugin.write_text("import pkgutil\n" + plugin.read_text().replace(
        '        out["d"] = f"{row[\'a\']}:{row[\'b\']}"',
        '        out["d"] = f"{row[\'a\']}:{row[\'b\']}" + pkgutil.get_data("data", "suffix.txt").decode()'))
    result = build(reference / "job.yaml")
    assert not [d for d in result.diagnostics() if d.severity.name == "ERROR"]
    write_plan(result.plan, reference / "job.plan")
    rows, dead = _run(_engine(reference), STREAM)
    assert not dead and rows and all(row["d"].endswith(":DATA") for row in rows)
