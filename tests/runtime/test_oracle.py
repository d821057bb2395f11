"""The differential oracle: pruning never changes a result.

For random jobs (plugin modules generated as source code, so the real analyzer reads them)
and random CDC streams, the sink after the ``pruned`` and ``stateless`` runs equals the sink
after the ``full`` run after every message, and at the end equals ``batch`` over the stream
and a batch run over the final source snapshot (computed from the stream by plain CDC
semantics, not by the engine). No message becomes a dead letter, and pruning never runs a
unit more often than the full run. Shrunk counterexamples live in fixtures/oracle/ and are
replayed by ``test_fixture``.

``make soak`` runs these oracles (and the keyed and dedup ones, which draw through
``draw_case``) with many examples and a random seed; with ``ORACLE_FAILURES=DIR`` every
failing example is written to DIR/<test>-<job>-<digest>/ in the fixtures' form, plus a CDC
file and ``reproduce.sh`` for ``pruner replay`` (``keep_failure``).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import cleanup
from hypothesis.errors import HypothesisException

from pruner.cdc.model import DELETE, INSERT, UPDATE, Change
from pruner.compiler import build
from pruner.diagnostics import Severity
from pruner.runtime.stores import SqliteTable
from tests.runtime.oracle_jobs import (change_to_json, changes_from_json, forget_modules, jobs,
                                       run_oracle, save_fixture, streams, write_replay_files)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "oracle"
REFERENCE = ROOT / "examples" / "reference" / "job.yaml"

# Shrinking recompiles a job per attempt and can take minutes; it is off unless asked for
# (ORACLE_SHRINK=1). A failure still notes the whole job and stream, and the example is kept
# in the Hypothesis database, so the next run replays it first.
_PHASES = tuple(Phase) if os.environ.get("ORACLE_SHRINK") else tuple(p for p in Phase if p is not Phase.shrink)
ORACLE = settings(max_examples=int(os.environ.get("ORACLE_EXAMPLES", 150)), deadline=None, phases=_PHASES,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# `make soak` sets ORACLE_FAILURES to a folder: every failing example is written there as a
# fixture folder (job.yaml, plugins/, stream.json, a CDC file for `pruner replay`, README.md).
FAILURES = os.environ.get("ORACLE_FAILURES")


class _Case:
    """The example being run, kept so that a failure can be written out (`make soak`)."""

    def __init__(self, job, spec_path: Path) -> None:
        self.job = job
        self.spec_path = spec_path
        self.changes: list | None = None
        self.test = os.environ.get("PYTEST_CURRENT_TEST", "oracle").split(" ")[0]
        if FAILURES:
            cleanup(self._teardown)

    def _teardown(self) -> None:
        # Hypothesis runs this when the example ends, inside the exception handling of its
        # context manager when the example raised: sys.exc_info() is that exception.
        error = sys.exc_info()[1]
        if error is None or isinstance(error, HypothesisException) or not isinstance(error, Exception):
            return                      # passed, or an assume()/filter: not a failure
        try:
            keep_failure(self, error)
        except Exception as problem:    # never hide the failure itself behind this one
            print(f"\noracle: could not keep the failing example: {problem!r}", file=sys.stderr)


def keep_failure(case: _Case, error: BaseException) -> Path:
    """Write the failing example as a fixture folder under $ORACLE_FAILURES (once per example)."""
    changes = case.changes or []
    stream = json.dumps([change_to_json(c) for c in changes], sort_keys=True)
    digest = hashlib.sha256((case.job.uid + stream).encode()).hexdigest()[:8]
    test = case.test.rsplit("::", 1)[-1].split("[")[0]
    dest = Path(FAILURES) / f"{test[:40]}-{case.job.uid}-{digest}"
    if dest.exists():                   # Hypothesis replays a failing example once more,
        os.utime(dest)                  # and the next run first replays the ones it saved
        return dest
    save_fixture(case.spec_path.parent, changes, dest)
    message = "".join(traceback.format_exception_only(type(error), error)).strip()
    write_replay_files(dest, changes, failure=f"{case.test} (seed: {os.environ.get('ORACLE_SEED', '?')})",
                       message=message)
    print(f"\noracle: the failing example is kept in {dest} (see its README.md)", file=sys.stderr)
    return dest


def _errors(built) -> set[str]:
    return {d.code for d in built.diagnostics() if d.severity is Severity.ERROR}


class _Builds:
    """Compiled generated jobs by uid (a digest of their text): shrinking the stream alone
    then costs no compile. Folders live until evicted or the end of the session."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self.entries: dict[str, tuple[Path, object]] = {}

    def get(self, job):
        if job.uid in self.entries:
            self.entries[job.uid] = self.entries.pop(job.uid)
            return self.entries[job.uid]
        folder = Path(tempfile.mkdtemp(prefix="oracle_"))
        spec_path = job.write(folder)
        self.entries[job.uid] = (spec_path, build(spec_path))
        while len(self.entries) > self.size:
            uid, (old, _) = next(iter(self.entries.items()))
            del self.entries[uid]
            forget_modules(uid, old.parent / "plugins")
            shutil.rmtree(old.parent, ignore_errors=True)
        return self.entries[job.uid]

    def clear(self) -> None:
        for uid, (spec_path, _) in self.entries.items():
            forget_modules(uid, spec_path.parent / "plugins")
            shutil.rmtree(spec_path.parent, ignore_errors=True)
        self.entries.clear()


