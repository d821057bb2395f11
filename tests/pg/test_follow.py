"""Live CDC from a real PostgreSQL 15 with wal2json: decoding, the differential oracle, restarts.

Every test gets its own database (slots are per database) on the session's server.
"""
from __future__ import annotations

import itertools
import json
import random
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from pruner.cdc import decode
from pruner.cdc.model import DELETE, INSERT, TRUNCATE, UPDATE, Change
from pruner.cli import main
from pruner.follow import follow, read_sink, sink_table
from pruner.planfile import read_plan
from pruner.runtime.engine import Engine, SinkTable
from pruner.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
JOB = ROOT / "examples/reference/job.yaml"
PLAN = ROOT / "compiled_plans/reference.plan"
_names = itertools.count()


def _database(pg) -> str:
    """A new database; returns its DSN."""
    name = f"t{next(_names)}"
    admin = psycopg2.connect(pg.dsn)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    admin.close()
    return pg.dsn.rsplit("/", 1)[0] + "/" + name


def _sql(dsn: str, *statements: str) -> None:
    """Each statement is one transaction (a string may hold BEGIN; ...; COMMIT)."""
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.close()


def _s(dsn: str, name: str) -> str:
    """Slot names are server-wide: prefix them with the test's database."""
    return f"{dsn.rsplit('/', 1)[1]}_{name}"


def _slot(dsn: str, name: str) -> None:
    _sql(dsn, f"SELECT pg_create_logical_replication_slot('{_s(dsn, name)}', 'wal2json')")


def _peek(dsn: str, slot: str) -> list[str]:
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM pg_logical_slot_get_changes(%s, NULL, NULL, 'format-version', '2')",
                       (_s(dsn, slot),))
        rows = [r[0] for r in cursor.fetchall()]
    connection.close()
    return rows


def _json(rows):
    return json.loads(json.dumps(rows, default=str))


# ---------------------------------------------------------------------- decoding a real table
def test_real_dml_decodes_exactly(pg) -> None:
    dsn = _database(pg)
    _sql(dsn, "CREATE TABLE t (id int PRIMARY KEY, a text, b int, big text, n numeric(30,10), ok boolean)",
         "ALTER TABLE t REPLICA IDENTITY FULL")
    _slot(dsn, "s")
    big = "".join(random.Random(1).choice("0123456789abcdef") for _ in range(9000))   # TOASTed, incompressible
    _sql(dsn, f"INSERT INTO t VALUES (1, 'x', 1, '{big}', 12345678901234567890.1234567891, true)",
         "UPDATE t SET a = 'y' WHERE id = 1",
         "UPDATE t SET a = 'z', b = 2 WHERE id = 1",
         "UPDATE t SET n = -0.0000000001, ok = NULL WHERE id = 1",
         "INSERT INTO t VALUES (2, 'w', 5, NULL, 0, false)",
         "DELETE FROM t WHERE id = 2",
         "TRUNCATE t")
    changes = [c for c in decode(_peek(dsn, "s"), "wal2json") if isinstance(c, Change)]
    assert [c.kind for c in changes] == [INSERT, UPDATE, UPDATE, UPDATE, INSERT, DELETE, TRUNCATE]
    insert, one, two, numbers = changes[:4]
    assert insert.after["n"] == Decimal("12345678901234567890.1234567891") and insert.after["big"] == big
    assert one.changed == {"a"} and one.after["big"] == big                     # TOAST: unchanged, not null
    assert two.changed == {"a", "b"}
    assert numbers.changed == {"n", "ok"} and numbers.after["n"] == Decimal("-0.0000000001") and numbers.after["ok"] is None
    assert changes[5].before == {"id": 2, "a": "w", "b": 5, "big": None, "n": Decimal(0), "ok": False}


# ---------------------------------------------------------------------- the oracle on a live table
def _reference_tables(dsn: str) -> None:
    _sql(dsn, "CREATE TABLE items (id int PRIMARY KEY, a text, b int, f int)",
         "CREATE TABLE sellers (b int PRIMARY KEY, c text)",
         "ALTER TABLE items REPLICA IDENTITY FULL", "ALTER TABLE sellers REPLICA IDENTITY FULL")


