"""`pruner backfill` and the plan switch, checked against execution.

The property (hypothesis, random jobs of tests/runtime/oracle_jobs.py, random streams with
redeliveries and out-of-order images, random edits): the sink a full run of the OLD code built,
with the backfill's records applied, equals a full run of the NEW code, on every row and field;
and so does a follower that runs the old code on the first part of the stream, switches to the
new plan (``restore_source_state`` + ``backfill_rows(keep=True)``) and goes on with the rest.
Edits: one Processor's code, a shared helper, a DimJoin's fields or key, a filter, a Processor
removed, a Processor added.
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

from pruner.backfill import (BackfillError, apply_output, backfill_rows, plan_backfill, read_output,
                             restore_source_state)
from pruner.diagnostics import Severity
from pruner.runtime import snapshot
from benchmarks.backfill import EDITS as EDITS_ECOMMERCE
from tests.ecommerce_edits import EDITS_HARD

ROOT = Path(__file__).resolve().parents[1]
ECOMMERCE = ROOT / "examples" / "ecommerce"
CLOCK = {"indexed_at", "index_lag_ms"}     # stamped with the wall clock: differ between any two runs


# ---------------------------------------------------------------------- random edits
def _edit_class(job, draw):
    procs = [p for p in job.procs if p.source and "_num(" in p.source and p.name != "Keep"]
    if not procs:
        return None
    proc = draw(st.sampled_from(procs))
    source = job.modules[proc.module]
    edited = source.replace(proc.source, proc.source.replace("_num(", "_num2("))
    return {**job.modules, proc.module: edited + "\n\ndef _num2(v):\n    return (_num(v) + 1) % 7\n"}, job.steps


def _edit_helper(job, draw):
    common = next(name for name in job.modules if name.endswith("_common"))
    return {**job.modules, common: job.modules[common].replace("(x * 3 + y) % 7", "(x * 5 + y) % 7")}, job.steps


def _edit_filter(job, draw):
    module = next((name for name in job.modules if name.endswith("_filt")), None)
    if module is None:
        return None
    text = job.modules[module]
    edited = re.sub(r'out\["keep"\] = (.*)$', r'out["keep"] = not (\1)', text, count=1, flags=re.M)
    return {**job.modules, module: edited}, job.steps


def _dimjoin_lines(job) -> list[int]:
    return [i for i, line in enumerate(job.steps) if line.startswith("  - dimjoin:")]


def _edit_dimjoin_fields(job, draw):
    joins = _dimjoin_lines(job)
    if not joins:
        return None
    at = draw(st.sampled_from(joins)) + 3
    fetched = [f.strip() for f in job.steps[at].split("[", 1)[1].rstrip("]").split(",")]
    others = [f for f in job.dims[1:] if f not in fetched]
    if others and (len(fetched) == 1 or draw(st.booleans())):
        fetched.append(draw(st.sampled_from(others)))
    elif len(fetched) > 1:
        fetched.remove(draw(st.sampled_from(fetched)))
    else:
        return None
    steps = list(job.steps)
    steps[at] = f"    fields: [{', '.join(fetched)}]"
    return job.modules, steps


def _edit_dimjoin_key(job, draw):
    joins = _dimjoin_lines(job)
    if not joins:
        return None
    at = draw(st.sampled_from(joins)) + 2
    on = draw(st.sampled_from(job.items[1:]))
    steps = list(job.steps)
    if steps[at] == f"    on: {{{on}: k}}":
        return None
    steps[at] = f"    on: {{{on}: k}}"
    return job.modules, steps


def _udtfs(job) -> list[tuple[str, str]]:
    """(module, class) of each UDTF."""
    found = []
    for line in job.steps:
        if line.startswith("    class: ") and "_u" in line:
            module, _, name = line.split(": ", 1)[1].rpartition(".")
            if name.startswith("U"):
                found.append((module, name))
    return found


def _edit_remove(job, draw):
    choices = []
    for module, name in _udtfs(job):
        match = re.search(rf"class {name}\(UDTF\):\n    processors = \[(.*)\]", job.modules[module])
        if match and "," in match.group(1):
            choices.append((module, match))
    if not choices:
        return None
    module, match = draw(st.sampled_from(choices))
    names = [n.strip() for n in match.group(1).split(",")]
    names.remove(draw(st.sampled_from(names)))
    text = job.modules[module]
    edited = text[:match.start(1)] + ", ".join(names) + text[match.end(1):]
    return {**job.modules, module: edited}, job.steps


def _edit_add(job, draw):
    udtfs = _udtfs(job)
    if not udtfs:
        return None
    module, name = draw(st.sampled_from(udtfs))
    target = draw(st.sampled_from(job.sink[1:]))
    read = draw(st.sampled_from(job.items[1:]))
    text = job.modules[module]
    match = re.search(rf"class {name}\(UDTF\):\n    processors = \[(.*)\]", text)
    if match is None:
        return None
    added = (f"class Added(Processor):\n    def process(self, row, out):\n"
             f"        out[\"{target}\"] = _mix(_num(row.get(\"{read}\")), 2)\n\n\n")
    edited = text[:match.start()] + added + text[match.start():match.end(1)] + ", Added" + text[match.end(1):]
    return {**job.modules, module: edited}, job.steps


def _edit_sink_removed(job, draw):
    """A sink field leaves the job (what wrote it may stay, writing an internal field)."""
    if len(job.sink) < 3:
        return None
    gone = draw(st.sampled_from(job.sink[1:]))
    return job.modules, job.steps, tuple(f for f in job.sink if f != gone)


EDITS = {"one class": _edit_class, "a sink field removed": _edit_sink_removed, "a shared helper": _edit_helper, "a filter": _edit_filter,
         "a DimJoin's fields": _edit_dimjoin_fields, "a DimJoin's key": _edit_dimjoin_key,
         "a Processor removed": _edit_remove, "a Processor added": _edit_add}


# ---------------------------------------------------------------------- running one version
class Version:
    """One version of a job, built and imported; its engines run while it is open."""

    def __init__(self, job, folder: Path) -> None:
        from pruner.compiler import build

        self.job, self.folder = job, folder
        self.spec_path = job.write(folder)
        built = build(self.spec_path)
        self.errors = [d for d in built.diagnostics() if d.severity is Severity.ERROR]
        self.spec, self.plan = built.spec, built.plan

    def engine(self, mode: str):
        from pruner.runtime.engine import Engine

        return Engine(self.spec, self.plan, mode)

    def close(self) -> None:
        from tests.runtime.oracle_jobs import forget_modules

        forget_modules(self.job.uid, self.folder / "plugins")


def _table(spec):
    from pruner.runtime.engine import SinkTable

    return SinkTable(spec.sink.fields, spec.sink.primary_key)


def _run(engine, changes, table) -> bool:
    """Run `changes`; False when one is a dead letter (the modes then differ by design)."""
    for change in changes:
        result = engine.process(change)
        if not isinstance(result, list):
            return False
        table.apply_all(result)
    return True


def _dropped(rows: dict[tuple, dict], removed) -> dict[tuple, dict]:
    """What a store does with a backfill's (or a switch marker's) removed fields (``apply_output``)."""
    for row in rows.values():
        for name in removed:
            row.pop(name, None)
    return rows


def _rows(table, fields) -> dict[tuple, dict]:
    return {key: {f: row.get(f) for f in fields} for key, row in table.rows.items()}


@settings(max_examples=int(os.environ.get("BACKFILL_EXAMPLES", 30)), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_old_sink_plus_backfill_equals_a_full_run_of_the_new_code(data, tmp_path_factory) -> None:
    from tests.runtime.oracle_jobs import jobs, streams

    job = data.draw(jobs(), label="job")
    changes = data.draw(streams(job, max_size=30), label="stream")
    kind = data.draw(st.sampled_from(sorted(EDITS)), label="edit")
    edited = EDITS[kind](job, data.draw)         # (modules, steps[, sink fields])
    assume(edited is not None and edited[:2] + (edited[2:] or (job.sink,)) != (job.modules, job.steps, job.sink))
    cut = data.draw(st.integers(0, len(changes)), label="switch after")
    mode = data.draw(st.sampled_from(("pruned", "stateless")), label="follower mode")
    folder = tmp_path_factory.mktemp("backfill")

    old = Version(job, folder / "old")
    try:
        assume(not old.errors)
        old_full = _table(old.spec)
        assume(_run(old.engine("full"), changes, old_full))
        follower = old.engine(mode)
        followed = _table(old.spec)
        assume(_run(follower, changes[:cut], followed))
        identity = {"plan": "old"}
        text = snapshot.dumps(follower, identity, {})
        old_state = snapshot.loads(text, identity)[1]
    finally:
        old.close()

    original = (job.modules, job.steps, job.sink)
    job.modules, job.steps = edited[:2]
    job.sink = edited[2] if len(edited) > 2 else job.sink
    try:
        new = Version(job, folder / "new")
    finally:
        job.modules, job.steps, job.sink = original
    try:
        assume(not new.errors)
        plan = plan_backfill(old.plan, new.plan)
        note(f"edit: {kind}; {plan.describe()}")
        event(f"{kind}: {'replace' if plan.replace else 'full' if plan.full else 'fields' if plan.fields else 'none'}")
        new_full = _table(new.spec)
        assume(_run(new.engine("full"), changes, new_full))

        # the backfill over the final source state, applied to the old version's sink
        state = new.engine("batch")
        assert _run(state, changes, _table(new.spec))
        backfilled = _table(new.spec)
        if not plan.replace:
            backfilled.rows = _dropped({key: dict(row) for key, row in old_full.rows.items()}, plan.removed)
        stats = backfill_rows(state, plan, backfilled.apply)
        assume(not stats.dead_letters)
        fields = new.spec.sink.fields
        expected = _rows(new_full, fields)
        assert backfilled.rows == new_full.rows     # every column the sink holds, not only the new job's
        if plan.needed and not plan.full:
            assert stats.units_run == len(plan.run) * stats.rows

        # the diff never misses a field whose values changed
        if not plan.full:
            old_rows = _rows(old_full, fields)
            changed = {f for key in set(old_rows) | set(expected) for f in fields
                       if old_rows.get(key, {}).get(f) != expected.get(key, {}).get(f)}
            assert changed <= set(plan.fields), (changed, plan.fields)

        # a follower switching plans after `cut` changes, then going on
        engine = new.engine(mode)
        was = restore_source_state(engine, old_state)
        if plan.replace:
            followed.rows.clear()
        followed.rows = _dropped(followed.rows, plan.removed)
        switched = backfill_rows(engine, plan, followed.apply, keep=True, was=was)
        assume(not switched.dead_letters)
        assume(_run(engine, changes[cut:], followed))
        assert followed.rows == new_full.rows
    finally:
        new.close()


def test_a_state_of_other_tables_is_refused() -> None:
    from pruner.compiler import build

    built = build(ROOT / "examples" / "reference" / "job.yaml")
    from pruner.runtime.engine import Engine

    engine = Engine(built.spec, built.plan, "pruned")
    with pytest.raises(BackfillError, match="tables changed"):
        restore_source_state(engine, {"tables": {"other": []}, "in_sink": []})


# ---------------------------------------------------------------------- the CLI on the ecommerce job
def _copy(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(ECOMMERCE, folder, ignore=shutil.ignore_patterns("stream.*", "__pycache__", ".pruner-cache"))
    return folder


def _pruner(*args: str) -> subprocess.CompletedProcess:
    """The CLI in a process of its own (each version imports its own plugin modules)."""
    return subprocess.run([sys.executable, "-m", "pruner.cli", *args], capture_output=True, text=True, cwd=ROOT)


def _sink_rows(path: Path) -> dict[tuple, dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return {(row["id"],): {k: v for k, v in row.items() if k not in CLOCK} for row in rows}


@pytest.fixture(scope="module")
def stream() -> Path:
    return ECOMMERCE / "stream.debezium.jsonl"


@pytest.mark.parametrize("name", sorted(EDITS_ECOMMERCE))
def test_backfill_cli_gives_the_new_versions_table(tmp_path: Path, stream: Path, name: str) -> None:
    old, new = _copy(tmp_path, "old"), _copy(tmp_path, "new")
    path, edit = EDITS_ECOMMERCE[name]
    target = new / path
    edited = edit(target.read_text())
    assert edited != target.read_text(), "the edit applies"
    target.write_text(edited)
    head, stats, sink_fields = _old_plus_backfill_is_new(tmp_path, old, new, stream)
    if name == "filter":
        assert head["full"] and stats["units_run"] == stats["full_recompute_units"]
    else:
        assert not head["full"] and stats["units_run"] < stats["full_recompute_units"]
        assert len(head["fields"]) < len(sink_fields)


# The edits whose backfill differs in kind (types: replace, table-wide fields, decoding; removed
# fields; one of each kind of code change); tests/test_diff.py runs the diff on all of them, and
# the backfill property checks that a backfill of what the diff names is the new table.
BACKFILLED = [name for name in EDITS_HARD if "type" in name or "sink field" in name or name in (
    "a helper imported in try/except ImportError", "a data file read at import time",
    "a package __init__ that changes its submodule", "a module imported for its side effects",
    "a metaclass operator", "a renamed source field in the sink")]


@pytest.mark.parametrize("name", BACKFILLED)
def test_backfill_cli_after_edits_the_diff_once_missed(tmp_path: Path, stream: Path, name: str) -> None:
    """A helper behind an import form, a data file, code with effects, declared types, removed
    sink fields (tests/ecommerce_edits.py): old sink + backfill is the new version's table."""
    old, new = _copy(tmp_path, "old"), _copy(tmp_path, "new")
    both, edit = EDITS_HARD[name]
    if both is not None:
        both(old)
        both(new)
    edit(new)
    head, stats, _ = _old_plus_backfill_is_new(tmp_path, old, new, stream)
    assert head["full"] or stats["upserts"], "the edit changes values: the backfill must write some"


