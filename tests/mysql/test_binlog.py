"""`pruner follow --source mysql://...`: a real MariaDB binlog in, a sink file or a PostgreSQL table out.

Every test gets its own database on the session's MariaDB server; the follower reads the
server's binlog (from the start, or after a GTID) and decodes only its database's job tables.
The sink must equal what full mode and the batch job give, across stops, restarts, SIGKILLs of
the follower, and restarts of the source server and of the sink database under it.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pruner.cli import main
from pruner.cdc.model import INSERT, Change
from pruner.follow import FollowError, follow, read_sink, sink_table
from pruner.mysql_source import parse_gtid, parse_source_url, read_ddl
from pruner.planfile import read_plan
from pruner.runtime.engine import Engine, SinkTable
from pruner.spec import load_spec
from tests.mysql.server import MariaDbServer
from tests.pg.test_follow import _database, _json
from tests.pg.test_pg_sink import _rows

ROOT = Path(__file__).resolve().parents[2]
JOB = ROOT / "examples/reference/job.yaml"
PLAN = ROOT / "compiled_plans/reference.plan"
_names = itertools.count()


def _db(mariadb) -> str:
    """A new database with the reference job's tables (and columns it does not read); its URL."""
    name = f"t{os.getpid()}_{next(_names)}"
    mariadb.sql(f"CREATE DATABASE {name}")
    mariadb.sql("CREATE TABLE items (id int PRIMARY KEY, a varchar(20), b int, f int DEFAULT 0, "
                "price decimal(10,2), seen datetime(6), doc json)",
                "CREATE TABLE sellers (b int PRIMARY KEY, c varchar(20))", "CREATE TABLE other (x int PRIMARY KEY)",
                database=name)
    return f"mysql://pruner@127.0.0.1:{mariadb.port}/{name}"


def _run(url: str, transactions: list[list[str]]) -> None:
    import pymysql
    source = parse_source_url(url)
    connection = pymysql.connect(**source.settings, database=source.database)
    try:
        with connection.cursor() as cursor:
            for statements in transactions:
                connection.begin()
                for statement in statements:
                    cursor.execute(statement)
                connection.commit()
    finally:
        connection.close()


def _random_dml(seed: int, n: int) -> list[list[str]]:
    """Transactions of random DML: inserts, updates of read and unread columns, key changes,
    deletes, several rows at once, DECIMAL/DATETIME/JSON/NULL values, another table."""
    rng = random.Random(seed)
    items: set[int] = set()
    sellers: set[int] = set()
    out = []
    for _ in range(n):
        statements = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            roll = rng.random()
            if roll < 0.15 or not items:
                i = rng.randint(1, 12)
                a = "NULL" if rng.random() < 0.1 else f"'a{rng.randint(0, 5)}'"
                statements.append(f"INSERT INTO items (id, a, b, price, seen, doc) VALUES ({i}, {a}, "
                                  f"{rng.randint(1, 4)}, {rng.randint(0, 99999) / 100}, '2024-05-0{rng.randint(1, 9)} "
                                  f"07:08:09.{rng.randint(0, 999999):06d}', '{{\"k\": [{rng.randint(0, 9)}, 2.50]}}') "
                                  f"ON DUPLICATE KEY UPDATE a = VALUES(a)")
                items.add(i)
            elif roll < 0.25:
                b = rng.randint(1, 4)
                statements.append(f"INSERT INTO sellers VALUES ({b}, 'c{rng.randint(0, 9)}') "
                                  f"ON DUPLICATE KEY UPDATE c = VALUES(c)")
                sellers.add(b)
            elif roll < 0.40:
                statements.append(f"UPDATE items SET a = 'a{rng.randint(0, 5)}' WHERE id = {rng.choice(sorted(items))}")
            elif roll < 0.48:
                statements.append(f"UPDATE items SET b = {rng.randint(1, 4)} WHERE id = {rng.choice(sorted(items))}")
            elif roll < 0.62:
                statements.append(f"UPDATE items SET f = f + 1, price = price + 0.01 WHERE id = "
                                  f"{rng.choice(sorted(items))}")
            elif roll < 0.66:
                statements.append(f"UPDATE items SET f = f + 1 WHERE b = {rng.randint(1, 4)}")      # several rows
            elif roll < 0.71:
                old, new = rng.choice(sorted(items)), rng.randint(13, 30)
                if new not in items:
                    statements.append(f"UPDATE items SET id = {new} WHERE id = {old}")               # a key change
                    items.discard(old)
                    items.add(new)
            elif roll < 0.80 and sellers:
                statements.append(f"UPDATE sellers SET c = 'c{rng.randint(0, 9)}' WHERE b = {rng.choice(sorted(sellers))}")
            elif roll < 0.86:
                statements.append(f"INSERT INTO other VALUES ({rng.randint(0, 10**6)}) ON DUPLICATE KEY UPDATE x = x")
            elif roll < 0.94:
                i = rng.choice(sorted(items))
                statements.append(f"DELETE FROM items WHERE id = {i}")
                items.discard(i)
            elif sellers:
                b = rng.choice(sorted(sellers))
                statements.append(f"DELETE FROM sellers WHERE b = {b}")
                sellers.discard(b)
        out.append(statements)
    return out