def _random_dml(seed: int, n: int) -> list[str]:
    """Transactions of random DML on the reference job's tables (and a column it does not use)."""
    rng = random.Random(seed)
    items: dict[int, int] = {}
    sellers: set[int] = set()
    out = []
    for _ in range(n):
        statements = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            roll = rng.random()
            if roll < 0.15 or not items:
                i = rng.randint(1, 12)
                statements.append(f"INSERT INTO items VALUES ({i}, 'a{rng.randint(0, 5)}', {rng.randint(1, 4)}, 0) "
                                  f"ON CONFLICT (id) DO UPDATE SET a = EXCLUDED.a")
                items[i] = 1
            elif roll < 0.25:
                b = rng.randint(1, 4)
                statements.append(f"INSERT INTO sellers VALUES ({b}, 'c{rng.randint(0, 9)}') "
                                  f"ON CONFLICT (b) DO UPDATE SET c = EXCLUDED.c")
                sellers.add(b)
            elif roll < 0.45:
                statements.append(f"UPDATE items SET a = 'a{rng.randint(0, 5)}' WHERE id = {rng.choice(list(items))}")
            elif roll < 0.55:
                statements.append(f"UPDATE items SET b = {rng.randint(1, 4)} WHERE id = {rng.choice(list(items))}")
            elif roll < 0.75:
                statements.append(f"UPDATE items SET f = f + 1 WHERE id = {rng.choice(list(items))}")
            elif roll < 0.85 and sellers:
                statements.append(f"UPDATE sellers SET c = 'c{rng.randint(0, 9)}' WHERE b = {rng.choice(sorted(sellers))}")
            elif roll < 0.92:
                i = rng.choice(list(items))
                statements.append(f"DELETE FROM items WHERE id = {i}")
                items.pop(i)
            elif sellers:
                b = rng.choice(sorted(sellers))
                statements.append(f"DELETE FROM sellers WHERE b = {b}")
                sellers.discard(b)
        out.append("BEGIN; " + "; ".join(statements) + "; COMMIT")
    return out


def _batch(dsn: str) -> list[dict]:
    """The job once over the final tables, read with plain SQL."""
    spec, plan = load_spec(JOB), read_plan(PLAN)
    engine = Engine(spec, plan, "batch")
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        for table in ("items", "sellers"):
            cursor.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]
            for row in cursor.fetchall():
                engine.process(Change(INSERT, table, None, dict(zip(columns, row)), None, 0))
    connection.close()
    sink = SinkTable(spec.sink.fields, spec.sink.primary_key)
    sink.apply_all(engine.finish())
    return sink.sorted_rows()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pruned_equals_full_equals_batch_on_a_live_table(pg, tmp_path: Path, seed: int) -> None:
    dsn = _database(pg)
    _reference_tables(dsn)
    _slot(dsn, "pruned")
    _slot(dsn, "full")
    _sql(dsn, *_random_dml(seed, 60))
    results = {}
    for mode in ("pruned", "full"):
        stats = follow(JOB, PLAN, dsn, tmp_path / f"{mode}.jsonl", slot=_s(dsn, mode), mode=mode, idle_exit=1.0)
        assert 50 <= stats.transactions <= 60 and not stats.dead_letters     # (a no-op transaction writes no line)
        results[mode] = (_json(sink_table(tmp_path / f"{mode}.jsonl", load_spec(JOB)).sorted_rows()), stats)
    batch = _json(_batch(dsn))
    assert results["pruned"][0] == results["full"][0] == batch
    assert len(batch) > 0
    pruned, full = results["pruned"][1].engine, results["full"][1].engine
    assert sum(r for r, _ in pruned.units.values()) < sum(r for r, _ in full.units.values())
    assert pruned.dropped > 0                          # updates of f: dropped at the source


# ---------------------------------------------------------------------- restarts
@pytest.mark.parametrize("snapshots", [0, 1000], ids=["replaying the sink", "from the stop's snapshot"])
def test_a_stopped_follow_resumes_exactly_where_its_sink_ends(pg, tmp_path: Path, snapshots: int) -> None:
    dsn = _database(pg)
    _reference_tables(dsn)
    _slot(dsn, "s")
    _slot(dsn, "reference")
    transactions = _random_dml(7, 50)
    _sql(dsn, *transactions[:30])
    sink = tmp_path / "sink.jsonl"
    first = follow(JOB, PLAN, dsn, sink, slot=_s(dsn, "s"), max_transactions=12, snapshot_every=snapshots)
    assert first.transactions == 12
    with sink.open("a") as file:                       # a crash in the middle of writing a line
        file.write('{"end_lsn": 99999999999, "records": [')
    second = follow(JOB, PLAN, dsn, sink, slot=_s(dsn, "s"), max_transactions=5, snapshot_every=snapshots)
    # a clean stop leaves a snapshot: the restart loads it and replays nothing
    read_back = (0, 12) if snapshots else (12, 0)
    assert (second.replayed_transactions, second.snapshot_lines) == read_back and second.transactions == 5
    assert second.snapshot_warning is None
    _sql(dsn, *transactions[30:])
    third = follow(JOB, PLAN, dsn, sink, slot=_s(dsn, "s"), idle_exit=1.0, snapshot_every=snapshots)
    reference = follow(JOB, PLAN, dsn, tmp_path / "full.jsonl", slot=_s(dsn, "reference"), mode="full", idle_exit=1.0)
    assert reference.transactions >= 45                # (a no-op transaction writes no line)
    read_back = (0, 17) if snapshots else (17, 0)
    assert (third.replayed_transactions, third.snapshot_lines) == read_back
    assert third.transactions == reference.transactions - 17
    lines = read_sink(sink)
    assert len({line["end_lsn"] for line in lines}) == len(lines) == reference.transactions   # none twice, none lost
    assert [line["end_lsn"] for line in lines] == sorted(line["end_lsn"] for line in lines)
    spec = load_spec(JOB)
    assert _json(sink_table(sink, spec).sorted_rows()) == _json(sink_table(tmp_path / "full.jsonl", spec).sorted_rows()) \
        == _json(_batch(dsn))


