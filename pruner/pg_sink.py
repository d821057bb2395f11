"""A PostgreSQL wide table as the sink of `pruner follow`, exactly once.

    pruner follow JOB.yaml --plan PLAN --dsn SOURCE --sink 'postgresql://user@host/db#schema.table'

The table is created from the job's sink (its primary key, one column per sink field: the
sink's declared type, else the type of a typed row source's field of that name, else
``jsonb``). Several source transactions go into one database transaction (group commit,
bounded by ``group_max`` transactions and ``group_ms`` milliseconds): upserts that set only
the fields a record carries (``INSERT ... ON CONFLICT (key) DO UPDATE SET <those fields>``),
deletes, and the source position in ``<schema>.pruner_checkpoint``, in the same transaction.
Every ``snapshot_every`` transactions (and at a clean stop) the engine's snapshot goes into that
row too (``pruner.runtime.snapshot``).

Exactly once, end to end: the source is told it may drop a transaction only once a committed
snapshot covers it (the replication slot keeps what came after). On start the snapshot is
loaded, the source sends again what followed it, and transactions at or before the committed
position run through the engine to rebuild its state but are not written again.

Values: typed columns get the typed values; a ``jsonb`` column gets the value as JSON, with a
``Decimal`` as a JSON string (exact, as in the sink file); ``None`` is SQL NULL. Timestamps are
``timestamptz`` and the session's time zone is UTC (a naive timestamp is read as UTC).
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from pruner.cdc.types import ColumnType
from pruner.runtime import snapshot
from pruner.runtime.dedup import Dedup
from pruner.runtime.engine import SinkRecord
from pruner.spec import JobSpec

RECONNECT_S = 30.0              # how long a lost sink connection is tried again before stopping
_PG_TYPES = {"int": "bigint", "double": "double precision", "string": "text", "bool": "boolean",
             "timestamp": "timestamptz", "date": "date", "bytes": "bytea", "json": "jsonb"}


class SinkError(Exception):
    """The sink database or table cannot be used (with why)."""


class SinkLost(SinkError):
    """The connection to the sink database broke (a restart, a network cut): nothing of the
    transaction in hand is known to be committed."""


class _Unwritable(ValueError):
    """A value its column cannot hold."""


# format_type()'s spelling of the column types this module creates
_FORMAT = {"timestamptz": "timestamp with time zone"}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def parse_sink_url(url: str) -> tuple[str, str, str]:
    """(dsn, schema, table) of ``postgresql://...#schema.table`` (``#table``: schema public)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.fragment:
        raise SinkError(f"--sink {url!r}: expected postgresql://USER@HOST:PORT/DB#SCHEMA.TABLE")
    schema, _, table = parts.fragment.rpartition(".")
    schema = schema or "public"
    if not table or not schema:
        raise SinkError(f"--sink {url!r}: the part after # names the table, as SCHEMA.TABLE or TABLE")
    return urlunsplit(parts._replace(fragment="")), schema, table


def column_type(spec: JobSpec, field: str) -> str:
    """The PostgreSQL type of a sink field's column."""
    declared = spec.sink.type_of(field)
    if declared is None:
        for table in spec.row_sources:
            if field in table.fields and table.type_of(field) is not None:
                declared = table.type_of(field)
                break
    return "jsonb" if declared is None else _pg_type(declared)


def _pg_type(declared: ColumnType) -> str:
    if declared.kind == "int" and declared.high is not None and declared.high > 2 ** 63 - 1:
        return "numeric(20,0)"              # bigint unsigned: beyond PostgreSQL's bigint
    if declared.kind == "decimal":
        return (f"numeric({declared.precision},{declared.scale or 0})" if declared.precision is not None
                else "numeric")
    return _PG_TYPES[declared.kind]


def _json_text(value: Any) -> str:
    from pruner.follow import json_value
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=json_value)