def _old_plus_backfill_is_new(tmp_path: Path, old: Path, new: Path, stream: Path) -> tuple[dict, dict, list]:
    """Replay the stream into each version's sink, backfill from the old plan to the new one, and
    check that the old sink with the backfill applied is the new version's sink."""
    for folder in (old, new):
        done = _pruner("compile", str(folder / "job.yaml"), "-o", str(folder / "job.plan"), "--no-cache")
        assert done.returncode == 0, done.stderr
        done = _pruner("replay", str(folder / "job.yaml"), "--plan", str(folder / "job.plan"), "--input", str(stream),
                       "--format", "debezium-json", "--mode", "full", "--sink-out", str(folder / "sink.jsonl"),
                       "--quiet")
        assert done.returncode in (0, 3), done.stderr       # 3: dead letters (a type that refuses values)
    out = tmp_path / "backfill.jsonl"
    done = _pruner("backfill", str(new / "job.yaml"), "--plan", str(new / "job.plan"), "--from-plan",
                   str(old / "job.plan"), "--input", str(stream), "--format", "debezium-json", "--out", str(out),
                   "--stats-out", str(tmp_path / "stats.json"))
    assert done.returncode == 0, done.stderr
    rows = {key: dict(row) for key, row in _sink_rows(old / "sink.jsonl").items()}
    head = apply_output(out, rows)
    for row in rows.values():
        for field in CLOCK:
            row.pop(field, None)
    expected = _sink_rows(new / "sink.jsonl")
    sink_fields = [f for f in next(iter(expected.values())) if f not in CLOCK]
    assert rows == expected         # every column the sink holds: none of a field the job no longer has
    assert "unit runs (a full recompute:" in done.stderr
    return head, json.loads((tmp_path / "stats.json").read_text()), sink_fields


