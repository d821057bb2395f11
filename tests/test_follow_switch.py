"""A follower started with a new plan of its job switches to it (issue 17): the rows get the
fields the new code computes otherwise, then it goes on; the sink then equals a full run of the
new code from the start. Driven as the replication loop drives it (``Follower.transaction``);
tests/pg runs the PostgreSQL table's switch against a server.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from benchmarks.follow_restart import workload
from pruner.cli import main
from pruner.follow import Follower, FollowError, read_sink, sink_table
from pruner.runtime import snapshot as snapshots
from pruner.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "reference"
FILTER = '''

class DropB2(Processor):
    def process(self, row, out):
        out["keep"] = row["b"] != 2
'''
EDITS = {
    "P2's code (one field)": lambda folder: _replace(folder / "plugins" / "reference_udtfs.py", ".upper()", ".lower()"),
    "P1's code (two fields)": lambda folder: _replace(folder / "plugins" / "reference_udtfs.py",
                                                      "f\"{row['a']}:{row['b']}\"", "f\"{row['b']}/{row['a']}\""),
    "a new filter (full recompute)": lambda folder: _add_filter(folder),
    "a sink field removed (e)": lambda folder: _replace(folder / "job.yaml", "fields: [id, a, b, c, d, e]}",
                                                        "fields: [id, a, b, c, d]}"),
    # the source state is decoded again from every sink line (found by an adversary); a dimension's
    # field (a row source's would make the sink's rows otherwise: refused, a new sink)
    "a declared type (sellers.c: string)": lambda folder: _replace(folder / "job.yaml", "fields: [b, c]}",
                                                                   "fields: [b, c], types: {c: string}}"),
}


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _add_filter(folder: Path) -> None:
    plugins = folder / "plugins" / "reference_udtfs.py"
    plugins.write_text(plugins.read_text() + FILTER)
    _replace(folder / "job.yaml", "  - udtf: UDTF2\n", "  - filter: F1\n    class: reference_udtfs.DropB2\n"
                                                       "  - udtf: UDTF2\n")


def _version(tmp_path: Path, name: str, edit=None) -> tuple[Path, Path]:
    folder = tmp_path / name
    shutil.copytree(REFERENCE, folder, ignore=shutil.ignore_patterns("__pycache__", ".pruner-cache"))
    if edit is not None:
        edit(folder)
    plan = folder / "job.plan"
    assert main(["compile", str(folder / "job.yaml"), "-o", str(plan), "--no-cache"]) == 0
    return folder / "job.yaml", plan


def _run(job: Path, plan: Path, sink: Path, work, first: int, **options) -> Follower:
    follower = Follower(job, plan, sink, **options)
    for n, changes in enumerate(work):
        follower.transaction(first + n, first + n, changes)
    return follower


def _table(sink: Path, job: Path) -> list[dict]:
    return sink_table(sink, load_spec(job)).sorted_rows()


@pytest.mark.parametrize("mode", ["pruned", "stateless"])
@pytest.mark.parametrize("stop", ["clean stop", "crash"])
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_follower_switches_plans_and_the_sink_equals_the_new_code_run_from_the_start(
        tmp_path: Path, capsys, edit: str, stop: str, mode: str) -> None:
    old_job, old_plan = _version(tmp_path, "old")
    new_job, new_plan = _version(tmp_path, "new", EDITS[edit])
    capsys.readouterr()
    work = workload(11, 80)
    sink = tmp_path / "sink.jsonl"
    old = _run(old_job, old_plan, sink, work[:50], 1, mode=mode, snapshot_every=20)
    if stop == "clean stop":
        old.close()
    else:
        old.out.close()         # killed: 10 transactions after its last snapshot
    before = read_sink(sink)
    new = _run(new_job, new_plan, sink, work[50:], 51, mode=mode, snapshot_every=20)
    assert new.stats.switched and "plan changed" in new.stats.switched
    new.close()
    lines = read_sink(sink)
    assert lines[:len(before)] == before                          # nothing written is changed
    switch = [line for line in lines if "switch" in line]
    assert switch and all(not line["changes"] for line in switch)
    fields = {f for line in switch for r in line["records"] for f in r["fields"]}
    if edit.startswith("P2"):
        assert fields == {"id", "e"}
    elif edit.startswith("P1"):
        assert fields == {"id", "d", "e"}
    elif edit.startswith("a sink field removed"):
        assert fields == set() and switch[0]["switch"]["removed"] == ["e"]
    elif edit.startswith("a declared type"):
        assert new.stats.retyped and fields == {"id", "c"}, fields     # what depends on sellers
        assert "every sink line was decoded again" in new.stats.switched
    else:
        assert switch[0]["switch"]["full"] and any(r["op"] == "delete" for line in switch for r in line["records"])
    whole = tmp_path / "whole.jsonl"
    _run(new_job, new_plan, whole, work, 1, mode="full", snapshot_every=0).close()
    assert _table(sink, new_job) == _table(whole, new_job)
    spec = load_spec(new_job)       # every column a store applying the file holds: none of a removed field
    assert sink_table(sink, spec).rows == sink_table(whole, spec).rows
    # a restart now is an ordinary one: the snapshot is the new plan's
    again = Follower(new_job, new_plan, sink, mode=mode, snapshot_every=20)
    assert again.stats.switched is None and again.stats.snapshot_warning is None
    again.close()


def test_an_interrupted_switch_is_done_again_at_the_next_start(tmp_path: Path, monkeypatch) -> None:
    old_job, old_plan = _version(tmp_path, "old")
    new_job, new_plan = _version(tmp_path, "new", EDITS["P1's code (two fields)"])
    work = workload(12, 60)
    sink = tmp_path / "sink.jsonl"
    _run(old_job, old_plan, sink, work[:40], 1, snapshot_every=10).close()
    with monkeypatch.context() as patch:        # killed after writing the switch, before its snapshot
        patch.setattr(Follower, "snapshot", lambda self: False)
        first = Follower(new_job, new_plan, sink, snapshot_every=10)
        first.out.close()
    assert any("switch" in line for line in read_sink(sink))
    new = _run(new_job, new_plan, sink, work[40:], 41, snapshot_every=10)
    assert new.stats.switched
    new.close()
    assert sum("switch" in line for line in read_sink(sink)) == 2       # written again, same values
    whole = tmp_path / "whole.jsonl"
    _run(new_job, new_plan, whole, work, 1, mode="full", snapshot_every=0).close()
    assert _table(sink, new_job) == _table(whole, new_job)


def test_without_a_snapshot_naming_its_plan_the_old_behaviour_stays_and_says_so(tmp_path: Path) -> None:
    """A snapshot written before plan switches existed (no plan in it): set aside, everything
    replayed with the new plan, as before."""
    old_job, old_plan = _version(tmp_path, "old")
    new_job, new_plan = _version(tmp_path, "new", EDITS["P2's code (one field)"])
    sink = tmp_path / "sink.jsonl"
    _run(old_job, old_plan, sink, workload(13, 20), 1, snapshot_every=10).close()
    snap = Path(str(sink) + ".snapshot")
    head, body = snap.read_text().split("\n", 1)
    data = json.loads(body)
    del data["position"]["plan"]
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    header = json.loads(head)
    header["sha256"] = hashlib.sha256(body.encode()).hexdigest()
    snap.write_text(json.dumps(header) + "\n" + body + "\n")
    assert snapshots.read(snap.read_text())[1].get("plan") is None
    new = Follower(new_job, new_plan, sink, snapshot_every=10)
    assert new.stats.switched is None and "set aside" in new.stats.snapshot_warning
    new.close()


def test_a_switch_that_changes_the_sinks_rows_is_refused(tmp_path: Path) -> None:
    old_job, old_plan = _version(tmp_path, "old")

    def other_key(folder: Path) -> None:
        _replace(folder / "job.yaml", "items: {primary_key: [id], fields: [id, a, b]}",
                 "items: {primary_key: [id, a], fields: [id, a, b]}")
        _replace(folder / "job.yaml", "primary_key: [id], fields: [id, a, b, c, d, e]",
                 "primary_key: [id, a], fields: [id, a, b, c, d, e]")

    new_job, new_plan = _version(tmp_path, "new", other_key)
    sink = tmp_path / "sink.jsonl"
    _run(old_job, old_plan, sink, workload(14, 20), 1, snapshot_every=10).close()
    size = sink.stat().st_size
    with pytest.raises(FollowError, match="new sink file"):
        Follower(new_job, new_plan, sink, snapshot_every=10)
    assert sink.stat().st_size == size


def test_a_follower_of_another_job_is_refused_a_sink_file(tmp_path: Path) -> None:
    """Its snapshot names the job: another job's follower would take the file over (found by an
    adversary: it was accepted with a warning, the snapshot set aside)."""
    old_job, old_plan = _version(tmp_path, "old")
    other_job, other_plan = _version(tmp_path, "other", lambda folder: _replace(
        folder / "job.yaml", "name: reference", "name: another"))
    sink = tmp_path / "sink.jsonl"
    _run(old_job, old_plan, sink, workload(14, 20), 1, snapshot_every=10).close()
    size, snapshot = sink.stat().st_size, (tmp_path / "sink.jsonl.snapshot").read_bytes()
    with pytest.raises(FollowError, match="sink file of job 'reference'.*not of job 'another'"):
        Follower(other_job, other_plan, sink, snapshot_every=10)
    assert sink.stat().st_size == size and (tmp_path / "sink.jsonl.snapshot").read_bytes() == snapshot


def test_a_changed_processor_feeding_a_filter_is_a_full_recompute(tmp_path: Path) -> None:
    """The filter's code is the same, but what it reads comes from changed code: rows leave the
    sink, so the switch must delete them (a backfill of fields alone would leave them)."""
    def with_filter(folder: Path) -> None:
        plugins = folder / "plugins" / "reference_udtfs.py"
        plugins.write_text(plugins.read_text() + FILTER.replace("DropB2", "DropD").replace(
            'row["b"] != 2', 'not str(row["d"]).startswith("2")'))
        _replace(folder / "job.yaml", "  - udtf: UDTF2\n", "  - filter: F1\n    class: reference_udtfs.DropD\n"
                                                           "  - udtf: UDTF2\n")

    def edited(folder: Path) -> None:
        with_filter(folder)
        EDITS["P1's code (two fields)"](folder)

    old_job, old_plan = _version(tmp_path, "old", with_filter)
    new_job, new_plan = _version(tmp_path, "new", edited)
    from pruner.backfill import plan_backfill
    from pruner.planfile import read_plan
    plan = plan_backfill(read_plan(old_plan), read_plan(new_plan))
    assert plan.full and any("filter F1 reads" in why for why in plan.diff.full_recompute)
    work = workload(15, 60)
    sink = tmp_path / "sink.jsonl"
    _run(old_job, old_plan, sink, work[:55], 1, snapshot_every=10).close()
    new = _run(new_job, new_plan, sink, work[55:], 56, snapshot_every=10)
    new.close()
    deletes = [r for line in read_sink(sink) if "switch" in line for r in line["records"] if r["op"] == "delete"]
    assert deletes
    whole = tmp_path / "whole.jsonl"
    _run(new_job, new_plan, whole, work, 1, mode="full", snapshot_every=0).close()
    assert _table(sink, new_job) == _table(whole, new_job)


def test_backfill_from_a_follow_sink_file(tmp_path: Path, capsys) -> None:
    """`pruner backfill --follow-sink`: the source state is the changes the sink file holds."""
    from pruner.backfill import apply_output

    old_job, old_plan = _version(tmp_path, "old")
    new_job, new_plan = _version(tmp_path, "new", EDITS["P1's code (two fields)"])
    work = workload(16, 70)
    sink = tmp_path / "sink.jsonl"
    _run(old_job, old_plan, sink, work, 1, snapshot_every=0).close()
    out = tmp_path / "backfill.jsonl"
    capsys.readouterr()
    assert main(["backfill", str(new_job), "--plan", str(new_plan), "--from-plan", str(old_plan), "--follow-sink",
                 str(sink), "--out", str(out)]) == 0
    assert "backfill 2 of 6 sink fields (d, e)" in capsys.readouterr().err
    table = sink_table(sink, load_spec(old_job))
    head = apply_output(out, table.rows)
    assert head["fields"] == ["d", "e"]
    whole = tmp_path / "whole.jsonl"
    _run(new_job, new_plan, whole, work, 1, mode="full", snapshot_every=0).close()
    assert table.sorted_rows() == _table(whole, new_job)


def test_a_switch_with_dedup_sends_what_the_new_code_computes(tmp_path: Path) -> None:
    """With dedup the values last sent per key are the old code's: they are not carried over the
    switch, so no record of the new code is held back against an old value."""
    from pruner.runtime.dedup import Dedup

    old_job, old_plan = _version(tmp_path, "old")
    new_job, new_plan = _version(tmp_path, "new", EDITS["P1's code (two fields)"])
    work = workload(31, 60)
    sink = tmp_path / "sink.jsonl"
    _run(old_job, old_plan, sink, work[:30], 1, snapshot_every=7, dedup=Dedup()).close()
    new = _run(new_job, new_plan, sink, work[30:], 31, snapshot_every=7, dedup=Dedup())
    assert new.stats.switched
    new.close()
    whole = tmp_path / "whole.jsonl"
    _run(new_job, new_plan, whole, work, 1, mode="full", snapshot_every=0).close()
    assert _table(sink, new_job) == _table(whole, new_job)


def test_a_long_switch_reports_how_far_it_is(tmp_path: Path, monkeypatch) -> None:
    """A switch runs every row before the follower reads the source again: on a large table that
    takes a while, and the follower says how far it is (here every row: a report every 0 s)."""
    import io

    from pruner import backfill

    old_job, old_plan = _version(tmp_path, "old")
    new_job, new_plan = _version(tmp_path, "new", EDITS["P2's code (one field)"])
    sink = tmp_path / "sink.jsonl"
    _run(old_job, old_plan, sink, workload(14, 40), 1, snapshot_every=10).close()
    monkeypatch.setattr(backfill, "PROGRESS_EVERY_S", 0.0)
    progress = io.StringIO()
    new = Follower(new_job, new_plan, sink, snapshot_every=10, progress=progress)
    new.close()
    rows = int(new.stats.switched.split(": ")[-1].split(" rows")[0].replace(",", ""))
    reports = [line for line in progress.getvalue().split("\r") if line]
    assert rows > 1 and len(reports) == rows
    assert reports[-1].startswith(f"plan switch: {rows:,} of {rows:,} rows, ")
    assert progress.getvalue().endswith("\n")
    quiet = io.StringIO()
    again = Follower(new_job, new_plan, sink, snapshot_every=10, progress=quiet)
    again.close()
    assert again.stats.switched is None
    assert quiet.getvalue() == ""           # an ordinary restart: no switch, nothing to report