class PgSink:
    """The sink table and its checkpoint row, written one transaction per group."""

    def __init__(self, url: str, spec: JobSpec, name: str) -> None:
        import psycopg2
        from psycopg2 import sql

        self.psycopg2, self.sql = psycopg2, sql
        self.dsn, self.schema, self.table = parse_sink_url(url)
        self.name = name                # the checkpoint row's key (the follower's slot)
        self.key = spec.sink.primary_key
        self.fields = spec.sink.fields
        self.types = {f: column_type(spec, f) for f in self.fields}
        try:
            self.connection = psycopg2.connect(self.dsn)
        except psycopg2.Error as error:
            raise SinkError(f"cannot connect to the sink database: {str(error).strip()}") from None
        try:
            self._create()
        except psycopg2.Error as error:
            self.connection.close()
            raise SinkError(f"cannot create the sink table {self.schema}.{self.table}: {str(error).strip()}") from None

    def _create(self) -> None:
        sql, ident = self.sql, self.sql.Identifier
        with self.connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
            cursor.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident(self.schema)))
            columns = [sql.SQL("{} {}").format(ident(f), sql.SQL(self.types[f])) for f in self.fields]
            cursor.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {}.{} ({}, PRIMARY KEY ({}))").format(
                ident(self.schema), ident(self.table), sql.SQL(", ").join(columns),
                sql.SQL(", ").join(map(ident, self.key))))
            cursor.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {}.pruner_checkpoint (sink text PRIMARY KEY, "
                                   "target text NOT NULL, target_oid oid NOT NULL, end_lsn bigint NOT NULL, "
                                   "snapshot_lsn bigint NOT NULL, snapshot text)").format(ident(self.schema)))
            cursor.execute("SELECT %s::regclass::oid", (f"{_quoted(self.schema)}.{_quoted(self.table)}",))
            self.oid = cursor.fetchone()[0]
            cursor.execute("SELECT column_name, format_type(a.atttypid, a.atttypmod) FROM information_schema.columns c "
                           "JOIN pg_attribute a ON a.attrelid = (quote_ident(c.table_schema) || '.' || "
                           "quote_ident(c.table_name))::regclass AND a.attname = c.column_name "
                           "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                           (self.schema, self.table))
            found = dict(cursor.fetchall())
        self.connection.commit()
        wanted = {f: _FORMAT.get(self.types[f], self.types[f]) for f in self.fields}
        if found != wanted:
            differ = [f"{f} {found.get(f, 'missing')} (the job's: {wanted.get(f, 'none')})"
                      for f in sorted(set(found) | set(wanted)) if found.get(f) != wanted.get(f)]
            raise SinkError(f"the sink table {self.schema}.{self.table} exists with other columns than the "
                            f"job's sink: {'; '.join(differ)}; give another table or drop it")

    def position(self) -> tuple[int, int, str | None]:
        """(committed end LSN, the snapshot's LSN, the snapshot's text or None); 0s when new.

        The checkpoint row is the slot's: a slot feeds one sink table, and that table is the one
        the checkpoint was written with (not one dropped and created again since)."""
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql.SQL("SELECT end_lsn, snapshot_lsn, snapshot, target, target_oid FROM "
                                        "{}.pruner_checkpoint WHERE sink = %s").format(
                self.sql.Identifier(self.schema)), (self.name,))
            row = cursor.fetchone()
            cursor.execute(self.sql.SQL("SELECT sink FROM {}.pruner_checkpoint WHERE target = %s AND sink <> %s "
                                        "LIMIT 1").format(self.sql.Identifier(self.schema)),
                           (f"{self.schema}.{self.table}", self.name))
            other = cursor.fetchone()
        self.connection.commit()
        here = f"{self.schema}.{self.table}"
        if other is not None:
            raise SinkError(f"{here} is fed by {other[0]!r} (its checkpoint row in {self.schema}.pruner_checkpoint), "
                            f"not {self.name!r}: a sink table has one source; give another table (or follow "
                            "with the --slot and source that feed it)")
        if row is None:
            return 0, 0, None
        if row[3] != here:
            raise SinkError(f"slot {self.name!r} feeds {row[3]} (its checkpoint is there), not {here}: a slot "
                            "feeds one sink table, and has dropped what that table alone saw; give a new --slot")
        if int(row[4]) != int(self.oid):
            raise SinkError(f"{here} was dropped and created again after its checkpoint: it no longer holds what "
                            f"slot {self.name!r} has dropped; delete the slot's row from "
                            f"{self.schema}.pruner_checkpoint and follow with a new --slot")
        return int(row[0]), int(row[1]), row[2]

    def write(self, records: list[SinkRecord], end_lsn: int, snapshot_lsn: int, snapshot_text: str | None) -> None:
        """Apply `records` and move the checkpoint to `end_lsn` (and the snapshot, when given), in
        one transaction."""
        sql, ident = self.sql, self.sql.Identifier
        target = sql.SQL("{}.{}").format(ident(self.schema), ident(self.table))
        key_match = sql.SQL(" AND ").join(sql.SQL("{} = %s").format(ident(k)) for k in self.key)
        try:
            with self.connection.cursor() as cursor:
                for record in records:
                    if record.op == "delete":
                        cursor.execute(sql.SQL("DELETE FROM {} WHERE {}").format(target, key_match),
                                       [self._value(k, v) for k, v in zip(self.key, record.key)])
                        continue
                    values = dict(zip(self.key, record.key))
                    values.update((f, v) for f, v in record.fields.items() if f not in values)
                    names = list(values)
                    rest = [n for n in names if n not in self.key]
                    action = (sql.SQL("DO UPDATE SET {}").format(sql.SQL(", ").join(
                        sql.SQL("{0} = EXCLUDED.{0}").format(ident(n)) for n in rest)) if rest
                        else sql.SQL("DO NOTHING"))
                    cursor.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) {}").format(
                        target, sql.SQL(", ").join(map(ident, names)), sql.SQL(", ").join(sql.Placeholder() * len(names)),
                        sql.SQL(", ").join(map(ident, self.key)), action),
                        [self._value(n, values[n]) for n in names])
                checkpoint = sql.SQL("{}.pruner_checkpoint").format(ident(self.schema))
                target = (self.name, f"{self.schema}.{self.table}", self.oid, end_lsn)
                if snapshot_text is None:
                    cursor.execute(sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, 0) ON CONFLICT (sink) DO "
                                           "UPDATE SET end_lsn = EXCLUDED.end_lsn").format(checkpoint), target)
                else:
                    cursor.execute(sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (sink) DO "
                                           "UPDATE SET end_lsn = EXCLUDED.end_lsn, snapshot_lsn = "
                                           "EXCLUDED.snapshot_lsn, snapshot = EXCLUDED.snapshot").format(checkpoint),
                                   (*target, snapshot_lsn, snapshot_text))
            self.connection.commit()
        except self.psycopg2.Error as error:
            text = f"writing to {self.schema}.{self.table} failed: {str(error).strip()}"
            if self.connection.closed or isinstance(error, (self.psycopg2.OperationalError,
                                                            self.psycopg2.InterfaceError)):
                raise SinkLost(text) from None
            self.connection.rollback()
            raise SinkError(text) from None
        except _Unwritable as error:
            self.connection.rollback()
            raise SinkError(str(error)) from None

    def reconnect(self) -> None:
        """A new connection, the table checked again as at start (SinkError if it cannot be had)."""
        try:
            self.connection.close()
        except self.psycopg2.Error:
            pass
        try:
            self.connection = self.psycopg2.connect(self.dsn)
            self._create()
        except self.psycopg2.Error as error:
            raise SinkLost(f"cannot connect to the sink database again: {str(error).strip()}") from None

    def _value(self, field: str, value: Any) -> Any:
        if value is None:
            return None
        if self.types.get(field, "jsonb") == "jsonb":
            try:
                return _json_text(value)
            except (ValueError, RecursionError) as error:       # NaN or an infinity: not JSON
                raise _Unwritable(f"{field} = {value!r} cannot be written to its jsonb column ({error}); "
                                  f"declare its type in the sink's types (double holds NaN and infinities)") from None
        return value

    def rows(self) -> list[dict[str, Any]]:
        """The table's rows as dicts, in key order (for checks)."""
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql.SQL("SELECT * FROM {}.{} ORDER BY {}").format(
                self.sql.Identifier(self.schema), self.sql.Identifier(self.table),
                self.sql.SQL(", ").join(map(self.sql.Identifier, self.key))))
            names = [d[0] for d in cursor.description]
            found = [dict(zip(names, row)) for row in cursor.fetchall()]
        self.connection.commit()
        return found

    def close(self) -> None:
        self.connection.close()