def test_backfill_goes_on_after_an_interruption(tmp_path: Path, stream: Path) -> None:
    """A torn output (cut at a random byte, as by a crash) is completed by the same command, and
    the result is the one an uninterrupted run writes; a finished output is left alone."""
    old, new = _copy(tmp_path, "old"), _copy(tmp_path, "new")
    target = new / "plugins" / "item_processors.py"
    target.write_text(target.read_text().replace('(50.0, "low")', '(40.0, "low")'))
    for folder in (old, new):
        assert _pruner("compile", str(folder / "job.yaml"), "-o", str(folder / "job.plan"),
                       "--no-cache").returncode == 0
    args = ["backfill", str(new / "job.yaml"), "--plan", str(new / "job.plan"), "--from-plan", str(old / "job.plan"),
            "--input", str(stream), "--format", "debezium-json", "--quiet"]
    whole = tmp_path / "whole.jsonl"
    assert _pruner(*args, "--out", str(whole)).returncode == 0
    data = whole.read_bytes()
    lines = data.splitlines(keepends=True)
    assert len(lines) > 10
    cut = tmp_path / "cut.jsonl"
    for at in (len(lines[0]) - 3, len(lines[0]) + len(lines[1]) + 5, random.Random(7).randrange(len(data) - 60),
               len(data) - len(lines[-1])):                     # every record written, not the done line
        cut.write_bytes(data[:at])
        done = _pruner(*args, "--out", str(cut))
        assert done.returncode == 0, done.stderr
        assert cut.read_bytes().rsplit(b"\n", 2)[0] == data.rsplit(b"\n", 2)[0]   # all but the counts
        resume = read_output(cut, json.loads(lines[0]))
        assert resume is not None and resume.done
        counts = ("rows", "upserts", "deletes", "fields_written")    # of the whole output (found by an adversary)
        whole_done, cut_done = (json.loads(f.read_bytes().splitlines()[-1])["done"] for f in (whole, cut))
        assert {k: cut_done[k] for k in counts} == {k: whole_done[k] for k in counts}
    done = _pruner(*args[:-1], "--out", str(cut))
    assert done.returncode == 0 and "complete already" in done.stderr
    other = tmp_path / "other.plan"
    shutil.copy(old / "job.plan", other)
    done = _pruner(*[a if a != str(old / "job.plan") else str(new / "job.plan") for a in args], "--out", str(cut))
    assert done.returncode == 2 and "another backfill" in done.stderr
    # the same command with --ignore-positions reads another source state: not mixed in (found by an adversary)
    half = tmp_path / "half.jsonl"
    half.write_bytes(data[:len(lines[0]) + len(lines[1]) + 5])
    done = _pruner(*args, "--ignore-positions", "--out", str(half))
    assert done.returncode == 2 and "another backfill" in done.stderr and "ignore_positions" in done.stderr