def _batch(url: str, job: Path = JOB, plan: Path = PLAN, tables=("items", "sellers")) -> list[dict]:
    """The job once over the final tables, read with plain SQL."""
    import pymysql
    spec = load_spec(job)
    engine = Engine(spec, read_plan(plan), "batch")
    source = parse_source_url(url)
    connection = pymysql.connect(**source.settings, database=source.database)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]
            for row in cursor.fetchall():
                engine.process(Change(INSERT, table, None, dict(zip(columns, row)), None, 0))
    connection.close()
    sink = SinkTable(spec.sink.fields, spec.sink.primary_key)
    sink.apply_all(engine.finish())
    return sink.sorted_rows()


def _file_rows(path: Path, job: Path = JOB) -> list[dict]:
    return _json(sink_table(path, load_spec(job)).sorted_rows())


# ---------------------------------------------------------------------- DDL, read without a server
FIELDS = {"items": ("id", "a", "b"), "sellers": ("b", "c")}


@pytest.mark.parametrize("query, default, stop, truncate, warns", [
    ("TRUNCATE TABLE items", "shop", None, "items", 0),
    ("truncate `shop`.`items`", "other", None, "items", 0),
    ("TRUNCATE items", "other", None, None, 0),                              # another database's items
    ("ALTER TABLE items ADD COLUMN extra int", "shop", None, None, 1),
    ("ALTER TABLE items ADD extra int DEFAULT 5, ADD INDEX (b)", "shop", None, None, 1),
    ("ALTER TABLE items ADD (x int, y text)", "shop", None, None, 2),
    ("ALTER TABLE items DROP COLUMN b", "shop", "drops column items.b", None, 0),
    ("ALTER TABLE `items` DROP `b`", "shop", "drops column items.b", None, 0),
    ("ALTER TABLE shop.items DROP COLUMN IF EXISTS a", None, "drops column items.a", None, 0),
    ("ALTER TABLE items DROP COLUMN f", "shop", None, None, 0),              # a column the job does not read
    ("ALTER TABLE items DROP INDEX b, DROP PRIMARY KEY", "shop", None, None, 0),
    ("ALTER TABLE items CHANGE a a2 varchar(9)", "shop", "renames column items.a to a2", None, 0),
    ("ALTER TABLE items CHANGE COLUMN a a varchar(99)", "shop", None, None, 1),       # a type change: a warning
    ("ALTER TABLE items MODIFY b bigint", "shop", None, None, 1),
    ("ALTER TABLE items RENAME COLUMN b TO b2", "shop", "renames column items.b", None, 0),
    ("ALTER TABLE items RENAME TO items_old", "shop", "renames table items", None, 0),
    ("ALTER TABLE items RENAME INDEX i TO j", "shop", None, None, 0),
    ("RENAME TABLE items TO items_old, x TO y", "shop", "renames table items", None, 0),
    ("DROP TABLE IF EXISTS `sellers` /* generated by server */", "shop", "drops table sellers", None, 0),
    ("DROP TABLE other", "shop", None, None, 0),
    ("ALTER TABLE items ENGINE=InnoDB, COMMENT 'a, b'", "shop", None, None, 0),
    ("/* a comment */ ALTER TABLE sellers DROP c -- why", "shop", "drops column sellers.c", None, 0),
    ("CREATE TABLE items2 (id int)", "shop", None, None, 0),
])
def test_ddl_of_the_jobs_tables_is_read(query, default, stop, truncate, warns) -> None:
    ddl = read_ddl(query, default, "shop", FIELDS)
    assert (ddl.stop is None) == (stop is None) and (stop is None or stop in ddl.stop), ddl.stop
    assert ddl.truncate == truncate
    assert len(ddl.warnings) == warns, ddl.warnings


def test_urls_and_gtids_are_checked() -> None:
    source = parse_source_url("mysql://u:p%40ss@db.example:3307/shop")
    assert (source.settings["user"], source.settings["passwd"], source.settings["port"], source.database) == \
        ("u", "p@ss", 3307, "shop")
    for bad in ("mysql://host", "postgresql://h/db", "mysql://h:x/db"):
        with pytest.raises(FollowError):
            parse_source_url(bad)
    assert parse_gtid("0-1-42") == (0, 1, 42)
    with pytest.raises(FollowError, match="not a MariaDB GTID"):
        parse_gtid("3E11FA47-71CA-11E1-9E33-C80AA9429562:23")


