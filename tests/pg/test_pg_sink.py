"""`pruner follow --sink postgresql://...#schema.table`: a wide table written exactly once.

Live: the source is a real PostgreSQL with wal2json, the sink a table in another database of
the same server (and once in the source database itself). The table must equal what full
mode and the batch job give, through group commits, clean stops, and SIGKILLs at random moments.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from pruner.follow import FollowError, follow, sink_table
from pruner.pg_sink import PgSink, SinkError, column_type, parse_sink_url
from pruner.spec import load_spec
from tests.pg.test_follow import JOB, PLAN, ROOT, _batch, _database, _json, _random_dml, _reference_tables, _s, _slot, _sql


def _rows(url: str) -> list[dict]:
    dsn, schema, table = parse_sink_url(url)
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{schema}"."{table}" ORDER BY id')
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    connection.close()
    return _json(rows)


def _checkpoint(url: str, name: str) -> tuple[int, int, bool]:
    dsn, schema, _ = parse_sink_url(url)
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT end_lsn, snapshot_lsn, snapshot IS NOT NULL FROM "{schema}".pruner_checkpoint '
                       "WHERE sink = %s", (name,))
        found = cursor.fetchone()
    connection.close()
    return found


def _source(pg, *slots: str) -> str:
    """A new database with the reference job's tables and these slots; its DSN."""
    dsn = _database(pg)
    _reference_tables(dsn)
    for slot in slots:
        _slot(dsn, slot)
    return dsn


def _full(dsn: str, tmp_path: Path) -> list[dict]:
    follow(JOB, PLAN, dsn, tmp_path / "full.jsonl", slot=_s(dsn, "full"), mode="full", idle_exit=1.0)
    return _json(sink_table(tmp_path / "full.jsonl", load_spec(JOB)).sorted_rows())


@pytest.mark.parametrize("seed", [1, 2])
def test_the_table_equals_full_and_batch_with_group_commits(pg, tmp_path: Path, seed: int) -> None:
    dsn = _source(pg, "s", "full")
    sink_db = _database(pg)
    _sql(dsn, *_random_dml(seed, 60))
    url = f"{sink_db}#wide.items_index"
    stats = follow(JOB, PLAN, dsn, url, slot=_s(dsn, "s"), idle_exit=1.0, group_max=7, group_ms=60_000)
    assert 50 <= stats.transactions <= 60 and not stats.dead_letters
    assert stats.snapshots == 1                        # at the stop (every 1000 otherwise)
    assert _rows(url) == _full(dsn, tmp_path) == _json(_batch(dsn))
    end_lsn, snapshot_lsn, has_snapshot = _checkpoint(url, _s(dsn, "s"))
    assert end_lsn == snapshot_lsn == stats.end_lsn and has_snapshot


def test_a_restart_goes_on_from_the_snapshot_and_writes_nothing_twice(pg, tmp_path: Path, monkeypatch) -> None:
    """Killed after 12 transactions with snapshots every 5, the table holds 12 but the source
    was told to drop only 10: the restart loads the snapshot, runs 11 and 12 again without
    writing them, and goes on."""
    from pruner.pg_sink import PgFollower
    dsn = _source(pg, "s", "full")
    sink_db = _database(pg)
    transactions = _random_dml(4, 40)
    _sql(dsn, *transactions[:25])
    url = f"{sink_db}#items_index"
    with monkeypatch.context() as patch:             # a crash after the twelfth commit: no stop's snapshot
        patch.setattr(PgFollower, "close", PgFollower.release)
        first = follow(JOB, PLAN, dsn, url, slot=_s(dsn, "s"), max_transactions=12, snapshot_every=5, group_max=1)
    assert first.transactions == 12 and first.snapshots == 2
    # as a crash after the twelfth commit would leave it: the checkpoint at 12, the snapshot at 10
    sink = PgSink(url, load_spec(JOB), _s(dsn, "s"))
    end_lsn, snapshot_lsn, text = sink.position()
    assert end_lsn == first.end_lsn and snapshot_lsn < end_lsn and text is not None
    sink.close()
    _sql(dsn, *transactions[25:])
    second = follow(JOB, PLAN, dsn, url, slot=_s(dsn, "s"), idle_exit=1.0, snapshot_every=5, group_max=3)
    assert second.snapshot_lsn == snapshot_lsn
    assert second.replayed_transactions == 2           # 11 and 12: after the snapshot, in the table
    reference = follow(JOB, PLAN, dsn, tmp_path / "count.jsonl", slot=_s(dsn, "full"), mode="full", idle_exit=1.0)
    assert 12 + second.transactions == reference.transactions      # none lost, none twice
    assert _rows(url) == _json(sink_table(tmp_path / "count.jsonl", load_spec(JOB)).sorted_rows()) \
        == _json(_batch(dsn))


