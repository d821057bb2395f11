"""Crash consistency of `pruner follow` under SIGKILL.

A writer thread commits a seeded random workload (multi-row, multi-table transactions) while
`pruner follow` runs as a subprocess and is killed with SIGKILL at random moments, then started
again. At the end (writer done, a last run with --idle-exit), the sink file must hold every
source transaction exactly once, in commit order, with no torn line, and give the table the
full mode and the batch job give over the same changes.

The writer runs until the last kill, so every kill comes while transactions are committed.
Environment: FOLLOW_KILLS=N kills per seed (default 6); FOLLOW_SEED=S runs that one seed
instead of the default ones (`make soak` draws one). Which moment a kill hits is timing, not
seed: a seed fixes the workload and the kill plan, not what a kill interrupts.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

from pruner.follow import Follower, FollowError, follow, read_sink, sink_table
from pruner.spec import load_spec
from tests.pg.test_follow import JOB, PLAN, ROOT, _batch, _database, _json, _reference_tables, _s, _slot, _sql

KILLS = int(os.environ.get("FOLLOW_KILLS", 6))
SEEDS = [int(os.environ["FOLLOW_SEED"])] if os.environ.get("FOLLOW_SEED") else [1, 2]
XID_MASK = 0xFFFFFFFF                  # txid_current() carries an epoch; wal2json sends the 32-bit xid


def _transaction(rng: random.Random) -> list[str]:
    """One transaction over the reference job's tables: multi-row statements, often both
    tables, now and then a large value (a sink line of many pages, written in several steps)."""
    def value() -> str:
        text = f"a{rng.randint(0, 5)}"
        return text + "x" * rng.randint(2_000, 30_000) if rng.random() < 0.08 else text

    def ids(k: int) -> str:
        return ", ".join(str(i) for i in rng.sample(range(1, 31), k))

    statements = []
    for _ in range(rng.choice([1, 2, 2, 3, 4])):
        roll = rng.random()
        if roll < 0.25:
            rows = ", ".join(f"({i}, '{value()}', {rng.randint(1, 5)}, 0)" for i in rng.sample(range(1, 31), rng.randint(1, 4)))
            statements.append(f"INSERT INTO items VALUES {rows} ON CONFLICT (id) DO UPDATE SET a = EXCLUDED.a, b = EXCLUDED.b")
        elif roll < 0.35:
            rows = ", ".join(f"({b}, 'c{rng.randint(0, 9)}')" for b in rng.sample(range(1, 6), rng.randint(1, 3)))
            statements.append(f"INSERT INTO sellers VALUES {rows} ON CONFLICT (b) DO UPDATE SET c = EXCLUDED.c")
        elif roll < 0.50:
            statements.append(f"UPDATE items SET a = '{value()}' WHERE id IN ({ids(rng.randint(1, 5))})")
        elif roll < 0.58:
            statements.append(f"UPDATE items SET b = {rng.randint(1, 5)} WHERE id IN ({ids(rng.randint(1, 3))})")
        elif roll < 0.72:
            statements.append(f"UPDATE items SET f = f + 1 WHERE id % 4 = {rng.randint(0, 3)}")   # pruned: f is unused
        elif roll < 0.82:
            statements.append(f"UPDATE sellers SET c = 'c{rng.randint(0, 9)}' WHERE b IN ({rng.randint(1, 5)}, {rng.randint(1, 5)})")
        elif roll < 0.94:
            statements.append(f"DELETE FROM items WHERE id IN ({ids(rng.randint(1, 3))})")
        else:
            statements.append(f"DELETE FROM sellers WHERE b = {rng.randint(1, 5)}")
    return statements


@dataclass
class Writer:
    """Commits seeded random transactions on one connection until stopped, so commit order is
    the order here; records each one's xid and whether it changed a row (one that changed none
    has no sink line)."""
    dsn: str
    seed: int
    stop: threading.Event = field(default_factory=threading.Event)
    committed: list[tuple[int, bool]] = field(default_factory=list)
    error: BaseException | None = None

    def run(self) -> None:
        rng = random.Random(f"{self.seed}:workload")
        try:
            connection = psycopg2.connect(self.dsn)
            with connection.cursor() as cursor:
                while not self.stop.is_set():
                    rows = 0
                    for statement in _transaction(rng):
                        cursor.execute(statement)
                        rows += cursor.rowcount
                    cursor.execute("SELECT txid_current()")
                    xid = cursor.fetchone()[0] & XID_MASK
                    connection.commit()
                    self.committed.append((xid, rows > 0))
                    time.sleep(rng.choice([0, 0, 0.002, 0.01, 0.03]))
            connection.close()
        except BaseException as error:                 # seen by the test thread
            self.error = error


def _command(dsn: str, sink: Path, *extra: str) -> list[str]:
    # a snapshot every 3 transactions: kills land before, during and after snapshot writes, and
    # restarts load them (tests/test_follow_snapshot.py checks the rest without a server)
    return [sys.executable, "-m", "pruner.cli", "follow", str(JOB), "--plan", str(PLAN), "--dsn", dsn,
            "--slot", _s(dsn, "s"), "--sink-out", str(sink), "--quiet", "--snapshot-every", "3", *extra]


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _kill_at_random(command: list[str], sink: Path, rng: random.Random, log: Path) -> str:
    """Start the follower, SIGKILL it at a random moment; what the moment was."""
    start_size = _size(sink)
    with log.open("w") as err:
        process = subprocess.Popen(command, stderr=err, cwd=ROOT)
    how = rng.choice(["starting", "streaming", "streaming", "anytime"])
    if how == "starting":                              # loading, reading the sink back, connecting
        time.sleep(rng.uniform(0.0, 0.6))
    elif how == "streaming":                           # just after it wrote a line: near the next write
        deadline = time.monotonic() + 5.0
        while _size(sink) == start_size and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.03))
    else:
        time.sleep(rng.uniform(0.2, 2.0))
    if process.poll() is not None:
        raise AssertionError(f"the follower stopped by itself (exit {process.returncode}) before the kill: "
                             f"{log.read_text()[-2000:]}")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return how


def _acknowledged(dsn: str) -> int:
    """The slot's confirmed flush LSN: where the server would start again."""
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        cursor.execute("SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = %s", (_s(dsn, "s"),))
        lsn = int(cursor.fetchone()[0])
    connection.close()
    return lsn


