"""Live CDC throughput: the ecommerce job following a real PostgreSQL, pruned and not.

    python benchmarks/follow_live.py [--updates 3000] [--items 100] [--profile daily] [--repeat 3]
                                     [--sink file|postgresql [--group-max N] [--group-ms MS]]
                                     [--source postgresql|mysql]

Starts a throwaway PostgreSQL 15 (tests/pg/server.py), creates the ecommerce tables with
REPLICA IDENTITY FULL, and writes a seeded generated stream into them as SQL (one transaction
per change, as an OLTP application would). Two logical slots see the same changes; each run
follows one with `pruner follow` logic (wal2json -> engine -> fsynced sink file) in the pruned
or the full mode, alternating. It reports changes/s from the first message to the last
(streaming, decoding, the engine, the sink writes), CPU seconds, and checks that both sinks
are equal (the clock-stamped fields aside). Medians of --repeat.

With ``--source mysql`` the same stream goes into a throwaway MariaDB 10.11 (tests/mysql/
server.py) instead, one autocommitted statement per change, and each run reads its binlog from
the GTID before the stream (``pruner follow --source mysql://...``).
"""
from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pruning import generator  # noqa: E402
from pruner.cdc import decode  # noqa: E402
from pruner.cdc.model import DELETE, INSERT, SNAPSHOT, UPDATE, Change  # noqa: E402
from pruner.follow import follow, sink_table  # noqa: E402
from pruner.spec import load_spec  # noqa: E402
from tests.pg.server import PgServer  # noqa: E402

JOB = ROOT / "examples/ecommerce/job.yaml"
PLAN = ROOT / "compiled_plans/ecommerce.plan"
CLOCK = ("indexed_at", "index_lag_ms")


def _type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double precision"
    return "text"


def _tables(changes: list[Change], sql_type) -> tuple[dict, dict[str, dict[str, str]]]:
    """(table -> primary key, table -> column -> SQL type by `sql_type` of its first non-null value)."""
    spec = load_spec(JOB)
    keys = {t.name: t.primary_key for t in (*spec.sources, *spec.dimensions)}
    columns: dict[str, dict[str, str]] = {}
    for change in changes:
        for image in (change.before, change.after):
            for name, value in (image or {}).items():
                if value is not None:
                    columns.setdefault(change.table, {}).setdefault(name, sql_type(value))
    return keys, columns


def load_stream(dsn: str, changes: list[Change], slots: list[str]) -> None:
    keys, columns = _tables(changes, _type)
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    cursor = connection.cursor()
    for table, cols in columns.items():
        body = ", ".join(f'"{n}" {t}' for n, t in cols.items())
        cursor.execute(f'CREATE TABLE {table} ({body}, PRIMARY KEY ({", ".join(keys[table])}))')
        cursor.execute(f"ALTER TABLE {table} REPLICA IDENTITY FULL")
    for name in slots:
        cursor.execute(f"SELECT pg_create_logical_replication_slot('{name}', 'wal2json')")
    for change in changes:
        table, pk = change.table, keys[change.table]
        if change.kind in (INSERT, SNAPSHOT):
            row = {k: v for k, v in change.after.items() if k in columns[table]}
            cursor.execute(f'INSERT INTO {table} ({", ".join(chr(34) + k + chr(34) for k in row)}) '
                           f'VALUES ({", ".join(["%s"] * len(row))}) ON CONFLICT DO NOTHING', list(row.values()))
        elif change.kind == UPDATE and change.changed:
            sets = [k for k in sorted(change.changed) if k in columns[table]]
            if sets:
                cursor.execute(f'UPDATE {table} SET {", ".join(chr(34) + k + chr(34) + " = %s" for k in sets)} '
                               f'WHERE {" AND ".join(k + " = %s" for k in pk)}',
                               [change.after[k] for k in sets] + [change.before[k] for k in pk])
        elif change.kind == DELETE:
            cursor.execute(f'DELETE FROM {table} WHERE {" AND ".join(k + " = %s" for k in pk)}',
                           [change.before[k] for k in pk])
    connection.close()


def _mysql_type(value) -> str:
    if isinstance(value, bool):
        return "tinyint(1)"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double"
    return "text"