def test_backfill_cli_refusals(tmp_path: Path, stream: Path) -> None:
    plan = ROOT / "compiled_plans" / "ecommerce.plan"
    job = ECOMMERCE / "job.yaml"
    done = _pruner("backfill", str(job), "--plan", str(plan), "--from-plan", str(plan), "--input", str(stream),
                   "--out", str(tmp_path / "o.jsonl"))
    assert done.returncode == 2 and "--input needs --format" in done.stderr
    done = _pruner("backfill", str(job), "--plan", str(plan), "--from-plan", str(plan), "--input", str(stream),
                   "--format", "debezium-json", "--out", str(stream))
    assert done.returncode == 2 and "same file" in done.stderr
    done = _pruner("backfill", str(job), "--plan", str(plan), "--from-plan", str(plan), "--input", str(stream),
                   "--format", "debezium-json", "--out", str(tmp_path / "o.jsonl"))
    assert done.returncode == 0 and "no backfill needed" in done.stderr
    other = ROOT / "compiled_plans" / "reference.plan"          # another job's plan (found by an adversary)
    done = _pruner("backfill", str(job), "--plan", str(plan), "--from-plan", str(other), "--input", str(stream),
                   "--format", "debezium-json", "--out", str(tmp_path / "p.jsonl"))
    assert done.returncode == 2 and "of job 'reference'" in done.stderr
    assert not (tmp_path / "p.jsonl").exists()
    assert [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()][-1]["done"]["upserts"] == 0