# ---------------------------------------------------------------------- live
def test_pruned_equals_full_equals_batch_on_a_live_binlog(mariadb, tmp_path: Path) -> None:
    url = _db(mariadb)
    start = mariadb.gtid()
    _run(url, _random_dml(1, 60))
    results = {}
    for mode in ("pruned", "full"):
        stats = follow(JOB, PLAN, url, tmp_path / f"{mode}.jsonl", mode=mode, idle_exit=1.0, start_gtid=start)
        assert 45 <= stats.transactions <= 60 and not stats.dead_letters
        results[mode] = (_file_rows(tmp_path / f"{mode}.jsonl"), stats)
    batch = _json(_batch(url))
    assert results["pruned"][0] == results["full"][0] == batch and len(batch) > 0
    pruned, full = results["pruned"][1].engine, results["full"][1].engine
    assert sum(r for r, _ in pruned.units.values()) < sum(r for r, _ in full.units.values())
    assert pruned.dropped > 0                          # updates of f and price only: dropped at the source
    lines = read_sink(tmp_path / "pruned.jsonl")
    assert all(parse_gtid(line["xid"])[2] == line["end_lsn"] for line in lines)
    assert [line["end_lsn"] for line in lines] == sorted(line["end_lsn"] for line in lines)
    assert results["pruned"][1].position == results["full"][1].position == mariadb.gtid()     # read to the end


def test_a_new_sink_starts_at_the_oldest_binlog_and_reads_only_its_database(mariadb, tmp_path: Path) -> None:
    url, other = _db(mariadb), _db(mariadb)
    _run(other, [["INSERT INTO items (id, a, b) VALUES (1, 'x', 1)"]])
    _run(url, [["INSERT INTO sellers VALUES (1, 'c')", "INSERT INTO items (id, a, b) VALUES (5, 'y', 1)"]])
    stats = follow(JOB, PLAN, url, tmp_path / "s.jsonl", idle_exit=1.0)
    assert stats.transactions == 1 and stats.changes == 2
    assert _file_rows(tmp_path / "s.jsonl") == _json(_batch(url)) == [
        {"id": 5, "a": "y", "b": 1, "c": "c", "d": "y:1", "e": "Y:1"}]


@pytest.mark.parametrize("snapshots", [0, 3], ids=["replaying the sink", "from snapshots"])
def test_a_stopped_follow_resumes_after_its_gtid(mariadb, tmp_path: Path, snapshots: int) -> None:
    url = _db(mariadb)
    start = mariadb.gtid()
    transactions = _random_dml(2, 40)
    _run(url, transactions[:20])
    sink = tmp_path / "s.jsonl"
    first = follow(JOB, PLAN, url, sink, start_gtid=start, max_transactions=7, idle_exit=1.0, snapshot_every=snapshots)
    assert first.transactions == 7
    _run(url, transactions[20:])
    second = follow(JOB, PLAN, url, sink, start_gtid=start, idle_exit=1.0, snapshot_every=snapshots)
    assert second.skipped_redelivered == 0              # resumed after its GTID, not before
    assert (second.snapshot_lines > 0) == bool(snapshots)
    assert second.replayed_transactions == (7 if not snapshots else 7 - second.snapshot_lines)
    full = tmp_path / "full.jsonl"
    follow(JOB, PLAN, url, full, mode="full", start_gtid=start, idle_exit=1.0)
    assert _file_rows(sink) == _file_rows(full) == _json(_batch(url))
    assert len(read_sink(sink)) == len(read_sink(full))       # every transaction written once


def test_the_postgresql_table_equals_full_and_batch_and_restarts_exactly(mariadb, pg, tmp_path: Path) -> None:
    url = _db(mariadb)
    start = mariadb.gtid()
    transactions = _random_dml(3, 60)
    _run(url, transactions[:30])
    table = f"{_database(pg)}#wide.items_index"
    first = follow(JOB, PLAN, url, table, start_gtid=start, idle_exit=1.0, group_max=4, snapshot_every=5,
                   max_transactions=17)
    assert first.transactions == 17 and first.snapshots >= 3
    _run(url, transactions[30:])
    second = follow(JOB, PLAN, url, table, start_gtid=start, idle_exit=1.0, group_max=4, snapshot_every=5)
    assert second.snapshot_lsn > 0 and second.skipped_redelivered == 0
    follow(JOB, PLAN, url, tmp_path / "full.jsonl", mode="full", start_gtid=start, idle_exit=1.0)
    assert _rows(table) == _file_rows(tmp_path / "full.jsonl") == _json(_batch(url))