_BUILDS = _Builds()


@pytest.fixture(scope="module", autouse=True)
def _clean_builds():
    yield
    _BUILDS.clear()


@ORACLE
@given(data=st.data())
def test_pruning_never_changes_a_result(data) -> None:
    job = data.draw(jobs(), label="job")
    note(job.describe())
    spec_path, built = _BUILDS.get(job)
    case = _Case(job, spec_path)
    errors = _errors(built)
    assume("PR502" not in errors)       # acyclic by construction; the analyzer may see more reads
    assert not errors, [str(d) for d in built.diagnostics()]
    # the analyzer's sets cover what the code truly does
    units = {}
    for unit in built.plan.units:
        if unit.class_ref:
            units.setdefault(unit.class_ref, unit)
    for proc in job.procs:
        unit = units[f"{proc.module}.{proc.name}"]
        assert unit.reads_all or proc.reads <= set(unit.reads), (unit.name, proc.reads, unit.reads)
        assert unit.writes_all or proc.writes <= set(unit.writes), (unit.name, proc.writes, unit.writes)
        assert unit.reads_all or not proc.reads_all, unit.name
        assert unit.writes_all or not proc.writes_all, unit.name
    changes = case.changes = data.draw(streams(job), label="stream")
    note(json.dumps([change_to_json(c) for c in changes]))
    run_oracle(spec_path, changes, plan_build=built, describe=job.describe())


def draw_case(data):
    """A random job that compiles without errors, and a random stream for it (both noted)."""
    job = data.draw(jobs(), label="job")
    note(job.describe())
    spec_path, built = _BUILDS.get(job)
    assume(not _errors(built))
    case = _Case(job, spec_path)
    changes = case.changes = data.draw(streams(job), label="stream")
    note(json.dumps([change_to_json(c) for c in changes]))
    return job, spec_path, built, changes


def _sqlite_stores(spec):
    connection = sqlite3.connect(":memory:", isolation_level=None)
    return {t.name: SqliteTable(connection, t.name, t.primary_key) for t in (*spec.sources, *spec.dimensions)}