class PgFollower:
    """`pruner follow` into a PostgreSQL table: the Follower's interface (``transaction``,
    ``done_lsn``, ``ack_lsn``, ``tick``, ``close``), with group commit and the snapshot kept in
    the sink database."""

    def __init__(self, spec_path: str | Path, plan_path: str | Path, url: str, name: str, *,
                 mode: str = "pruned", on_stale: str = "stop", snapshot_every: int = 1000,
                 dedup: Dedup | None = None, group_max: int = 100, group_ms: float = 200.0,
                 source: str = "postgresql", database: str | None = None,
                 progress: IO[str] | None = None) -> None:
        from pruner.follow import FollowError, FollowStats, decoder, follow_engine, snapshot_identity, switch_from
        from pruner.planfile import read_plan
        from pruner.spec import load_spec

        if snapshot_every < 1:
            raise FollowError("a PostgreSQL sink needs snapshots (--snapshot-every 1 or more): the source "
                              "keeps what came after the last one, and nothing else keeps it")
        if group_max < 1 or not group_ms >= 0:
            raise FollowError("group commit needs --group-max 1 or more and --group-ms 0 or more")
        self.spec = load_spec(spec_path)
        plan = read_plan(plan_path)
        self.plan, self.plan_text = plan, Path(plan_path).read_text(encoding="utf-8")
        self.types = self.spec.types
        self.engine = follow_engine(self.spec, plan, mode, on_stale, dedup)
        self.identity = snapshot_identity(plan_path, mode, self.engine, source, database)
        self._decoder = decoder(source)
        self.source = source
        self.stats = FollowStats()
        self.stats.engine = self.engine.stats
        self.snapshot_every, self.group_max, self.group_ms = snapshot_every, group_max, group_ms
        self.progress = progress        # where a plan switch at start reports how far it is
        # the checkpoint row's key: the slot's name, or mysql:DATABASE:NAME (a MariaDB source's
        # positions are GTID sequence numbers, not LSNs: the two never share a row)
        try:
            self.sink = PgSink(url, self.spec, name if source == "postgresql" else f"{source}:{database}:{name}")
        except SinkError as error:
            raise FollowError(str(error)) from None
        try:
            try:
                self.sink_lsn, self.ack_lsn, text = self.sink.position()
            except SinkError as error:
                raise FollowError(str(error)) from None
            self.ack_xid: Any = None
            switch = None
            if text is not None:
                try:
                    found, position, state = snapshot.read(text)
                    switch = switch_from(found, position, self.identity)
                    if found != self.identity and switch is None:
                        raise snapshot.SnapshotError(f"the snapshot was taken for {found}, not {self.identity} "
                                                     "(another plan or mode)")
                    self.ack_xid = position.get("xid")
                    if switch is None:
                        snapshot.restore_engine(self.engine, state)
                except snapshot.SnapshotError as error:
                    raise FollowError(f"the sink's snapshot cannot be used ({error}); the source no longer "
                                      "keeps what it stood for: follow with the plan and --mode it was taken "
                                      "with, or into a new table with a new --slot") from None
                self.stats.snapshot_lsn = self.ack_lsn
        except BaseException:
            self.sink.close()
            raise
        self.done_lsn = self.ack_lsn           # the engine holds everything up to here
        self.done_xid = self.ack_xid
        # the sink's tables, for wal2json's filter-tables: a sink in the source database would
        # otherwise stream its own writes back
        self.own_tables = tuple(f"{_wal2json_name(self.sink.schema)}.{_wal2json_name(t)}"
                                for t in (self.sink.table, "pruner_checkpoint"))
        self._pending: list[SinkRecord] = []
        self._pending_lsn = 0
        self._group = 0
        self._group_started = 0.0
        self._since_snapshot = 0
        self._clean = True              # the engine holds whole transactions only
        if switch is not None:
            try:
                self._switch_plan(switch, state, found["plan_sha256"])
            except BaseException:
                self.sink.close()
                raise

    def _switch_plan(self, old_plan: Any, state: dict[str, Any], old_sha: str) -> None:
        """Switch the table from the plan of the sink's snapshot to this one, in one transaction:
        the fields the new plan computes otherwise, for every row (``pruner.backfill``), and a
        snapshot of the new plan. Only from a snapshot that covers every transaction the table
        holds: the old plan's records after it could not be run again."""
        from pruner.backfill import BackfillError, restore_source_state, switch, switch_message
        from pruner.diff import decoded_otherwise
        from pruner.follow import FollowError

        if self.sink_lsn > self.ack_lsn:
            raise FollowError(f"the plan changed (the sink's snapshot was taken with plan {old_sha[:12]}), and the "
                              "table holds transactions written after that snapshot, which only the old plan can "
                              "run again: follow once more with the plan the table was built with and stop it "
                              "(Ctrl-C: a clean stop snapshots everything), then start with the new plan")
        if decoded_otherwise(old_plan, self.plan):
            raise FollowError("the plan changed, and with it the declared types of source fields (`pruner diff` "
                              "lists them): the table's state holds values decoded with the old types, and the "
                              "source no longer keeps the changes to decode again. Follow into a new table with a "
                              "new --slot, or keep the old types")
        try:
            was = restore_source_state(self.engine, state)
            plan, records, stats = switch(self.engine, old_plan, self.plan, was,
                                          "follow into a new table with a new --slot", self.progress)
        except BackfillError as error:
            raise FollowError(str(error)) from None
        self._pending, self._group, self._pending_lsn = records, 1, self.sink_lsn
        self._since_snapshot = 1
        self.flush(force_snapshot=True)
        self.stats.switched = switch_message(plan, stats, f"{len(records):,} records written with the new snapshot")
        self.stats.dead_letters += [f"plan switch, row {list(key)}: {why}" for key, why in stats.dead_letters]

    def transaction(self, end_lsn: int, xid: Any, changes: list[str]) -> bool:
        """Run one source transaction; True when its records go to the sink (False: sent again,
        or already in the sink and only run to rebuild the state)."""
        if end_lsn <= self.done_lsn:
            self.stats.skipped_redelivered += 1
            return False
        if not changes:     # nothing of the job's (wal2json still sends begin and commit): nothing to
            self.done_lsn, self.done_xid = end_lsn, xid     # write, so a sink in the source database
            return False                        # does not feed its own commits back for ever
        decoded = [change for raw in changes for change in self._decoder(raw, self.types, self.stats)]
        if not any(change.table in self.engine.tables for change in decoded):
            self.done_lsn, self.done_xid = end_lsn, xid     # nothing of the job's: nothing to write (and
            return False                        # no commit of ours to come back, even unfiltered)
        self._clean = False
        records: list[SinkRecord] = []
        for change in decoded:
            self.stats.changes += 1
            result = self.engine.process(change)
            if isinstance(result, list):
                records += result
            else:
                self.stats.dead_letters.append(result.reason)
        self.done_lsn, self.done_xid = end_lsn, xid
        self._clean = True
        self._since_snapshot += 1
        if end_lsn <= self.sink_lsn:           # in the sink already: its state is rebuilt, not written
            self.stats.replayed_transactions += 1
            return False
        if not self._group:
            self._group_started = time.perf_counter()
        self._pending += records
        self._pending_lsn = end_lsn
        self._group += 1
        self.stats.transactions += 1
        if self._group >= self.group_max or (time.perf_counter() - self._group_started) * 1000 >= self.group_ms:
            self.flush()
        return True

    @property
    def resume_xid(self) -> Any:
        """The transaction a MariaDB source resumes after: the snapshot's (what came after it is run
        again, and written only past the committed position)."""
        return self.ack_xid

    def tick(self) -> None:
        """Called while the stream is quiet: commit a group that has waited long enough."""
        if self._group and (time.perf_counter() - self._group_started) * 1000 >= self.group_ms:
            self.flush()

    def flush(self, force_snapshot: bool = False) -> None:
        """Commit the group (records, position and, when due, the snapshot) in one transaction."""
        if not self._group and not (force_snapshot and self._since_snapshot):
            return
        text = None
        # a MariaDB source's position lives in the snapshot (the binlog is not kept for us): the
        # first group carries one, so a restart never starts again from --start-gtid
        first = self.source != "postgresql" and self.ack_xid is None
        if force_snapshot or first or self._since_snapshot >= self.snapshot_every:
            try:
                text = snapshot.dumps(self.engine, self.identity, {"end_lsn": self.done_lsn, "xid": self.done_xid,
                                                                   "plan": self.plan_text})
            except snapshot.SnapshotError as error:
                from pruner.follow import FollowError
                raise FollowError(f"the engine's state cannot be snapshotted ({error}); a PostgreSQL sink "
                                  "needs snapshots: follow into a sink file instead") from None
        end = max(self._pending_lsn, self.sink_lsn) if self._group else self.sink_lsn
        self._write(end, text)
        self.sink_lsn = end
        if text is not None:
            self.ack_lsn, self.ack_xid = self.done_lsn, self.done_xid
            self._since_snapshot = 0
            self.stats.snapshots += 1
        self._pending, self._group = [], 0

    def _write(self, end: int, text: str | None) -> None:
        """The group's one transaction. A lost connection is made again (for up to RECONNECT_S);
        a group whose commit did reach the database before the connection broke (its checkpoint
        says so) is not written twice."""
        from pruner.follow import FollowError

        lost_at: float | None = None
        while True:
            try:
                if lost_at is not None:
                    self.sink.reconnect()
                    committed, _, _ = self.sink.position()
                    if committed >= end and end > self.sink_lsn:
                        return                  # the commit went through; only its reply was lost
                self.sink.write(self._pending, end, self.done_lsn if text is not None else self.ack_lsn, text)
                return
            except SinkLost as error:
                now = time.monotonic()
                if lost_at is None:
                    lost_at = now
                    self.stats.warnings.append(f"the sink database connection broke ({error}); connected again")
                if now - lost_at >= RECONNECT_S:
                    raise FollowError(f"{error}; the sink database did not come back within {RECONNECT_S:.0f} s. "
                                      "Start again: the source resends what the sink does not hold") from None
                time.sleep(0.5)
            except SinkError as error:
                raise FollowError(str(error)) from None

    def close(self) -> None:
        """A clean stop: the group committed with a snapshot of everything done."""
        try:
            if self._clean and not self.sink.connection.closed:
                self.flush(force_snapshot=True)
        finally:
            self.sink.close()

    def release(self) -> None:
        """Close the connection, writing nothing more (after an error; ``close`` is the clean stop)."""
        self.sink.close()


def _wal2json_name(name: str) -> str:
    """A schema or table name as wal2json's filter-tables option reads it (backslash escapes)."""
    return re.sub(r"([\\ ',.*])", r"\\\1", name)