def test_exact_types_reach_the_sink_file_and_the_table(mariadb, pg, tmp_path: Path) -> None:
    job = _typed_job(tmp_path)
    name, url = _typed_tables(mariadb, "date")
    start = mariadb.gtid()
    _run(url, [["INSERT INTO sellers VALUES (7, 1.50)",
                "INSERT INTO items VALUES (1, 'héllo 😀', 12.50, 3, '2024-05-06 07:08:09.123456', "
                "'2024-01-02 03:04:05.678', '{\"a\": [1, 2.50, null], \"b\": \"x\"}', x'00ff10', 1, "
                "18446744073709551615, '2024-01-02', 7, 'a,b')",
                "INSERT INTO items (id) VALUES (2)"],
               ["UPDATE items SET price = 0.10 WHERE id = 1"]])
    sink = tmp_path / "typed.jsonl"
    stats = follow(job, tmp_path / "typed.plan", url, sink, start_gtid=start, idle_exit=1.0)
    assert stats.transactions == 2 and not stats.dead_letters, stats.dead_letters
    rows = {r["id"]: r for r in sink_table(sink, load_spec(job)).sorted_rows()}
    assert rows[1] == {          # as the sink file writes them: exact text for what JSON has no type for
        "id": 1, "title": "héllo 😀", "price": "0.10", "total": "0.30", "created": "2024-05-06 07:08:09.123456",
        "stamp": "2024-01-02 03:04:05.678000",                               # TIMESTAMP: in UTC
        "doc": {"a": [1, "2.50", None], "b": "x"},                           # JSON parsed, decimals exact
        "img": "AP8Q",                                                       # bytes: base64
        "flag": True, "big": 2 ** 64 - 1, "day": "2024-01-02", "tags": ["a", "b"], "score": "1.50",
        "rank": "0.4500"}
    assert rows[2] == {f: None for f in rows[2]} | {"id": 2}
    # the same into a PostgreSQL table: typed columns get the typed values
    table = f"{_database(pg)}#wide.typed"
    follow(job, tmp_path / "typed.plan", url, table, start_gtid=start, idle_exit=1.0)
    import psycopg2
    from pruner.pg_sink import parse_sink_url
    dsn, _, _ = parse_sink_url(table)
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute("SELECT price, total, created, img, flag, big, day, doc, title FROM wide.typed ORDER BY id")
        found = cursor.fetchall()
    connection.close()
    price, total, created, img, flag, big, day, doc, title = found[0]
    assert (price, total, bytes(img), flag, big, day, title) == (
        Decimal("0.10"), Decimal("0.30"), b"\x00\xff\x10", True, 2 ** 64 - 1, date(2024, 1, 2), "héllo 😀")
    assert created.replace(tzinfo=None) == datetime(2024, 5, 6, 7, 8, 9, 123456)
    assert doc == {"a": [1, "2.50", None], "b": "x"}
    assert found[1][:7] == (None, None, None, None, None, None, None)


def _typed_tables(mariadb, day: str) -> tuple[str, str]:
    """A new database with the typed job's tables (`day` of SQL type `day`); (its name, its URL)."""
    name = f"t{os.getpid()}_{next(_names)}"
    mariadb.sql(f"CREATE DATABASE {name}")
    url = f"mysql://pruner@127.0.0.1:{mariadb.port}/{name}"
    _run(url, [["CREATE TABLE items (id bigint PRIMARY KEY, title varchar(50), price decimal(12,2), qty int, "
                "created datetime(6), stamp timestamp(3) NULL, doc json, img blob, flag tinyint(1), "
                f"big bigint unsigned, day {day}, seller int, tags set('a','b'))",
                "CREATE TABLE sellers (seller int PRIMARY KEY, score decimal(5,2))"]])
    return name, url


def _typed_job(tmp_path: Path) -> Path:
    (tmp_path / "plugins").mkdir(exist_ok=True)
    (tmp_path / "plugins" / "typed_udtfs.py").write_text(
        "from plugin_sdk import UDTF, Processor\n\n\n"
        "class Total(Processor):\n"
        "    def process(self, row, out):\n"
        "        price, qty = row['price'], row['qty']\n"
        "        out['total'] = None if price is None or qty is None else price * qty\n\n\n"
        "class Rank(Processor):\n"
        "    def process(self, row, out):\n"
        "        total, score = row['total'], row['score']\n"
        "        out['rank'] = None if total is None or score is None else total * score\n\n\n"
        "class TotalUDTF(UDTF):\n    processors = [Total]\n\n\n"
        "class RankUDTF(UDTF):\n    processors = [Rank]\n")
    job = tmp_path / "typed.yaml"
    job.write_text(
        "name: typed\nplugins: [plugins]\nsources:\n  items:\n    primary_key: [id]\n"
        "    fields: [id, title, price, qty, created, stamp, doc, img, flag, big, day, seller, tags]\n"
        "    types: {id: bigint, title: string, price: \"decimal(12,2)\", qty: int, created: timestamp, "
        "stamp: timestamp, doc: json, img: bytes, flag: bool, big: bigint unsigned, day: date, seller: int}\n"
        "dimensions:\n  sellers: {primary_key: [seller], fields: [seller, score], "
        "types: {seller: int, score: \"decimal(5,2)\"}}\n"
        "pipeline:\n  - udtf: T\n    class: typed_udtfs.TotalUDTF\n  - dimjoin: S\n    table: sellers\n"
        "    on: {seller: seller}\n    fields: [score]\n  - udtf: R\n    class: typed_udtfs.RankUDTF\n"
        "sink:\n  name: wide\n  primary_key: [id]\n"
        "  fields: [id, title, price, created, stamp, doc, img, flag, big, day, tags, total, score, rank]\n"
        "  types: {total: \"decimal(14,2)\", rank: \"decimal(20,4)\"}\n")
    assert main(["compile", str(job), "-o", str(tmp_path / "typed.plan")]) == 0
    return job