def test_backfill_with_a_dim_store_reads_it_and_leaves_it_as_it_was(tmp_path: Path, stream: Path) -> None:
    from pruner.backfill import file_sha256

    old, new = _copy(tmp_path, "old"), _copy(tmp_path, "new")
    path, edit = EDITS_ECOMMERCE["seller-score formula"]
    (new / path).write_text(edit((new / path).read_text()))
    store = tmp_path / "dims.db"
    for folder, extra in ((old, ["--dim-store", str(store)]), (new, [])):
        assert _pruner("compile", str(folder / "job.yaml"), "-o", str(folder / "job.plan"), "--no-cache").returncode == 0
        done = _pruner("replay", str(folder / "job.yaml"), "--plan", str(folder / "job.plan"), "--input", str(stream),
                       "--format", "debezium-json", "--mode", "full", "--sink-out", str(folder / "sink.jsonl"),
                       "--quiet", *extra)
        assert done.returncode == 0, done.stderr
    digest = file_sha256(store)
    out = tmp_path / "backfill.jsonl"
    done = _pruner("backfill", str(new / "job.yaml"), "--plan", str(new / "job.plan"), "--from-plan",
                   str(old / "job.plan"), "--input", str(stream), "--format", "debezium-json", "--dim-store", str(store),
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert file_sha256(store) == digest
    rows = {key: dict(row) for key, row in _sink_rows(old / "sink.jsonl").items()}
    head = apply_output(out, rows)
    assert head["fields"] == ["seller_score"] and head["dim_store"] == str(store.resolve())
    assert {k: {f: v for f, v in r.items() if f not in CLOCK} for k, r in rows.items()} == _sink_rows(new / "sink.jsonl")


def test_backfill_to_stdout(tmp_path: Path, stream: Path) -> None:
    """`--out /dev/stdout` (a pipe): written through, header first and done line last."""
    plan = ROOT / "compiled_plans" / "ecommerce.plan"
    done = _pruner("backfill", str(ECOMMERCE / "job.yaml"), "--plan", str(plan), "--from-plan", str(plan),
                   "--input", str(stream), "--format", "debezium-json", "--out", "/dev/stdout", "--quiet")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["format"] == "cdc-pruner-backfill" and "done" in lines[-1]