def test_a_redelivered_transaction_is_skipped(pg, tmp_path: Path) -> None:
    """The server sends a transaction again when the ack did not reach it (a crash after the
    sink write): the follower must skip it."""
    dsn = _database(pg)
    _reference_tables(dsn)
    _slot(dsn, "s")
    _sql(dsn, *_random_dml(3, 5))
    sink = tmp_path / "sink.jsonl"
    follow(JOB, PLAN, dsn, sink, slot=_s(dsn, "s"), idle_exit=1.0)
    lines = read_sink(sink)
    # the slot still holds nothing unacknowledged; replay the last line's transaction by hand
    from pruner.follow import Follower
    follower = Follower(JOB, PLAN, sink)
    assert follower.transaction(lines[-1]["end_lsn"], lines[-1]["xid"], lines[-1]["changes"]) is False
    assert follower.stats.skipped_redelivered == 1
    follower.close()
    assert len(read_sink(sink)) == 5


def test_follow_cli_reports_a_bad_dsn(tmp_path: Path, capsys) -> None:
    code = main(["follow", str(JOB), "--plan", str(PLAN), "--dsn", "postgresql://nobody@127.0.0.1:1/none",
                 "--sink-out", str(tmp_path / "sink.jsonl"), "--quiet"])
    assert code == 1 and "cannot connect" in capsys.readouterr().err


def test_follow_cli_runs_and_summarizes(pg, tmp_path: Path, capsys) -> None:
    dsn = _database(pg)
    _reference_tables(dsn)
    _slot(dsn, "cli")
    _sql(dsn, *_random_dml(5, 10))
    code = main(["follow", str(JOB), "--plan", str(PLAN), "--dsn", dsn, "--slot", _s(dsn, "cli"),
                 "--sink-out", str(tmp_path / "sink.jsonl"), "--idle-exit", "1"])
    err = capsys.readouterr().err
    assert code == 0 and " transactions (" in err and "units run" in err and "0 dead letters" in err


def test_ctrl_c_stops_cleanly_and_a_restart_finishes_the_job(pg, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    dsn = _database(pg)
    _reference_tables(dsn)
    _slot(dsn, "s")
    _slot(dsn, "reference")
    _sql(dsn, *_random_dml(11, 40))
    sink = tmp_path / "sink.jsonl"
    command = [sys.executable, "-m", "pruner.cli", "follow", str(JOB), "--plan", str(PLAN), "--dsn", dsn,
               "--slot", _s(dsn, "s"), "--sink-out", str(sink)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (sink.exists() and sink.read_text().count("\n") >= 1):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)                 # Ctrl-C, with no --idle-exit: it would run forever
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert " transactions (" in err
    _sql(dsn, *_random_dml(12, 10))                    # more changes while it is stopped
    follow(JOB, PLAN, dsn, sink, slot=_s(dsn, "s"), idle_exit=1.0)
    follow(JOB, PLAN, dsn, tmp_path / "full.jsonl", slot=_s(dsn, "reference"), mode="full", idle_exit=1.0)
    spec = load_spec(JOB)
    lines = read_sink(sink)
    assert len({line["end_lsn"] for line in lines}) == len(lines) == len(read_sink(tmp_path / "full.jsonl"))
    assert _json(sink_table(sink, spec).sorted_rows()) == _json(sink_table(tmp_path / "full.jsonl", spec).sorted_rows()) \
        == _json(_batch(dsn))