def load_stream_mysql(server, changes: list[Change]) -> str:
    """The stream written into MariaDB's `shop` database; the GTID before its first change."""
    keys, columns = _tables(changes, _mysql_type)
    connection = server.connect()
    cursor = connection.cursor()
    for table, cols in columns.items():
        body = ", ".join(f"`{n}` {'varchar(191)' if t == 'text' and n in keys[table] else t}"
                         for n, t in cols.items())          # a text key needs a length
        cursor.execute(f"CREATE TABLE {table} ({body}, PRIMARY KEY ({', '.join(keys[table])}))")
    start = server.gtid()
    for change in changes:
        table, pk = change.table, keys[change.table]
        where = " AND ".join(f"`{k}` = %s" for k in pk)
        if change.kind in (INSERT, SNAPSHOT):
            row = {k: v for k, v in change.after.items() if k in columns[table]}
            cursor.execute(f"INSERT IGNORE INTO {table} ({', '.join('`' + k + '`' for k in row)}) "
                           f"VALUES ({', '.join(['%s'] * len(row))})", list(row.values()))
        elif change.kind == UPDATE and change.changed:
            sets = [k for k in sorted(change.changed) if k in columns[table]]
            if sets:
                cursor.execute(f"UPDATE {table} SET {', '.join('`' + k + '` = %s' for k in sets)} WHERE {where}",
                               [change.after[k] for k in sets] + [change.before[k] for k in pk])
        elif change.kind == DELETE:
            cursor.execute(f"DELETE FROM {table} WHERE {where}", [change.before[k] for k in pk])
    connection.close()
    return start


def _rows(sink, spec) -> list[dict]:
    """The sink's rows (a file's, or a PostgreSQL table's), clock fields aside, as JSON values."""
    if isinstance(sink, Path):
        rows = sink_table(sink, spec).sorted_rows()
    else:
        from pruner.pg_sink import PgSink
        table = PgSink(sink, spec, "check")
        rows = table.rows()
        table.close()
    return json.loads(json.dumps([{k: v for k, v in row.items() if k not in CLOCK} for row in rows], default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--profile", default="daily", choices=("daily", "peak", "backfill"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sink", choices=("file", "postgresql"), default="file",
                        help="the sink: the JSON-lines file, or a PostgreSQL table in another database of "
                             "the same server (group commit: --group-max, --group-ms)")
    parser.add_argument("--group-max", type=int, default=100)
    parser.add_argument("--group-ms", type=float, default=200.0)
    parser.add_argument("--source", choices=("postgresql", "mysql"), default="postgresql",
                        help="the source database: PostgreSQL (wal2json) or a MariaDB binlog")
    args = parser.parse_args()
    buffer = io.StringIO()
    generator().generate(buffer, profile=args.profile, seed=11, updates=args.updates, items=args.items)
    changes = [c for c in decode(buffer.getvalue().splitlines(), "debezium-json") if isinstance(c, Change)]
    spec = load_spec(JOB)
    results: dict[str, list] = {"pruned": [], "full": []}
    mariadb = None
    with PgServer() as pg, tempfile.TemporaryDirectory(prefix="follow-live-") as tmp:
        start = time.perf_counter()
        slots = [f"{mode}_{r}" for r in range(args.repeat) for mode in ("pruned", "full")]
        if args.source == "mysql":
            from tests.mysql.server import MariaDbServer
            mariadb = MariaDbServer().start()
            start_gtid = load_stream_mysql(mariadb, changes)
        else:
            load_stream(pg.dsn, changes, slots)
        print(f"{len(changes):,} changes written to {args.source} in {time.perf_counter() - start:.1f} s",
              file=sys.stderr)
        sinks = {}
        sink_dsn = pg.dsn
        if args.sink == "postgresql":
            admin = psycopg2.connect(pg.dsn)
            admin.autocommit = True
            admin.cursor().execute("CREATE DATABASE sinks")
            admin.close()
            sink_dsn = pg.dsn.rsplit("/", 1)[0] + "/sinks"
        for r in range(args.repeat):
            for mode in (("pruned", "full") if r % 2 == 0 else ("full", "pruned")):
                name = f"{mode}_{r}"                  # each run reads its own slot: same changes
                sink = f"{sink_dsn}#{name}.items_index" if args.sink == "postgresql" else Path(tmp) / f"{name}.jsonl"
                cpu = time.process_time()
                if mariadb is not None:
                    stats = follow(JOB, PLAN, mariadb.url, sink, slot=name, mode=mode, idle_exit=2.0,
                                   group_max=args.group_max, group_ms=args.group_ms, start_gtid=start_gtid)
                else:
                    stats = follow(JOB, PLAN, pg.dsn, sink, slot=name, mode=mode, idle_exit=2.0,
                                   group_max=args.group_max, group_ms=args.group_ms)
                cpu = time.process_time() - cpu
                results[mode].append((stats, cpu))
                sinks[mode] = sink
        same = _rows(sinks["pruned"], spec) == _rows(sinks["full"], spec)
        if mariadb is not None:
            mariadb.stop()
    print(f"\n{args.profile}: {len(changes):,} changes, one transaction each, source: {args.source}, "
          f"sink: {args.sink}\n")
    print("| mode | changes/s (median) | CPU s | units run | units skipped | dropped at the source |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode, runs in results.items():
        rate = statistics.median(s.changes / s.active_seconds for s, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        engine = runs[-1][0].engine
        print(f"| {mode} | {rate:,.0f} | {cpu:.2f} | {sum(r for r, _ in engine.units.values()):,} "
              f"| {sum(s for _, s in engine.units.values()):,} | {engine.dropped:,} |")
    print(f"\nsinks equal (clock fields aside): {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