def test_schema_changes_warn_or_stop_at_the_statement(mariadb, tmp_path: Path) -> None:
    """ADD COLUMN goes on with a warning; dropping a column the job lists stops before the
    statement; after a recompile without it, the follower goes on from that statement."""
    url = _db(mariadb)
    start = mariadb.gtid()
    job = tmp_path / "job.yaml"
    spec_text = JOB.read_text().replace("plugins: [plugins]", f"plugins: [{JOB.parent / 'plugins'}]")
    job.write_text(spec_text.replace("fields: [id, a, b]}", "fields: [id, a, b, f]}"))
    plan = tmp_path / "job.plan"
    assert main(["compile", str(job), "-o", str(plan)]) == 0
    sink = tmp_path / "s.jsonl"
    _run(url, [["INSERT INTO sellers VALUES (1, 'c')", "INSERT INTO items (id, a, b) VALUES (1, 'x', 1)"],
               ["ALTER TABLE items ADD COLUMN extra int DEFAULT 5"],
               ["UPDATE items SET extra = 6, a = 'y' WHERE id = 1"],
               ["ALTER TABLE items DROP COLUMN f"],
               ["UPDATE items SET a = 'z' WHERE id = 1"]])
    with pytest.raises(FollowError, match=r"stopped before GTID 0-1-\d+: it drops column items.f, which the job "
                                          r"reads.*recompile") as stopped:
        follow(job, plan, url, sink, start_gtid=start, idle_exit=1.0)
    assert any("new column" in w or "column extra" in w for w in stopped.value.stats.warnings)
    assert [r["fields"].get("a") for line in read_sink(sink) for r in line["records"]] == ["x", "y"]
    # a restart with the same job stops at the same statement, writing nothing
    with pytest.raises(FollowError, match="drops column items.f"):
        follow(job, plan, url, sink, start_gtid=start, idle_exit=1.0)
    job.write_text(spec_text)                                # the job without f, recompiled
    assert main(["compile", str(job), "-o", str(plan)]) == 0
    stats = follow(job, plan, url, sink, start_gtid=start, idle_exit=1.0)
    assert stats.transactions == 1
    assert _file_rows(sink) == _json(_batch(url)) == [{"id": 1, "a": "z", "b": 1, "c": "c", "d": "z:1", "e": "Z:1"}]


def test_truncate_and_a_vanished_column_are_followed_soundly(mariadb, tmp_path: Path) -> None:
    url = _db(mariadb)
    start = mariadb.gtid()
    _run(url, [["INSERT INTO sellers VALUES (1, 'c')", "INSERT INTO items (id, a, b) VALUES (1, 'x', 1), (2, 'y', 1)"],
               ["TRUNCATE TABLE items"], ["INSERT INTO items (id, a, b) VALUES (3, 'z', 1)"]])
    sink = tmp_path / "s.jsonl"
    follow(JOB, PLAN, url, sink, start_gtid=start, idle_exit=1.0)
    assert _file_rows(sink) == _json(_batch(url)) and [r["id"] for r in _file_rows(sink)] == [3]


@pytest.mark.parametrize("option, value, says", [
    ("row_image", "MINIMAL", "binlog_row_image=MINIMAL (needs FULL)"),
    ("metadata", "MINIMAL", "binlog_row_metadata=MINIMAL (needs FULL)"),
    ("binlog_format", "MIXED", "binlog_format=MIXED (needs ROW)"),
])
def test_a_server_that_cannot_be_followed_is_refused_at_start(tmp_path: Path, option, value, says) -> None:
    server = MariaDbServer().start(**{option: value})
    try:
        with pytest.raises(FollowError, match=rf"cannot be followed: .*{re.escape(says)}"):
            follow(JOB, PLAN, server.url, tmp_path / "s.jsonl", idle_exit=1.0)
        assert read_sink(tmp_path / "s.jsonl") == []
    finally:
        server.stop()


def test_bad_positions_are_clear_errors(mariadb, tmp_path: Path) -> None:
    url = _db(mariadb)
    with pytest.raises(FollowError, match="after GTID 0-1-999999999"):
        follow(JOB, PLAN, url, tmp_path / "a.jsonl", start_gtid="0-1-999999999", idle_exit=1.0)
    with pytest.raises(FollowError, match="not a MariaDB GTID"):
        follow(JOB, PLAN, url, tmp_path / "b.jsonl", start_gtid="latest", idle_exit=1.0)
    with pytest.raises(FollowError, match="cannot connect"):
        follow(JOB, PLAN, "mysql://pruner@127.0.0.1:1/shop", tmp_path / "c.jsonl", idle_exit=1.0)
    # a sink file written from PostgreSQL is not followed from MariaDB
    (tmp_path / "pg.jsonl").write_text(json.dumps({"end_lsn": 5, "xid": 7, "records": [], "changes": []}) + "\n")
    with pytest.raises(FollowError, match="PostgreSQL source"):
        follow(JOB, PLAN, url, tmp_path / "pg.jsonl", idle_exit=1.0, snapshot_every=0)