@pytest.mark.parametrize("name", ["public.items_index", "Sink.Wide Table"])
def test_a_sink_in_the_source_database_does_not_follow_its_own_writes(pg, tmp_path: Path, name: str) -> None:
    """Its tables are filtered out of the stream (names with capitals and spaces escaped as
    wal2json reads them): a second run finds nothing to follow."""
    dsn = _source(pg, "s", "full")
    _sql(dsn, *_random_dml(5, 20))
    url = f"{dsn}#{name}"
    first = follow(JOB, PLAN, dsn, url, slot=_s(dsn, "s"), idle_exit=1.0, group_max=2)
    again = follow(JOB, PLAN, dsn, url, slot=_s(dsn, "s"), idle_exit=1.0)
    assert again.transactions == 0 and again.changes == 0, "the sink's own commits came back as changes"
    assert first.transactions >= 15
    assert _rows(url) == _full(dsn, tmp_path)


def test_bad_sinks_are_refused_clearly(pg, tmp_path: Path) -> None:
    dsn = _database(pg)
    with pytest.raises(SinkError, match="SCHEMA.TABLE"):
        parse_sink_url(dsn)
    _sql(dsn, "CREATE TABLE other (id int PRIMARY KEY, x text)")
    with pytest.raises(SinkError, match="other columns than the job's sink: a missing"):
        PgSink(f"{dsn}#public.other", load_spec(JOB), "x")
    _reference_tables(dsn)
    _slot(dsn, "s")
    with pytest.raises(FollowError, match="needs snapshots"):
        follow(JOB, PLAN, dsn, f"{dsn}#w.t", slot=_s(dsn, "s"), idle_exit=1.0, snapshot_every=0)


def test_column_types_follow_the_spec(tmp_path: Path) -> None:
    job = tmp_path / "job.yaml"
    (tmp_path / "plugins").mkdir()
    job.write_text("name: typed\nplugins: [plugins]\nsources:\n  items:\n    primary_key: [id]\n"
                   "    fields: [id, price, at, note]\n    types: {id: bigint, price: 'decimal(12,2)', at: timestamp}\n"
                   "pipeline:\n  - rename: R\n    fields: {note: remark}\n"
                   "sink: {name: s, primary_key: [id], fields: [id, price, at, remark], types: {at: date}}\n")
    spec = load_spec(job)
    # the sink's own type first, then a typed source field of that name, else jsonb
    assert [column_type(spec, f) for f in spec.sink.fields] == ["bigint", "numeric(12,2)", "date", "jsonb"]


# ---------------------------------------------------------------------- SIGKILL
def _command(dsn: str, url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pruner.cli", "follow", str(JOB), "--plan", str(PLAN), "--dsn", dsn,
            "--slot", _s(dsn, "s"), "--sink", url, "--quiet", "--snapshot-every", "4", "--group-max", "3",
            "--group-ms", "50", *extra]


