"""`pruner follow` restarts from a snapshot of its engine (issue 16's bounded restart).

The follower is driven as the replication loop drives it (``Follower.transaction`` with
wal2json change texts), so no server is needed: the live and SIGKILL tests in tests/pg run
the same code against PostgreSQL.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pruner.follow import Follower, read_sink, sink_table
from pruner.spec import load_spec
from benchmarks.follow_restart import JOB, PLAN, wal2json_change as _change, workload as _workload


def _follow(sink: Path, transactions: list[list[str]], first_lsn: int, **options) -> Follower:
    follower = Follower(JOB, PLAN, sink, **options)
    for n, changes in enumerate(transactions):
        assert follower.transaction(first_lsn + n, n, changes)
    return follower


def test_a_restart_loads_the_snapshot_and_replays_only_what_came_after(tmp_path: Path) -> None:
    work = _workload(1, 60)
    sink = tmp_path / "sink.jsonl"
    follower = _follow(sink, work[:47], 100, snapshot_every=10)
    assert follower.stats.snapshots == 4
    follower.out.close()                                 # a crash: no snapshot at the stop
    restarted = Follower(JOB, PLAN, sink, snapshot_every=10)
    assert (restarted.stats.snapshot_lines, restarted.stats.replayed_transactions) == (40, 7)
    assert restarted.stats.snapshot_warning is None
    for n, changes in enumerate(work[47:], 47):
        assert restarted.transaction(100 + n, n, changes)
    restarted.close()
    uninterrupted = _follow(tmp_path / "whole.jsonl", work, 100, snapshot_every=0)
    uninterrupted.close()
    # the same lines, records included, as a follower that never stopped
    assert read_sink(sink) == read_sink(tmp_path / "whole.jsonl")
    full = _follow(tmp_path / "full.jsonl", work, 100, mode="full", snapshot_every=0)
    full.close()
    spec = load_spec(JOB)
    assert sink_table(sink, spec).sorted_rows() == sink_table(tmp_path / "full.jsonl", spec).sorted_rows()


@pytest.mark.parametrize("damage", ["checksum", "other plan", "sink replaced", "same length, other content",
                                    "sink shorter", "not json", "empty"])
def test_a_snapshot_that_is_not_this_sinks_is_set_aside_and_everything_replayed(tmp_path: Path, damage: str) -> None:
    work = _workload(2, 30)
    sink = tmp_path / "sink.jsonl"
    _follow(sink, work[:25], 1, snapshot_every=10).close()
    snap = Path(str(sink) + ".snapshot")
    text = snap.read_text()
    if damage == "checksum":
        snap.write_text(text.replace('"a', '"z', 1))
    elif damage == "other plan":
        head, body = text.split("\n", 1)
        snap.write_text(head + "\n" + body.replace(json.loads(body)["identity"]["plan_sha256"], "0" * 64))
    elif damage == "sink replaced":                    # another follower's file, as long
        lines = sink.read_bytes().split(b"\n")
        lines[-2] = lines[-2].replace(b'"end_lsn": 25', b'"end_lsn": 26')
        sink.write_bytes(b"\n".join(lines))
    elif damage == "same length, other content":        # the last line's LSN and length kept
        lines = sink.read_bytes().split(b"\n")
        at = lines[-2].index(b'"records"')
        changed = lines[-2][at:].replace(b'"a', b'"z', 1)   # a record's value, one byte
        assert changed != lines[-2][at:]
        lines[-2] = lines[-2][:at] + changed
        sink.write_bytes(b"\n".join(lines))
    elif damage == "sink shorter":
        data = sink.read_bytes()
        sink.write_bytes(data[:data.rfind(b"\n", 0, len(data) - 1) + 1])
    elif damage == "not json":
        snap.write_text("not a snapshot\n")
    else:
        snap.write_text("")
    restarted = Follower(JOB, PLAN, sink, snapshot_every=10)
    assert restarted.stats.snapshot_warning and "set aside" in restarted.stats.snapshot_warning
    assert restarted.stats.snapshot_lines == 0
    assert restarted.stats.replayed_transactions == len(read_sink(sink))
    for n, changes in enumerate(work[25:], 25):
        restarted.transaction(1 + n + 100, n, changes)
    restarted.close()
    fresh = tmp_path / "fresh.jsonl"
    sink_lines = read_sink(sink)
    replayed = Follower(JOB, PLAN, fresh, mode="full", snapshot_every=0)
    for line in sink_lines:
        replayed.transaction(line["end_lsn"], line["xid"], line["changes"])
    replayed.close()
    spec = load_spec(JOB)
    assert sink_table(sink, spec).sorted_rows() == sink_table(fresh, spec).sorted_rows()


def test_a_torn_snapshot_write_leaves_the_previous_one(tmp_path: Path) -> None:
    work = _workload(3, 25)
    sink = tmp_path / "sink.jsonl"
    follower = _follow(sink, work[:20], 1, snapshot_every=10)
    follower.out.close()
    Path(str(sink) + ".snapshot.tmp").write_text('{"format": "pruner-engine-snapsh')   # killed mid-write
    restarted = Follower(JOB, PLAN, sink, snapshot_every=10)
    assert (restarted.stats.snapshot_lines, restarted.stats.replayed_transactions) == (20, 0)
    restarted.close()


def test_no_snapshots_replays_the_whole_file(tmp_path: Path) -> None:
    sink = tmp_path / "sink.jsonl"
    _follow(sink, _workload(4, 12), 1, snapshot_every=0).close()
    assert not Path(str(sink) + ".snapshot").exists()
    restarted = Follower(JOB, PLAN, sink, snapshot_every=0)
    assert (restarted.stats.snapshot_lines, restarted.stats.replayed_transactions) == (0, 12)
    restarted.close()


def test_restart_time_does_not_grow_with_the_history(tmp_path: Path) -> None:
    """What a restart reads and replays is bounded by the snapshot interval: the count is the
    check (times are the benchmark's), after 200 and after 2,000 transactions."""
    work = _workload(5, 2000)
    replayed = {}
    for n in (200, 2000):
        sink = tmp_path / f"sink{n}.jsonl"
        follower = _follow(sink, work[:n - 3], 1, snapshot_every=50)
        follower.out.close()
        start = time.perf_counter()
        restarted = Follower(JOB, PLAN, sink, snapshot_every=50)
        replayed[n] = (restarted.stats.replayed_transactions, time.perf_counter() - start)
        restarted.close()
    assert replayed[200][0] == replayed[2000][0] == 47


@pytest.mark.parametrize("snapshots", [0, 7])
def test_dedup_in_follow_sends_only_real_changes_across_restarts(tmp_path: Path, snapshots: int) -> None:
    """`pruner follow --dedup`: the sink table is full mode's, the lines are those of a follower
    that never stopped (the values last sent per key come back from the snapshot, or from
    replaying the sink file), and fields that did not really change are not sent."""
    from pruner.runtime.dedup import Dedup
    work = _workload(6, 80)
    sink = tmp_path / "sink.jsonl"
    follower = _follow(sink, work[:33], 1, snapshot_every=snapshots, dedup=Dedup())
    follower.out.close()                                 # a crash
    restarted = Follower(JOB, PLAN, sink, snapshot_every=snapshots, dedup=Dedup())
    assert restarted.stats.snapshot_lines == (28 if snapshots else 0)
    for n, changes in enumerate(work[33:], 33):
        restarted.transaction(1 + n, n, changes)
    unchanged = restarted.engine.stats.dedup.fields["e"][1]
    restarted.close()
    _follow(tmp_path / "whole.jsonl", work, 1, snapshot_every=0, dedup=Dedup()).close()
    assert read_sink(sink) == read_sink(tmp_path / "whole.jsonl")
    _follow(tmp_path / "full.jsonl", work, 1, mode="full", snapshot_every=0).close()
    spec = load_spec(JOB)
    assert sink_table(sink, spec).sorted_rows() == sink_table(tmp_path / "full.jsonl", spec).sorted_rows()
    assert unchanged > 0                                 # e left out of records where it did not change
    assert any("e" not in record["fields"] for line in read_sink(sink) for record in line["records"]
               if record["op"] == "upsert" and "d" in record["fields"])


def test_dedup_needs_the_stateful_mode(tmp_path: Path) -> None:
    from pruner.follow import FollowError
    from pruner.runtime.dedup import Dedup
    with pytest.raises(FollowError, match="stateful mode"):
        Follower(JOB, PLAN, tmp_path / "sink.jsonl", mode="full", dedup=Dedup())


def test_the_cli_refuses_dedup_outside_pruned_mode_and_a_negative_interval(tmp_path: Path, capsys) -> None:
    from pruner.cli import main
    base = ["follow", str(JOB), "--plan", str(PLAN), "--dsn", "postgresql://nobody@127.0.0.1:1/x",
            "--sink-out", str(tmp_path / "sink.jsonl")]
    assert main([*base, "--dedup", "--mode", "full"]) == 2
    assert "--dedup needs --mode pruned" in capsys.readouterr().err
    assert main([*base, "--dedup-ttl", "5"]) == 2
    assert "need --dedup" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main([*base, "--snapshot-every", "-1"])
    assert stop.value.code == 2 and "negative" in capsys.readouterr().err


def test_a_dedup_switch_between_runs_never_holds_a_record_back(tmp_path: Path) -> None:
    """Run 1 with --dedup, run 2 without (its record changes `a`), run 3 with --dedup again: the
    values last sent, kept under run 1's dedup, are not the sink's any more; run 3 must not take
    them (adversary round 6: it held back the record that set `a` back)."""
    from pruner.runtime.dedup import Dedup
    sink = tmp_path / "sink.jsonl"
    seller = _change("I", "sellers", {"b": 1, "c": "x"})
    first = {"id": 1, "a": "dec", "b": 1}
    runs = [(Dedup(), [seller, _change("I", "items", first)]),
            (None, [_change("U", "items", {**first, "a": "plain"}, first)]),
            (Dedup(), [_change("U", "items", first, {**first, "a": "plain"})])]
    lsn = 0
    for dedup, changes in runs:
        follower = Follower(JOB, PLAN, sink, snapshot_every=1, dedup=dedup)
        assert follower.stats.snapshot_warning is None
        lsn += 1
        follower.transaction(lsn, lsn, changes)
        follower.close()
    assert sink_table(sink, load_spec(JOB)).sorted_rows()[0]["a"] == "dec"


def test_a_transaction_with_no_changes_then_a_restart_keeps_the_snapshot(tmp_path: Path) -> None:
    sink = tmp_path / "sink.jsonl"
    follower = _follow(sink, _workload(8, 5), 100)
    follower.transaction(200, 200, [])                   # begin and commit, nothing of the job's
    follower.close()                                     # the stop's snapshot: at 200, its last line 104
    restarted = Follower(JOB, PLAN, sink)
    assert restarted.stats.snapshot_warning is None and restarted.stats.snapshot_lines == 5
    assert restarted.done_lsn == 200
    restarted.close()


def test_a_snapshot_that_cannot_be_written_turns_snapshots_off_with_a_warning(tmp_path: Path) -> None:
    sink = tmp_path / "sink.jsonl"
    Path(str(sink) + ".snapshot.tmp").mkdir()              # the write fails (a folder in the way)
    follower = _follow(sink, _workload(9, 6), 1, snapshot_every=2)
    assert follower.stats.snapshots == 0 and "no snapshots" in follower.stats.snapshot_warning
    follower.close()
    restarted = Follower(JOB, PLAN, sink, snapshot_every=2)
    assert restarted.stats.replayed_transactions == 6
    restarted.release()