def test_another_gtid_domain_stops_the_follower(tmp_path: Path) -> None:
    server = MariaDbServer().start()          # its own: a second domain stays in a server's binlog
    try:
        url = _db(server)
        _run(url, [["INSERT INTO items (id, a, b) VALUES (1, 'x', 1)"]])
        server.sql("SET SESSION gtid_domain_id = 9", "INSERT INTO items (id, a, b) VALUES (2, 'x', 1)",
                   database=parse_source_url(url).database)
        with pytest.raises(FollowError, match="GTID domain 9"):
            follow(JOB, PLAN, url, tmp_path / "s.jsonl", idle_exit=1.0)
        assert len(read_sink(tmp_path / "s.jsonl")) == 1
    finally:
        server.stop()


def test_follow_cli_summarizes_with_the_gtid(mariadb, tmp_path: Path, capsys) -> None:
    url = _db(mariadb)
    start = mariadb.gtid()
    _run(url, [["INSERT INTO items (id, a, b) VALUES (1, 'x', 1)"]])
    code = main(["follow", str(JOB), "--plan", str(PLAN), "--source", url, "--sink-out", str(tmp_path / "s.jsonl"),
                 "--start-gtid", start, "--idle-exit", "1"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "1 transactions (1 changes" in err and f"at GTID 0-1-{parse_gtid(start)[2] + 1}" in err
    assert main(["follow", str(JOB), "--plan", str(PLAN), "--dsn", "postgresql://x@127.0.0.1:1/x",
                 "--start-gtid", start, "--sink-out", str(tmp_path / "p.jsonl")]) != 0
    assert "MariaDB source" in capsys.readouterr().err


# ---------------------------------------------------------------------- crashes
def _command(url: str, table: str, *extra: str, quiet: bool = True) -> list[str]:
    return [sys.executable, "-m", "pruner.cli", "follow", str(JOB), "--plan", str(PLAN), "--source", url,
            "--sink", table, *(["--quiet"] if quiet else []), "--snapshot-every", "4", "--group-max", "3",
            "--group-ms", "50", *extra]


@pytest.mark.parametrize("seed", [int(os.environ["FOLLOW_SEED"])] if os.environ.get("FOLLOW_SEED") else [1])
def test_sigkills_and_database_restarts_leave_the_table_exact(mariadb, pg, tmp_path: Path, seed: int) -> None:
    """SIGKILLs of the follower at random moments (FOLLOW_KILLS, default 4), then restarts of the
    MariaDB server and of the sink's PostgreSQL under a running follower (it connects again and
    goes on), then a clean stop and a last run: the table equals full mode's and the batch
    job's. `make soak` runs it with its own seed."""
    rng = random.Random(seed)
    url = _db(mariadb)
    start = mariadb.gtid()
    table = f"{_database(pg)}#wide.items_index"
    parts = int(os.environ.get("FOLLOW_KILLS", 4))
    transactions = _random_dml(seed + 20, 20 * (parts + 2))
    for part in range(parts):
        _run(url, transactions[part * 20:(part + 1) * 20])
        process = subprocess.Popen(_command(url, table, "--start-gtid", start), stderr=subprocess.PIPE, cwd=ROOT)
        time.sleep(rng.uniform(0.4, 1.5))
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    # the source server restarts under a running follower
    process = subprocess.Popen(_command(url, table, "--start-gtid", start, quiet=False), stderr=subprocess.PIPE,
                               cwd=ROOT)
    _run(url, transactions[parts * 20:(parts + 1) * 20])
    time.sleep(rng.uniform(0.3, 1.0))
    mariadb.restart()
    _run(url, transactions[(parts + 1) * 20:])
    time.sleep(2.0)
    assert process.poll() is None, process.stderr.read().decode()[-2000:]
    # the sink database restarts under it, while it writes
    _run(url, [["UPDATE items SET a = 'before' WHERE id > 0"]] * 3)
    pg.restart()
    _run(url, [["UPDATE items SET a = 'after' WHERE id > 0"]])
    time.sleep(2.0)
    assert process.poll() is None, process.stderr.read().decode()[-2000:]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0, process.stderr.read().decode()[-2000:]
    said = process.stderr.read().decode()
    assert "warning: the binlog stream broke off" in said and "warning: the sink database connection broke" in said
    done = subprocess.run(_command(url, table, "--start-gtid", start, "--idle-exit", "1"), capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    follow(JOB, PLAN, url, tmp_path / "full.jsonl", mode="full", start_gtid=start, idle_exit=1.0)
    assert _rows(table) == _file_rows(tmp_path / "full.jsonl") == _json(_batch(url))
    print(f"seed {seed}: {parts} kills, a source restart and a sink restart under a running follower")


def test_the_grants_the_readme_gives_are_enough(mariadb, tmp_path: Path) -> None:
    url = _db(mariadb)
    start = mariadb.gtid()
    mariadb.sql("CREATE USER IF NOT EXISTS 'limited'@'%' IDENTIFIED BY 's3cret'",
                "GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'limited'@'%'")
    _run(url, [["INSERT INTO sellers VALUES (1, 'c')", "INSERT INTO items (id, a, b) VALUES (1, 'x', 1)"]])
    limited = url.replace("mysql://pruner@", "mysql://limited:s3cret@")
    stats = follow(JOB, PLAN, limited, tmp_path / "s.jsonl", start_gtid=start, idle_exit=1.0)
    assert stats.transactions == 1 and _file_rows(tmp_path / "s.jsonl") == _json(_batch(url))


def test_xa_transactions_apply_at_commit_and_not_at_rollback(mariadb, tmp_path: Path) -> None:
    import pymysql
    url = _db(mariadb)
    start = mariadb.gtid()
    source = parse_source_url(url)
    connection = pymysql.connect(**source.settings, database=source.database, autocommit=True)
    other = pymysql.connect(**source.settings, database=source.database, autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO sellers VALUES (1, 'c')")
        for xid, end, a in (("x1", "COMMIT", "kept"), ("x2", "ROLLBACK", "gone")):
            cursor.execute(f"XA START '{xid}'")
            cursor.execute(f"INSERT INTO items (id, a, b) VALUES ({len(xid) + (end == 'ROLLBACK')}, '{a}', 1)")
            cursor.execute(f"XA END '{xid}'")
            cursor.execute(f"XA PREPARE '{xid}'")
            other.cursor().execute(f"INSERT INTO items (id, a, b) VALUES ({5 + len(xid) + (end == 'ROLLBACK')}, 'between', 1)")
            cursor.execute(f"XA {end} '{xid}'")
        cursor.execute("XA START 'x3'")
        cursor.execute("UPDATE items SET a = 'one phase' WHERE id = 2")
        cursor.execute("XA END 'x3'")
        cursor.execute("XA COMMIT 'x3' ONE PHASE")
    connection.close()
    other.close()
    sink = tmp_path / "s.jsonl"
    follow(JOB, PLAN, url, sink, start_gtid=start, idle_exit=1.0)
    assert _file_rows(sink) == _json(_batch(url))
    assert [(r["id"], r["a"]) for r in _file_rows(sink)] == [(2, "one phase"), (7, "between"), (8, "between")]
    # started between an XA PREPARE and its XA COMMIT: its rows are not known here, so it stops
    mariadb.sql("XA START 'x4'", "INSERT INTO items (id, a, b) VALUES (9, 'late', 1)", "XA END 'x4'",
                "XA PREPARE 'x4'", database=source.database)
    _run(url, [["INSERT INTO items (id, a, b) VALUES (10, 'after', 1)"]])   # the sink's position passes it
    follow(JOB, PLAN, url, sink, idle_exit=1.0)
    mariadb.sql("XA COMMIT 'x4'")
    with pytest.raises(FollowError, match="prepared before this follower's position"):
        follow(JOB, PLAN, url, sink, idle_exit=1.0)


# ---------------------------------------------------------------------- adversary round 7
def test_rows_of_another_database_never_leak_in_after_a_server_restart(tmp_path: Path) -> None:
    """Table ids are reused after a restart: the table maps of tables the job does not read must
    be read too, or a reused id still names a job table (round 7, F1)."""
    server = MariaDbServer().start()
    try:
        url = _db(server)
        server.sql("CREATE DATABASE bdb")
        server.sql("CREATE TABLE items (id int PRIMARY KEY, a varchar(20), b int) ENGINE=MyISAM",
                   "CREATE TABLE sellers (b int PRIMARY KEY, c varchar(20)) ENGINE=MyISAM",
                   "INSERT INTO items VALUES (100, 'B', 1)", database="bdb")
        _run(url, [["INSERT INTO sellers VALUES (1, 'c')", "INSERT INTO items (id, a, b) VALUES (1, 'A', 1)"]])
        server.restart()
        server.sql("INSERT INTO items VALUES (101, 'FROM_B', 1)", "UPDATE items SET a = 'B_UPD' WHERE id = 100",
                   "INSERT INTO sellers VALUES (5, 'B')", database="bdb")        # no DDL: ids simply reused
        _run(url, [["INSERT INTO items (id, a, b) VALUES (3, 'A3', 1)"]])
        stats = follow(JOB, PLAN, url, tmp_path / "s.jsonl", idle_exit=1.0)
        assert stats.transactions == 2
        assert _file_rows(tmp_path / "s.jsonl") == _json(_batch(url))
        assert [r["id"] for r in _file_rows(tmp_path / "s.jsonl")] == [1, 3]
    finally:
        server.stop()


def test_odd_values_arrive_as_the_database_has_them(mariadb, tmp_path: Path) -> None:
    """An empty BLOB declared bytes, an empty SET, TIME beyond a day and negative (round 7, F2, F5)."""
    job = _typed_job(tmp_path)
    name, url = _typed_tables(mariadb, "time(6)")
    start = mariadb.gtid()
    job.write_text(job.read_text().replace(" day: date,", ""))            # a TIME, untyped
    assert main(["compile", str(job), "-o", str(tmp_path / "typed.plan")]) == 0
    _run(url, [["INSERT INTO items (id, img, tags, day) VALUES (1, '', '', '-838:59:59'), "
                "(2, x'', 'a', '100:00:00.5')"]])
    mariadb.sql("SET SESSION sql_mode = ''", "INSERT INTO items (id, created) VALUES (3, '0000-00-00 00:00:00')",
                database=name)
    sink = tmp_path / "odd.jsonl"
    stats = follow(job, tmp_path / "typed.plan", url, sink, start_gtid=start, idle_exit=1.0)
    assert not stats.dead_letters, stats.dead_letters
    assert any("items.created holds a zero or partial date" in w for w in stats.warnings), stats.warnings
    rows = {r["id"]: r for r in sink_table(sink, load_spec(job)).sorted_rows()}
    assert (rows[1]["img"], rows[1]["tags"], rows[2]["img"], rows[2]["tags"]) == ("", [], "", ["a"])
    assert (rows[1]["day"], rows[2]["day"]) == ("-838:59:59", "100:00:00.500000")


def test_a_sink_of_another_source_is_refused(mariadb, pg, tmp_path: Path) -> None:
    """A sink file or table written following one database is not followed from another (F3)."""
    first, second = _db(mariadb), _db(mariadb)
    start = mariadb.gtid()
    _run(first, [["INSERT INTO items (id, a, b) VALUES (1, 'x', 1)"]])
    sink = tmp_path / "s.jsonl"
    follow(JOB, PLAN, first, sink, start_gtid=start, idle_exit=1.0)
    with pytest.raises(FollowError, match=r"written following database '.*', not '.*'"):
        follow(JOB, PLAN, second, sink, idle_exit=1.0)
    table = f"{_database(pg)}#wide.items"
    follow(JOB, PLAN, first, table, start_gtid=start, idle_exit=1.0)
    with pytest.raises(FollowError, match="is fed by 'mysql:.*:pruner'.*a sink table has one source"):
        follow(JOB, PLAN, second, table, idle_exit=1.0)


@pytest.mark.parametrize("server_id, says", [(0, "1 to 4294967295"), (-5, "1 to 4294967295"),
                                             (2 ** 32, "1 to 4294967295"), (1, "the server's own id")])
def test_a_bad_server_id_is_a_clear_error(mariadb, tmp_path: Path, server_id: int, says: str) -> None:
    with pytest.raises(FollowError, match=re.escape(says)):
        follow(JOB, PLAN, _db(mariadb), tmp_path / "s.jsonl", server_id=server_id, idle_exit=1.0)


def test_messages_fit_what_went_wrong(mariadb, tmp_path: Path) -> None:
    """(F6) another domain's GTID is no schema change; unknown schemes and URL options are refused."""
    url = _db(mariadb)
    _run(url, [["INSERT INTO items (id, a, b) VALUES (1, 'x', 1)"]])
    with pytest.raises(FollowError) as stopped:
        follow(JOB, PLAN, url, tmp_path / "a.jsonl", start_gtid="5-1-3", idle_exit=1.0)
    assert "follows domain 5 only" in str(stopped.value) and "recompile" not in str(stopped.value)
    with pytest.raises(FollowError, match="has not written yet"):
        follow(JOB, PLAN, url, tmp_path / "b.jsonl", start_gtid="0-1-999999", idle_exit=1.0)
    with pytest.raises(FollowError, match="a mysqlx:// source cannot be followed"):
        follow(JOB, PLAN, "mysqlx://u:secret@h/db", tmp_path / "c.jsonl", idle_exit=1.0)
    with pytest.raises(FollowError, match="options after"):
        follow(JOB, PLAN, url + "?ssl=1", tmp_path / "d.jsonl", idle_exit=1.0)


def test_a_plan_switch_from_a_binlog_into_a_file_and_a_table(mariadb, pg, tmp_path: Path) -> None:
    """Followed with the reference job, then with a new plan of it (P1's code changed): the sink
    file and the PostgreSQL table switch at start and go on; each then equals a full follow of
    the new code from the start."""
    from tests.test_follow_switch import EDITS, _version

    url = _db(mariadb)
    start = mariadb.gtid()
    old_job, old_plan = _version(tmp_path, "old")
    new_job, new_plan = _version(tmp_path, "new", EDITS["P1's code (two fields)"])
    transactions = _random_dml(9, 40)
    _run(url, transactions[:30])
    sink, table = tmp_path / "s.jsonl", f"{_database(pg)}#wide.items_index"
    for target in (sink, table):
        follow(old_job, old_plan, url, target, start_gtid=start, idle_exit=1.0, snapshot_every=5)
    _run(url, transactions[30:])
    for target in (sink, table):
        stats = follow(new_job, new_plan, url, target, start_gtid=start, idle_exit=1.0, snapshot_every=5)
        assert stats.switched and "backfill 2 of 6 sink fields (d, e)" in stats.switched
        assert stats.skipped_redelivered == 0
    full = tmp_path / "full.jsonl"
    follow(new_job, new_plan, url, full, mode="full", start_gtid=start, idle_exit=1.0)
    assert _file_rows(sink, new_job) == _file_rows(full, new_job) == _rows(table)