@pytest.mark.parametrize("seed", [int(os.environ["FOLLOW_SEED"])] if os.environ.get("FOLLOW_SEED") else [1])
def test_sigkill_at_random_moments_leaves_the_table_exact(pg, tmp_path: Path, seed: int) -> None:
    """Six SIGKILLs (FOLLOW_KILLS=N: N) at random moments while groups commit and snapshots are
    written; then a last run: the table equals full mode's and the batch job's. `make soak`
    runs it with its own seed."""
    rng = random.Random(seed)
    dsn = _source(pg, "s", "full")
    sink_db = _database(pg)
    url = f"{sink_db}#wide.items_index"
    kills, parts = 0, int(os.environ.get("FOLLOW_KILLS", 6))
    transactions = _random_dml(seed + 10, 20 * parts)
    for part in range(parts):
        _sql(dsn, *transactions[part * 20:(part + 1) * 20])
        process = subprocess.Popen(_command(dsn, url), stderr=subprocess.PIPE, cwd=ROOT)
        time.sleep(rng.uniform(0.3, 1.5))
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
    done = subprocess.run(_command(dsn, url, "--idle-exit", "1"), capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _rows(url) == _full(dsn, tmp_path) == _json(_batch(dsn))
    end_lsn, snapshot_lsn, has_snapshot = _checkpoint(url, _s(dsn, "s"))
    assert end_lsn == snapshot_lsn and has_snapshot
    print(f"seed {seed}: {kills} kills")


def test_a_database_restart_under_the_follower_loses_nothing(pg, tmp_path: Path) -> None:
    """The server holding the source (and the sink) restarts under a running follower: the
    replication stream ends, so the follower stops with an error saying the sink is whole and
    to start again; started again, it finishes the job exactly."""
    dsn = _source(pg, "s", "full")
    url = f"{_database(pg)}#wide.items_index"
    transactions = _random_dml(41, 60)
    _sql(dsn, *transactions[:30])
    process = subprocess.Popen(_command(dsn, url), stderr=subprocess.PIPE, cwd=ROOT)
    time.sleep(2.0)
    assert process.poll() is None, process.stderr.read().decode()[-2000:]
    pg.restart()
    assert process.wait(timeout=60) != 0
    said = process.stderr.read().decode()
    assert "broke off" in said and "the sink is whole" in said and "Traceback" not in said, said
    _sql(dsn, *transactions[30:])
    done = subprocess.run(_command(dsn, url, "--idle-exit", "1"), capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _rows(url) == _full(dsn, tmp_path) == _json(_batch(dsn))


# ---------------------------------------------------------------------- adversary round 6
def test_a_slot_feeds_one_table_and_a_recreated_table_is_refused(pg) -> None:
    """The checkpoint is the slot's: following it into another table, or into the same table
    dropped and created again, would start from what the slot kept, not from the beginning."""
    dsn = _source(pg, "s")
    sink_db = _database(pg)
    _sql(dsn, "INSERT INTO sellers VALUES (1, 'x')")
    follow(JOB, PLAN, dsn, f"{sink_db}#public.ta", slot=_s(dsn, "s"), idle_exit=1.0)
    with pytest.raises(FollowError, match="feeds public.ta"):
        follow(JOB, PLAN, dsn, f"{sink_db}#public.tb", slot=_s(dsn, "s"), idle_exit=1.0)
    _sql(sink_db, "DROP TABLE public.ta")
    with pytest.raises(FollowError, match="dropped and created again"):
        follow(JOB, PLAN, dsn, f"{sink_db}#public.ta", slot=_s(dsn, "s"), idle_exit=1.0)


def test_an_existing_table_with_other_column_types_is_refused(pg) -> None:
    dsn = _database(pg)
    _sql(dsn, "CREATE TABLE pre (id bigint PRIMARY KEY, a text, b text, c text, d text, e text)")
    with pytest.raises(SinkError, match=r"id bigint \(the job's: jsonb\)"):
        PgSink(f"{dsn}#public.pre", load_spec(JOB), "x")


def test_a_value_jsonb_cannot_hold_is_a_clear_error(pg) -> None:
    from pruner.runtime.engine import SinkRecord
    sink = PgSink(f"{_database(pg)}#public.t", load_spec(JOB), "x")
    try:
        with pytest.raises(SinkError, match="a = nan cannot be written to its jsonb column.*declare its type"):
            sink.write([SinkRecord("upsert", (1,), {"a": float("nan")})], 5, 0, None)
        assert sink.position() == (0, 0, None)          # nothing of the group was committed
    finally:
        sink.close()


@pytest.mark.parametrize("edit", ["P1's code (two fields)", "a new filter (full recompute)"])
def test_a_plan_switch_writes_the_new_fields_with_the_new_snapshot_in_one_transaction(pg, tmp_path: Path,
                                                                                      edit: str) -> None:
    """A PostgreSQL table followed with one plan, then with a new plan of the job: the table
    gets the fields the new code computes otherwise and goes on; it then equals a full run of
    the new code from the start. After a crash (transactions after the last snapshot, which
    only the old plan can run again) the switch is refused with what to do, and done once the
    old plan has had a clean stop."""
    from pruner.pg_sink import PgFollower
    from tests.test_follow_switch import EDITS, _run, _table, _version
    from benchmarks.follow_restart import workload

    old_job, old_plan = _version(tmp_path, "old")
    new_job, new_plan = _version(tmp_path, "new", EDITS[edit])
    work = workload(21, 60)
    url = f"{_database(pg)}#wide.items_index"

    def run(job, plan, first: int, last: int, **options) -> PgFollower:
        follower = PgFollower(job, plan, url, "s", snapshot_every=5, **options)
        for n in range(first, last):
            follower.transaction(n + 1, n + 1, work[n])
        return follower

    run(old_job, old_plan, 0, 12, group_max=1).release()          # killed: 11 and 12 after the snapshot
    with pytest.raises(FollowError, match="clean stop"):
        PgFollower(new_job, new_plan, url, "s")
    run(old_job, old_plan, 10, 30).close()                         # the source sends 11 on again
    switched = run(new_job, new_plan, 30, 33)                       # a few: most rows keep the old values
    assert switched.stats.switched and "plan changed" in switched.stats.switched
    switched.close()
    whole = tmp_path / "whole.jsonl"
    _run(new_job, new_plan, whole, work[:33], 1, mode="full", snapshot_every=0).close()
    assert _rows(url) == _json(_table(whole, new_job))
    again = PgFollower(new_job, new_plan, url, "s")                 # an ordinary restart now
    assert again.stats.switched is None
    again.close()


def test_a_plan_switch_with_other_declared_types_is_refused(pg, tmp_path: Path) -> None:
    """The table's state was decoded with the old types and the source keeps no older changes:
    refused with what to do, and the table and its checkpoint stay as they were."""
    from pruner.pg_sink import PgFollower
    from tests.test_follow_switch import EDITS, _version
    from benchmarks.follow_restart import workload

    old_job, old_plan = _version(tmp_path, "old")
    def retyped(folder: Path) -> None:      # the sink's column keeps its type (json: jsonb)
        EDITS["a declared type (sellers.c: string)"](folder)
        job = folder / "job.yaml"
        job.write_text(job.read_text().replace("fields: [id, a, b, c, d, e]}", "fields: [id, a, b, c, d, e], "
                                               "types: {c: json}}"))

    new_job, new_plan = _version(tmp_path, "new", retyped)
    work = workload(22, 20)
    url = f"{_database(pg)}#wide.typed_index"
    follower = PgFollower(old_job, old_plan, url, "t", snapshot_every=5)
    for n in range(20):
        follower.transaction(n + 1, n + 1, work[n])
    follower.close()
    before = _rows(url)
    with pytest.raises(FollowError, match="declared types of source fields.*new table with a new --slot"):
        PgFollower(new_job, new_plan, url, "t")
    assert _rows(url) == before
    again = PgFollower(old_job, old_plan, url, "t")           # the old plan still follows it
    assert again.stats.switched is None
    again.close()