@settings(ORACLE, max_examples=max(1, ORACLE.max_examples // 5))
@given(data=st.data())
def test_pruning_with_sqlite_tables_never_changes_a_result(data) -> None:
    """The same oracle with every source and dimension table of the pruning engines in SQLite."""
    job, spec_path, built, changes = draw_case(data)
    run_oracle(spec_path, changes, plan_build=built, describe=job.describe(), stores=_sqlite_stores)


# ---------------------------------------------------------------------------- shrunk counterexamples
def _fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if (p / "stream.json").exists()) if FIXTURES.exists() else []


@pytest.mark.parametrize("fixture", _fixtures(), ids=lambda p: p.name)
def test_fixture(fixture: Path, tmp_path: Path) -> None:
    shutil.copytree(fixture, tmp_path / "job", ignore=shutil.ignore_patterns("__pycache__"))
    modules = [p.stem for p in (tmp_path / "job" / "plugins").glob("*.py")]
    changes = changes_from_json(json.loads((tmp_path / "job" / "stream.json").read_text()))
    try:
        run_oracle(tmp_path / "job" / "job.yaml", changes)
    finally:
        for module in modules:
            forget_modules(module)
        forget_modules("\0", tmp_path / "job" / "plugins")


# ---------------------------------------------------------------------------- the reference job
def _ins(table: str, **row) -> Change:
    return Change(INSERT, table, None, row, None, 0)


def _upd(table: str, before: dict, **new) -> Change:
    after = {**before, **new}
    return Change(UPDATE, table, before, after, frozenset(f for f in after if before.get(f) != after[f]), 0)


def _del(table: str, **row) -> Change:
    return Change(DELETE, table, row, None, None, 0)


def _runs(stats_before: dict, stats_after: dict) -> set[str]:
    return {u for u, (run, _) in stats_after.items() if run > stats_before[u][0]}


def _replay_reference(changes: list[Change]):
    built = build(REFERENCE)
    return run_oracle(REFERENCE, changes, plan_build=built)


def test_reference_design_decisions() -> None:
    """DESIGN.md's four decisions, message by message, and a seller change fanning out to two items."""
    from pruner.runtime.engine import Engine, SinkTable

    built = build(REFERENCE)
    engine = Engine(built.spec, built.plan, "pruned")
    sink = SinkTable(built.spec.sink.fields, built.spec.sink.primary_key)
    setup = [_ins("sellers", b=1, c="s1"), _ins("items", id=1, a="x", b=1), _ins("items", id=2, a="y", b=1)]
    for change in setup:
        sink.apply_all(engine.process(change))
    item1 = {"id": 1, "a": "x", "b": 1}

    def step(change: Change) -> set[str]:
        before = {u: list(v) for u, v in engine.stats.units.items()}
        result = engine.process(change)
        assert isinstance(result, list), result
        sink.apply_all(result)
        return _runs(before, engine.stats.units)

    assert step(_upd("items", item1, a="z")) == {"UDTF1.P1", "UDTF2.P2"}           # a changes
    item1 = {**item1, "a": "z"}
    assert step(_upd("sellers", {"b": 1, "c": "s1"}, c="s2")) == {"J1"}             # c changes: P2 skipped
    assert step(_upd("items", item1, b=2)) == {"UDTF1.P1", "J1", "UDTF2.P2"}        # b changes
    dropped = engine.stats.dropped
    assert step(Change(UPDATE, "items", {**item1, "b": 2, "f": 1}, {**item1, "b": 2, "f": 2},
                       frozenset({"f"}), 0)) == set()                                # f: dropped
    assert engine.stats.dropped == dropped + 1
    assert sink.sorted_rows() == [
        {"id": 1, "a": "z", "b": 2, "c": None, "d": "z:2", "e": "Z:2"},
        {"id": 2, "a": "y", "b": 1, "c": "s2", "d": "y:1", "e": "Y:1"},
    ]


def test_reference_redelivered_message_runs_what_it_really_changes() -> None:
    """An old message delivered again is diffed against the row the engine holds: here it sets b
    back to 1 although it lists only a as changed, so J1 runs too (fixtures/oracle/redelivered_update)."""
    from pruner.runtime.engine import Engine, SinkTable

    built = build(REFERENCE)
    engine = Engine(built.spec, built.plan, "pruned")
    sink = SinkTable(built.spec.sink.fields, built.spec.sink.primary_key)
    r1 = {"id": 1, "a": "x", "b": 1}
    again = _upd("items", r1, a="y")
    for change in [_ins("sellers", b=1, c="s1"), _ins("sellers", b=2, c="s2"), _ins("items", **r1), again,
                   _upd("items", {**r1, "a": "y"}, b=2)]:
        sink.apply_all(engine.process(change))
    before = {u: list(v) for u, v in engine.stats.units.items()}
    sink.apply_all(engine.process(again))
    assert _runs(before, engine.stats.units) == {"UDTF1.P1", "J1", "UDTF2.P2"}
    assert sink.sorted_rows() == [{"id": 1, "a": "y", "b": 1, "c": "s1", "d": "y:1", "e": "Y:1"}]
    before = {u: list(v) for u, v in engine.stats.units.items()}             # once more: the row is
    dropped = engine.stats.dropped                                           # already as it says, so
    assert engine.process(again) == []                                       # nothing runs, although
    assert _runs(before, engine.stats.units) == set()                        # it lists a as changed
    assert engine.stats.dropped == dropped + 1


def test_reference_seller_change_fans_out() -> None:
    run = _replay_reference([
        _ins("sellers", b=1, c="s1"), _ins("items", id=1, a="x", b=1), _ins("items", id=2, a="y", b=1),
        _ins("items", id=3, a="z", b=2), _upd("sellers", {"b": 1, "c": "s1"}, c="s2"),
    ])
    assert [r["c"] for r in run.snapshot_rows] == ["s2", "s2", None]


def test_reference_item_moves_to_another_seller() -> None:
    run = _replay_reference([
        _ins("sellers", b=1, c="s1"), _ins("sellers", b=2, c="t1"),
        _ins("items", id=1, a="x", b=1),
        _upd("items", {"id": 1, "a": "x", "b": 1}, b=2),                  # moves to seller 2
        _upd("sellers", {"b": 1, "c": "s1"}, c="s2"),                     # no longer its seller
        _upd("sellers", {"b": 2, "c": "t1"}, c="t2"),                     # its seller now
        _del("sellers", b=1, c="s2"),
    ])
    assert run.snapshot_rows == [{"id": 1, "a": "x", "b": 2, "c": "t2", "d": "x:2", "e": "X:2"}]


def test_reference_delete_and_reinsert() -> None:
    run = _replay_reference([
        _ins("items", id=1, a="x", b=7),                                  # seller 7 does not exist yet
        _ins("sellers", b=7, c="late"),
        _del("items", id=1, a="x", b=7),
        _upd("sellers", {"b": 7, "c": "late"}, c="later"),                # reaches no row
        _ins("items", id=1, a="w", b=7),                                  # re-insert
        _del("sellers", b=7, c="later"),
        _ins("sellers", b=7, c="back"),
        Change(UPDATE, "items", None, {"id": 1, "a": "v", "b": 7}, None, 0),   # no before image
    ])
    assert run.snapshot_rows == [{"id": 1, "a": "v", "b": 7, "c": "back", "d": "v:7", "e": "V:7"}]


def test_reference_key_change_and_duplicates() -> None:
    row = {"id": 1, "a": "x", "b": 1}
    run = _replay_reference([
        _ins("sellers", b=1, c="s1"), _ins("items", **row),
        Change(UPDATE, "items", row, dict(row), frozenset(), 0),                 # changes nothing
        Change(UPDATE, "items", row, {**row, "id": 2}, frozenset({"id"}), 0),   # the key changes
        _upd("sellers", {"b": 1, "c": "s1"}, c="s2"),
        Change(UPDATE, "items", None, {"id": 9, "a": "q", "b": 1}, frozenset({"a"}), 0),  # unknown key
    ])
    assert [r["id"] for r in run.snapshot_rows] == [2, 9]
    assert {r["c"] for r in run.snapshot_rows} == {"s2"}