def _last_end_lsn(sink: Path) -> int:
    lines = sink.read_bytes().split(b"\n") if sink.exists() else []
    complete = [line for line in lines[:-1] if line]
    return json.loads(complete[-1])["end_lsn"] if complete else 0


def _lines(path: Path) -> list[dict]:
    """The sink file's lines, read without repairing anything: a torn line fails here."""
    data = path.read_bytes()
    assert data.endswith(b"\n"), f"torn last line: {data[-200:]!r}"
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


@pytest.mark.parametrize("seed", SEEDS)
def test_sigkill_at_random_moments_loses_and_repeats_no_transaction(pg, tmp_path: Path, seed: int) -> None:
    moments_rng, torn_rng = random.Random(f"{seed}:moments"), random.Random(f"{seed}:torn")
    dsn = _database(pg)
    _reference_tables(dsn)
    _slot(dsn, "s")
    _slot(dsn, "reference")
    writer = Writer(dsn, seed)
    thread = threading.Thread(target=writer.run)
    thread.start()
    sink = tmp_path / "sink.jsonl"
    command = _command(dsn, sink)
    moments, torn_seen, torn_made, unacknowledged = [], 0, 0, 0
    try:
        for kill in range(KILLS):
            moments.append(_kill_at_random(command, sink, moments_rng, tmp_path / f"follow.{kill}.err"))
            unacknowledged += _acknowledged(dsn) < _last_end_lsn(sink)   # the next start must not repeat them
            make_torn, cut = torn_rng.random() < 0.25, torn_rng.random()
            if sink.exists() and not sink.read_bytes().endswith(b"\n"):
                torn_seen += 1                             # killed in the middle of a write
            elif make_torn:                                # as if it had been: a line's beginning
                last = sink.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1] if _size(sink) else b'{"end_lsn": 1'
                with sink.open("ab") as file:
                    file.write(last[:max(1, int(cut * (len(last) - 1)))])
                torn_made += 1
    finally:
        writer.stop.set()
        thread.join()
    assert writer.error is None, writer.error
    _sql(dsn, "INSERT INTO sellers VALUES (99, 'end')")  # one more, after the last kill: the last run has a message
    done = subprocess.run(_command(dsn, sink, "--idle-exit", "1"), capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    print(f"seed {seed}: {KILLS} kills ({', '.join(moments)}), {torn_seen} torn lines left by a kill, "
          f"{torn_made} made, {unacknowledged} with written lines not yet acknowledged, {len(writer.committed)} transactions")

    assert Path(str(sink) + ".snapshot").exists()
    lines = _lines(sink)                                   # 3. no torn line left
    # 1. every transaction that changed a row, exactly once, in commit order
    expected = [xid for xid, changed in writer.committed if changed]
    got = [line["xid"] for line in lines]
    assert got[:len(expected)] == expected, _first_difference(got, expected)
    assert len(got) == len(expected) + 1                   # + the closing update
    end_lsns = [line["end_lsn"] for line in lines]
    assert end_lsns == sorted(set(end_lsns))
    # ... each whole, as an uninterrupted follow of its own slot sees it
    full = tmp_path / "full.jsonl"
    follow(JOB, PLAN, dsn, full, slot=_s(dsn, "reference"), mode="full", idle_exit=1.0)
    whole = [(line["xid"], line["end_lsn"], line["changes"]) for line in read_sink(full)]
    assert [(line["xid"], line["end_lsn"], line["changes"]) for line in lines] == whole
    # 2. the sink table equals the full mode's and the batch job's
    spec = load_spec(JOB)
    assert _json(sink_table(sink, spec).sorted_rows()) == _json(sink_table(full, spec).sorted_rows()) == _json(_batch(dsn))
    _sql(dsn, *(f"SELECT pg_drop_replication_slot('{_s(dsn, name)}')" for name in ("s", "reference")))   # slots are server-wide


def _first_difference(got: list, expected: list) -> str:
    at = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e), min(len(got), len(expected)))
    return (f"{len(got)} lines, {len(expected)} transactions; first difference at {at}: "
            f"got {got[at:at + 3]}, expected {expected[at:at + 3]}; "
            f"missing {sorted(set(expected) - set(got))[:10]}, twice {sorted({x for x in got if got.count(x) > 1})[:10]}")


