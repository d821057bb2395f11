"""Restart time of `pruner follow` after N transactions: from a snapshot, and replaying the sink.

    python benchmarks/follow_restart.py [--sizes 1000 10000] [--every 1000] [--repeats 3] [--sink file|postgresql]

The follower is fed N seeded transactions over the reference job's tables (wal2json texts,
as the replication loop hands them over; no server), then EVERY/2 more, so that it stops half
way between two snapshots, as a crash would stop it (no snapshot at the stop), and is started
again: the time of ``Follower(...)`` (reading the snapshot and the sink lines after it,
replaying them) with snapshots every EVERY transactions, and with none (the whole sink file
replayed). Medians of REPEATS starts, one process.

``--sink postgresql``: the same into a PostgreSQL table (a throwaway server, tests/pg/server.py;
groups of 100): the restart is ``PgFollower(...)`` (reading the snapshot from the checkpoint
row, checking the table) plus running again the transactions after the snapshot, which the
source sends again (not written: the table has them). A PostgreSQL sink always snapshots.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pruner.follow import Follower  # noqa: E402

JOB = ROOT / "examples/reference/job.yaml"
PLAN = ROOT / "compiled_plans/reference.plan"


def _col(name: str, value) -> dict:
    return {"name": name, "type": "integer" if isinstance(value, int) else "text", "value": value}


def wal2json_change(action: str, table: str, row: dict, old: dict | None = None) -> str:
    """One wal2json (format 2) change: I/U/D on `table`; `old` is the identity (REPLICA IDENTITY FULL)."""
    change: dict = {"action": action, "schema": "public", "table": table}
    if action != "D":
        change["columns"] = [_col(k, v) for k, v in row.items()]
    if old is not None or action == "D":
        change["identity"] = [_col(k, v) for k, v in (old or row).items()]
    return json.dumps(change)


def workload(seed: int, n: int, items_max: int = 20) -> list[list[str]]:
    """`n` transactions over the reference job's tables: inserts, updates of read and unread
    columns (``a`` sometimes only changes case: ``e = d.upper()`` stays), seller changes that
    fan out, deletes."""
    rng = random.Random(seed)
    items: dict[int, dict] = {}
    sellers: dict[int, dict] = {}
    out = []
    for _ in range(n):
        changes = []
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.15 or not sellers:
                b = rng.randint(1, 4)
                row = {"b": b, "c": f"c{rng.randint(0, 9)}"}
                changes.append(wal2json_change("U" if b in sellers else "I", "sellers", row, sellers.get(b)))
                sellers[b] = row
            elif roll < 0.45 or not items:
                i = rng.randint(1, items_max)
                row = {"id": i, "a": f"a{rng.randint(0, 5)}", "b": rng.randint(1, 4), "d": 0}
                changes.append(wal2json_change("U" if i in items else "I", "items", row, items.get(i)))
                items[i] = row
            elif roll < 0.9:
                i = rng.choice(sorted(items))
                field = rng.choice(["a", "a", "b", "d"])
                value = f"{rng.choice('aA')}{rng.randint(0, 3)}" if field == "a" else rng.randint(0, 5)
                row = {**items[i], field: value}
                changes.append(wal2json_change("U", "items", row, items[i]))
                items[i] = row
            else:
                i = rng.choice(sorted(items))
                changes.append(wal2json_change("D", "items", items.pop(i)))
        out.append(changes)
    return out


def restart_seconds(folder: Path, n: int, every: int, repeats: int) -> tuple[float, int]:
    """(median seconds to start again after `n` transactions, lines replayed at the start)."""
    sink = folder / f"sink.{n}.{every}.jsonl"
    follower = Follower(JOB, PLAN, sink, snapshot_every=every)
    for i, changes in enumerate(workload(7, n, items_max=200)):   # state reaches its size early
        follower.transaction(1 + i, i, changes)
    follower.out.close()                     # a crash: no snapshot at the stop
    times, replayed = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        again = Follower(JOB, PLAN, sink, snapshot_every=every)
        times.append(time.perf_counter() - start)
        replayed = again.stats.replayed_transactions
        again.out.close()
    return statistics.median(times), replayed


def restart_seconds_pg(url: str, n: int, every: int, repeats: int) -> tuple[float, int]:
    """The same into a PostgreSQL table (`url`); (median seconds, transactions run again)."""
    from pruner.pg_sink import PgFollower

    transactions = workload(7, n, items_max=200)
    name = f"r{n}_{every}"
    follower = PgFollower(JOB, PLAN, url, name, snapshot_every=every)
    for i, changes in enumerate(transactions):
        follower.transaction(1 + i, i, changes)
    follower.flush()                          # the last group committed; then a crash (no snapshot)
    follower.release()
    times, rerun = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        again = PgFollower(JOB, PLAN, url, name, snapshot_every=every)
        for i in range(again.ack_lsn, n):     # what the source sends again after the snapshot
            again.transaction(1 + i, i, transactions[i])
        times.append(time.perf_counter() - start)
        rerun = again.stats.replayed_transactions
        again.release()
    return statistics.median(times), rerun


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sink", choices=("file", "postgresql"), default="file")
    args = parser.parse_args()
    if args.sink == "postgresql":
        from tests.pg.server import PgServer
        print(f"| transactions followed | restart, snapshot every {args.every} (PostgreSQL table) | transactions run again |")
        print("|---:|---:|---:|")
        with PgServer() as pg:
            for n in args.sizes:
                total = n + args.every // 2
                seconds, rerun = restart_seconds_pg(f"{pg.dsn}#restart.items_{n}", total, args.every, args.repeats)
                print(f"| {total:,} | {seconds * 1000:.0f} ms | {rerun:,} |")
        return
    print("| transactions followed | restart, snapshot every %d | lines replayed | restart, no snapshots | lines replayed |"
          % args.every)
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            total = n + args.every // 2
            snap, snap_lines = restart_seconds(Path(tmp), total, args.every, args.repeats)
            none, none_lines = restart_seconds(Path(tmp), total, 0, args.repeats)
            print(f"| {total:,} | {snap * 1000:.0f} ms | {snap_lines:,} | {none * 1000:.0f} ms | {none_lines:,} |")


if __name__ == "__main__":
    main()