def test_a_second_follower_on_the_same_sink_file_is_refused(tmp_path: Path) -> None:
    """It would cut the line the first one is writing and interleave its own."""
    sink = tmp_path / "sink.jsonl"
    first = Follower(JOB, PLAN, sink)
    with pytest.raises(FollowError, match="in use by another"):
        Follower(JOB, PLAN, sink)
    first.close()
    Follower(JOB, PLAN, sink).close()                  # free again once the first is gone


def test_reading_a_sink_leaves_a_torn_line_to_the_follower(tmp_path: Path) -> None:
    """A reader must not cut the line a running follower is writing; the next follower cuts it."""
    sink = tmp_path / "sink.jsonl"
    line = json.dumps({"end_lsn": 5, "xid": 1, "records": [], "changes": []})
    sink.write_text(line + "\n" + line[:20])
    assert [entry["end_lsn"] for entry in read_sink(sink)] == [5]
    assert sink.read_text() == line + "\n" + line[:20]
    follower = Follower(JOB, PLAN, sink)
    follower.close()
    assert sink.read_text() == line + "\n" and follower.done_lsn == 5


def test_the_stream_lost_between_the_write_and_the_acknowledgement(pg, tmp_path: Path, monkeypatch) -> None:
    """A transaction that takes longer than the server's wal_sender_timeout to process: the
    server ends the stream after its line is written, before the acknowledgement. The follower
    stops with an error that says so (not a traceback); started again, it asks for what follows
    its last line, so the unacknowledged transaction is neither lost nor written twice."""
    dsn = _database(pg)
    _reference_tables(dsn)
    _slot(dsn, "s")
    _slot(dsn, "reference")
    _sql(dsn, *("BEGIN; " + "; ".join(_transaction(random.Random(n))) + "; COMMIT" for n in range(12)))
    real, calls = Follower.transaction, []

    def slow(self, end_lsn, xid, changes):
        written = real(self, end_lsn, xid, changes)
        calls.append(xid)
        if len(calls) == 5:
            time.sleep(2.5)                            # the server gives up after 1 s without a reply
        return written

    monkeypatch.setattr(Follower, "transaction", slow)
    sink = tmp_path / "sink.jsonl"
    with pytest.raises(FollowError, match="stream .* broke off"):
        follow(JOB, PLAN, dsn + "?options=-c%20wal_sender_timeout%3D1000", sink, slot=_s(dsn, "s"), idle_exit=1.0)
    monkeypatch.setattr(Follower, "transaction", real)
    lines = read_sink(sink)                            # the fifth, and what had come before the server gave up
    assert len(lines) >= 5 and _acknowledged(dsn) < lines[4]["end_lsn"]
    follow(JOB, PLAN, dsn, sink, slot=_s(dsn, "s"), idle_exit=1.0)
    follow(JOB, PLAN, dsn, tmp_path / "full.jsonl", slot=_s(dsn, "reference"), mode="full", idle_exit=1.0)
    assert [(line["xid"], line["changes"]) for line in _lines(sink)] == \
        [(line["xid"], line["changes"]) for line in read_sink(tmp_path / "full.jsonl")]
