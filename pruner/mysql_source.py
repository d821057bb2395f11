"""Follow a MariaDB database's binlog, pruned as it happens (``pruner follow --source mysql://...``).

    pruner follow JOB.yaml --plan PLAN --source mysql://USER:PASSWORD@HOST:3306/DB \\
        --sink 'postgresql://USER@HOST/DB#SCHEMA.TABLE'      (or --sink-out sink.jsonl)

Built on ``mysql-replication`` (a pure-Python binlog client): the follower registers as a
replica (``--server-id``, unique among the server's replicas) and reads row events, which carry
column names and exact values when the server writes them with

    binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL   (MariaDB 10.5 and newer)

A server without these is refused at start, with the settings to change. MariaDB only: its
GTIDs (``domain-server-sequence``) are the position.

Transactions: each GTID of the job's database is one source transaction; its row events of the
job's tables become changes (other tables and databases are not decoded), its commit (an XID, or
``COMMIT`` or ``ROLLBACK`` for non-transactional tables, whose rows stay changed) applies it.
An XA transaction's rows are applied at its ``XA COMMIT`` (never at ``XA ROLLBACK``); one that
was prepared before the sink's position is not known to the follower, and its ``XA COMMIT``
stops it with a clear message. Values are the server's, exactly:

    DECIMAL            Decimal            DATETIME           datetime, as written (no zone)
    TIMESTAMP          datetime, UTC      DATE / TIME        date / timedelta
    BIGINT UNSIGNED    int (to 2**64-1)   FLOAT              its double value (not rounded to 32 bits)
    BLOB, BINARY       bytes              ENUM / SET         str / set of str
    JSON               text (MariaDB keeps JSON as LONGTEXT): declare the field ``json`` in the
                       job's types to get the parsed value (numbers exact, as Decimal)
    NULL               None

Declared types check values as ``pruner.cdc.types.coerce_value`` does (a wrong one is a dead
letter). In the sink file a record's bytes are base64 text and a set a sorted list; a
PostgreSQL sink's ``bytes`` column is ``bytea``.

Position: the GTID of the last transaction applied, kept with the sink (the sink file's last
line, or the snapshot in the PostgreSQL sink's checkpoint row); the stream resumes after it, and
what the server sends again is skipped by sequence number. A new sink starts at ``--start-gtid``
(default: the oldest binlog the server still has, so that the job's state has the tables'
history). One GTID domain is followed; transactions of another domain stop the follower.

Schema changes of the job's tables, as the binlog has them (DDL statements):
- ``TRUNCATE`` is a truncate change (every row of the table goes);
- ``ALTER TABLE ... ADD COLUMN`` goes on, with a warning: the new column is a field the plan does
  not know, so a change to it counts under the wildcard bit (only units that may read any field
  depend on it); list it in the spec and recompile if the job is to read it. Existing rows'
  values of it (a DEFAULT) reach the job with each row's next change;
- dropping or renaming a column the job reads (DROP, CHANGE, RENAME COLUMN), or dropping or
  renaming the table, stops the follower before that statement, with the sink whole up to it:
  change the job, recompile, and start again; it goes on from that statement;
- other ALTERs go on. A read column that vanishes from the row events without a statement seen
  to drop it stops the follower as well.
"""
from __future__ import annotations

import json
import logging
import re
import signal
import time
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Iterator
from urllib.parse import unquote, urlsplit

from pruner.cdc.message import BadMessage
from pruner.cdc.model import DELETE, INSERT, TRUNCATE, UPDATE, DIFF, Change
from pruner.cdc.types import ColumnType, coerce_value
from pruner.runtime import snapshot

_RECOMPILE = (" The sink is whole up to the transaction before it. Change the job spec (and its Processors) "
              "for the new schema, recompile (pruner compile), and start again: it goes on from this statement")
HEARTBEAT_S = 0.5               # the server sends one when the binlog is quiet this long
RECONNECT_S = 30.0              # how long a lost source connection is tried again before stopping
_LOST = (0, 2003, 2006, 2013, 2055)   # client errors of a connection lost or refused: try again
_GTID = re.compile(r"^(\d+)-(\d+)-(\d+)$")


def _follow_error(message: str) -> Exception:
    from pruner.follow import FollowError
    return FollowError(message)


# ---------------------------------------------------------------------- the connection
@dataclass(frozen=True)
class MysqlSource:
    settings: dict[str, Any]        # pymysql connection settings
    database: str

    @property
    def shown(self) -> str:
        return (f"mysql://{self.settings['user']}@{self.settings['host']}:{self.settings['port']}/"
                f"{self.database}")


def parse_source_url(url: str) -> MysqlSource:
    """``mysql://USER[:PASSWORD]@HOST[:PORT]/DB`` (also ``mariadb://``)."""
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/"))
    if parts.scheme not in ("mysql", "mariadb") or not parts.hostname or not database or "/" in database:
        raise _follow_error(f"--source {url!r}: expected mysql://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
    if parts.query or parts.fragment:
        raise _follow_error(f"--source {url!r}: options after ? or # are not read; give "
                            "mysql://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
    try:
        port = parts.port or 3306
    except ValueError:
        raise _follow_error(f"--source {url!r}: the port is not a number") from None
    settings = {"host": parts.hostname, "port": port, "user": unquote(parts.username or "root"),
                "passwd": unquote(parts.password or ""), "charset": "utf8mb4"}
    return MysqlSource(settings, database)


def parse_gtid(text: str) -> tuple[int, int, int]:
    """(domain, server, sequence) of a MariaDB GTID such as ``0-1-42``."""
    found = _GTID.match(text.strip())
    if found is None:
        raise _follow_error(f"{text!r} is not a MariaDB GTID (DOMAIN-SERVER-SEQUENCE, such as 0-1-42): "
                            "SELECT @@gtid_binlog_pos on the server shows the current one")
    domain, server, sequence = map(int, found.groups())
    return domain, server, sequence


def default_server_id(name: str) -> int:
    """A replica server id from the follower's name, stable across restarts (1000 to 2**31)."""
    return 1000 + zlib.crc32(name.encode("utf-8")) % (2 ** 31 - 1000)


_REQUIRED = (("binlog_format", "ROW"), ("binlog_row_image", "FULL"), ("binlog_row_metadata", "FULL"))


def check_server(source: MysqlSource, tables: list[str], server_id: int) -> list[str]:
    """Refuse a server that cannot be followed (with the fix), or whose own server id is
    `server_id`; the job's tables it lacks (a warning each, since a table may be created later)."""
    import pymysql

    try:
        connection = pymysql.connect(**source.settings, connect_timeout=10)
    except pymysql.Error as error:
        raise _follow_error(f"cannot connect to {source.shown}: {_pymysql_text(error)}") from None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT VERSION(), @@log_bin, @@server_id")
            version, log_bin, own_id = cursor.fetchone()
            if int(own_id) == server_id:
                raise _follow_error(f"--server-id {server_id} is the server's own id: give this follower an id no "
                                    "other server or replica uses")
            if "mariadb" not in str(version).lower():
                raise _follow_error(f"{source.shown} is {version}, not MariaDB: `pruner follow` reads MariaDB's "
                                    "binlog (its GTIDs are the position)")
            if not int(log_bin):
                raise _follow_error(f"{source.shown} writes no binlog: start it with log_bin (log-bin=mysql-bin "
                                    "under [mariadb] in its configuration)")
            wrong = []
            for variable, wanted in _REQUIRED:
                try:
                    cursor.execute(f"SELECT @@GLOBAL.{variable}")
                    value = str(cursor.fetchone()[0])
                except pymysql.Error:
                    value = "missing (MariaDB 10.5 or newer has it)"
                if value.upper() != wanted:
                    wrong.append(f"{variable}={value} (needs {wanted})")
            if wrong:
                raise _follow_error(f"{source.shown} cannot be followed: {'; '.join(wrong)}. Set them under "
                                    "[mariadb] in the server's configuration, or SET GLOBAL for new binlog "
                                    "events; without FULL row images and metadata, row events carry neither "
                                    "every column nor the column names")
            cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                           (source.database,))
            found = {row[0] for row in cursor.fetchall()}
    except pymysql.Error as error:
        raise _follow_error(f"cannot read the settings of {source.shown}: {_pymysql_text(error)}") from None
    finally:
        connection.close()
    return [f"table {t} of the job is not in database {source.database} (yet)" for t in tables if t not in found]


def _pymysql_text(error: Exception) -> str:
    args = getattr(error, "args", ())
    if len(args) == 2 and isinstance(args[0], int):
        return f"({args[0]}) {args[1]}"
    return str(error).strip()


# ---------------------------------------------------------------------- changes as text
def change_text(kind: str, table: str, database: str, before: dict | None, after: dict | None,
                ts: int | None) -> str:
    """One binlog change as the text a sink line keeps (values tagged exactly, as in snapshots)."""
    return json.dumps({"kind": kind, "table": table, "database": database, "ts_ms": ts,
                       "before": snapshot.encode_value(before), "after": snapshot.encode_value(after)},
                      ensure_ascii=False, separators=(",", ":"))


def decode_binlog_change(raw: str, types: dict[str, dict[str, ColumnType]], stats: Any) -> list[Change]:
    """One change of ``change_text`` as a Change, typed; a bad one is a dead letter."""
    try:
        obj = snapshot.decode_value(raw)
        kind, table = obj["kind"], obj["table"]
        columns = types.get(table) or {}
        before = _typed(obj["before"], columns, table)
        after = _typed(obj["after"], columns, table)
        changed = DIFF if kind == UPDATE else None
        return [Change(kind, table, before, after, changed, stats.changes + 1, obj.get("database"),
                       obj.get("ts_ms"))]
    except BadMessage as error:
        stats.dead_letters.append(f"{error.reason}: {raw[:200]}")
    except (ValueError, KeyError, TypeError) as error:
        stats.dead_letters.append(f"not a binlog change ({error}): {raw[:200]}")
    return []


def _typed(row: dict | None, columns: dict[str, ColumnType], table: str) -> dict | None:
    if row is None or not columns:
        return row
    out = dict(row)
    for name, column in columns.items():
        value = out.get(name)
        if value is None:
            continue
        if column.kind == "json" and isinstance(value, str):       # MariaDB's JSON is LONGTEXT
            try:
                out[name] = json.loads(value, parse_float=Decimal)
                continue
            except ValueError as error:
                raise BadMessage(f"table {table!r}, field {name!r}: expected JSON text ({error})") from None
        if column.kind == "bool" and type(value) is int and value in (0, 1):     # MySQL's BOOLEAN: tinyint(1)
            out[name] = bool(value)
            continue
        if column.kind == "bytes" and isinstance(value, str):     # an empty BLOB, or text declared bytes
            out[name] = value.encode("utf-8")
            continue
        try:
            out[name] = coerce_value(value, column)
        except ValueError as error:
            raise BadMessage(f"table {table!r}, field {name!r}: {error}") from None
    return out


# ---------------------------------------------------------------------- DDL
_NAME = r"(?:`(?:[^`]|``)+`|[\w$]+)"
_QUALIFIED = rf"({_NAME}(?:\s*\.\s*{_NAME})?)"
_COMMENT = re.compile(r"/\*.*?\*/|--[^\n]*|#[^\n]*", re.S)
_TRUNCATE = re.compile(rf"^TRUNCATE\s+(?:TABLE\s+)?{_QUALIFIED}\s*;?\s*$", re.I | re.S)
_ALTER = re.compile(rf"^ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}\s*(.*)$",
                    re.I | re.S)
_DROP_TABLE = re.compile(r"^DROP\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?(.*)$", re.I | re.S)
_RENAME_TABLE = re.compile(r"^RENAME\s+TABLES?\s+(.*)$", re.I | re.S)
_NOT_COLUMNS = ("INDEX", "KEY", "PRIMARY", "UNIQUE", "FULLTEXT", "SPATIAL", "FOREIGN", "CONSTRAINT",
                "PARTITION", "CHECK", "PERIOD", "SYSTEM")


@dataclass
class Ddl:
    """What a statement does to the job's tables."""
    truncate: str | None = None                 # a job table truncated
    stop: str | None = None                     # why the follower must stop before it
    warnings: list[str] = field(default_factory=list)


def _unquote(name: str) -> str:
    name = name.strip()
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def _split_name(qualified: str, default: str | None) -> tuple[str | None, str]:
    parts = re.findall(_NAME, qualified)
    if len(parts) == 2:
        return _unquote(parts[0]), _unquote(parts[1])
    return default, _unquote(parts[0])


def _clauses(text: str) -> list[str]:
    """An ALTER's comma-separated clauses (commas in parentheses and quotes do not split)."""
    out, depth, quote, start = [], 0, "", 0
    for at, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            out.append(text[start:at].strip())
            start = at + 1
    out.append(text[start:].strip())
    return [c for c in out if c]


def read_ddl(query: str, default_db: str | None, database: str, fields: dict[str, tuple[str, ...]]) -> Ddl:
    """What `query` (run with `default_db` selected) does to the job's tables (`fields`: table ->
    the fields the job declares) in `database`."""
    text = _COMMENT.sub(" ", query).strip()
    ddl = Ddl()

    def ours(qualified: str) -> str | None:
        db, table = _split_name(qualified, default_db)
        return table if db == database and table in fields else None

    found = _TRUNCATE.match(text)
    if found:
        ddl.truncate = ours(found.group(1))
        return ddl
    found = _DROP_TABLE.match(text)
    if found:
        for name in re.findall(_QUALIFIED, found.group(1)):
            if ours(name):
                ddl.stop = f"it drops table {ours(name)}, a table of the job"
        return ddl
    found = _RENAME_TABLE.match(text)
    if found:
        for pair in _clauses(found.group(1)):
            names = re.findall(_QUALIFIED, pair)
            if names and ours(names[0]):
                ddl.stop = f"it renames table {ours(names[0])}, a table of the job"
        return ddl
    found = _ALTER.match(text)
    if not found or ours(found.group(1)) is None:
        return ddl
    table = ours(found.group(1))
    assert table is not None
    read = set(fields[table])
    for clause in _clauses(found.group(2)):
        words = clause.split()
        verb = words[0].upper() if words else ""
        rest = clause[len(words[0]):].strip() if words else ""
        rest = re.sub(r"^COLUMN\s+", "", rest, flags=re.I)
        head = rest.split()[0].upper() if rest.split() else ""
        if verb == "RENAME":
            column = re.match(rf"^COLUMN\s+(?:IF\s+EXISTS\s+)?({_NAME})\s+TO\s+({_NAME})", clause[6:].strip(), re.I)
            if column:
                if _unquote(column.group(1)) in read:
                    ddl.stop = f"it renames column {table}.{_unquote(column.group(1))}, which the job reads"
            elif re.match(r"^(?:TO|AS)\b|^[`\w$]", clause[6:].strip(), re.I) and not re.match(
                    r"^(?:INDEX|KEY)\b", clause[6:].strip(), re.I):
                ddl.stop = f"it renames table {table}, a table of the job"
        elif verb in ("DROP", "CHANGE", "MODIFY", "ADD") and head not in _NOT_COLUMNS:
            rest = re.sub(r"^IF\s+(?:NOT\s+)?EXISTS\s+", "", rest, flags=re.I)
            names = re.findall(_NAME, rest.lstrip("("))[:2]
            if not names:
                continue
            column = _unquote(names[0])
            if verb == "DROP" and column in read:
                ddl.stop = f"it drops column {table}.{column}, which the job reads"
            elif verb == "CHANGE" and column in read and len(names) > 1 and _unquote(names[1]) != column:
                ddl.stop = f"it renames column {table}.{column} to {_unquote(names[1])}; the job reads {column}"
            elif verb in ("CHANGE", "MODIFY") and column in read:
                ddl.warnings.append(f"the type of {table}.{column}, which the job reads, changed "
                                    f"({_short(query)}): its values now arrive as the new type")
            elif verb == "ADD":
                added = [_unquote(n) for n in re.findall(_NAME + r"(?=\s)", rest.strip("() "))][:1] \
                    if not rest.startswith("(") else [_unquote(re.findall(_NAME, c)[0])
                                                      for c in _clauses(rest.strip()[1:-1]) if re.findall(_NAME, c)]
                for name in added or [column]:
                    ddl.warnings.append(new_column_warning(table, name))
    return ddl


def new_column_warning(table: str, column: str) -> str:
    return (f"table {table} has a column {column} the job spec does not list: the plan counts a change to it "
            "under the wildcard bit (only units that may read any field run for it). If the job reads it, "
            "list it in the spec and recompile (pruner compile)")


_XA_ID = re.compile(r"^XA\s+(?:COMMIT|ROLLBACK)\s+X'([0-9A-Fa-f]*)'\s*,\s*X'([0-9A-Fa-f]*)'\s*,\s*(\d+)", re.I)


def _xa_key(query: str) -> tuple | None:
    """(format id, gtrid, bqual) of an ``XA COMMIT X'..',X'..',N`` as the binlog writes it."""
    found = _XA_ID.match(query.strip())
    if found is None:
        return None
    return int(found.group(3)), bytes.fromhex(found.group(1)), bytes.fromhex(found.group(2))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:117] + "..."


# ---------------------------------------------------------------------- the stream
@dataclass
class _Transaction:
    gtid: str
    sequence: int
    changes: list[str] = field(default_factory=list)
    ts: int | None = None
    standalone: bool = False        # a DDL: its statement is the whole transaction


class BinlogReader:
    """Transactions of the job's tables from the binlog, after a GTID: (sequence, gtid, changes)
    or a DDL stop. Wraps mysql-replication's stream, reconnecting from the last transaction
    taken when the server goes away (for up to ``RECONNECT_S``)."""

    def __init__(self, source: MysqlSource, server_id: int, fields: dict[str, tuple[str, ...]],
                 after_gtid: str | None) -> None:
        self.source, self.server_id, self.fields = source, server_id, fields
        self.after = after_gtid
        self.domain = parse_gtid(after_gtid)[0] if after_gtid else None
        self.warnings: list[str] = []
        self._warned: set[str] = set()
        self._columns: dict[str, tuple[str, ...]] = {}      # job table -> the columns its rows had
        self._prepared: dict[tuple, list[str]] = {}         # XA prepared, not yet ended: its changes
        self.stream: Any = None

    def _open(self) -> None:
        from pymysqlreplication import BinLogStreamReader
        from pymysqlreplication.event import (HeartbeatLogEvent, MariadbGtidEvent, QueryEvent, RotateEvent,
                                              XAPrepareEvent, XidEvent)
        from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

        logging.getLogger("pymysqlreplication").setLevel(logging.ERROR)     # its reconnects: reported here
        self.stream = BinLogStreamReader(
            dict(self.source.settings), server_id=self.server_id, is_mariadb=True, blocking=True,
            # no only_schemas/only_tables: the library would then skip the table maps of other
            # tables, and a table id the server reuses (after a restart) would still name a job
            # table. Rows are decoded lazily, and only the job tables' are read (_rows).
            auto_position=self.after, slave_heartbeat=HEARTBEAT_S,
            only_events=[MariadbGtidEvent, QueryEvent, XidEvent, WriteRowsEvent, UpdateRowsEvent,
                         DeleteRowsEvent, HeartbeatLogEvent, RotateEvent, XAPrepareEvent],
            # freeze_schema: a table map is parsed once per table id (most of the library's time
            # otherwise). Ids are unique within a server's run, and a restart starts a new binlog
            # file: the maps are forgotten at every file (RotateEvent) and every DDL statement.
            resume_stream=True, freeze_schema=True)

    def close(self) -> None:
        if self.stream is not None:
            try:
                self.stream.close()
            except Exception:                   # closing a broken connection: nothing to keep
                pass
            self.stream = None

    def taken(self, gtid: str) -> None:
        """The transaction `gtid` is applied: a reconnect resumes after it."""
        self.after = gtid
        if self.stream is not None:
            self.stream.auto_position = gtid

    def _warn(self, text: str) -> None:
        if text not in self._warned:
            self._warned.add(text)
            self.warnings.append(text)

    def events(self, stopping: list) -> Iterator[tuple[str, Any]]:
        """("heartbeat", None), ("transaction", _Transaction) or ("stop", (gtid, why))."""
        import pymysql
        from pymysqlreplication.event import (HeartbeatLogEvent, MariadbGtidEvent, QueryEvent, RotateEvent,
                                              XAPrepareEvent, XidEvent)

        lost_at: float | None = None
        while not stopping:
            if self.stream is None:
                self._open()
            current: _Transaction | None = None
            try:
                for event in self.stream:
                    lost_at = None
                    if isinstance(event, HeartbeatLogEvent):
                        yield "heartbeat", None
                    elif isinstance(event, RotateEvent):
                        self.stream.table_map.clear()
                    elif isinstance(event, MariadbGtidEvent):
                        if self.domain is None:
                            self.domain = event.domain_id
                        elif event.domain_id != self.domain:
                            yield "stop", (event.gtid, f"it is of GTID domain {event.domain_id}, and this "
                                                       f"follower follows domain {self.domain} only (the domain "
                                                       "of --start-gtid or of the sink's position); a sink "
                                                       "follows one domain")
                            return
                        current = _Transaction(event.gtid, event.gtid_seq_no, ts=event.timestamp * 1000 or None,
                                               standalone=bool(event.flags & 1))    # FL_STANDALONE
                    elif current is None:
                        continue
                    elif isinstance(event, XidEvent):
                        yield "transaction", current
                        current = None
                    elif isinstance(event, XAPrepareEvent):
                        # XA PREPARE: the rows wait for XA COMMIT (applied then) or XA ROLLBACK
                        if not event.one_phase:
                            self._prepared[(event.xid_format_id, event.xid_gtrid, event.xid_bqual)] = current.changes
                            current.changes = []
                        yield "transaction", current
                        current = None
                    elif isinstance(event, QueryEvent):
                        query = event.query if isinstance(event.query, str) else event.query.decode("utf-8", "replace")
                        word = query.strip().rstrip(";").strip().upper()
                        # a ROLLBACK in the binlog ends a transaction whose logged rows are of
                        # non-transactional tables: they stay changed, so it applies like a commit
                        if word in ("COMMIT", "ROLLBACK"):
                            yield "transaction", current
                            current = None
                            continue
                        if word.startswith(("BEGIN", "SAVEPOINT", "ROLLBACK TO", "RELEASE SAVEPOINT", "XA END",
                                            "XA START", "XA BEGIN")):
                            continue
                        if word.startswith(("XA COMMIT", "XA ROLLBACK")):
                            key = _xa_key(query)
                            changes = self._prepared.pop(key, None) if key is not None else None
                            if changes is None:
                                yield "stop", (current.gtid, f"{_short(query)} ends an XA transaction prepared "
                                                             "before this follower's position (or one it could not "
                                                             "read): whether it changed the job's tables is not "
                                                             "known here. Follow into a new sink from a GTID before "
                                                             "its XA PREPARE (--start-gtid)")
                                return
                            if word.startswith("XA COMMIT") and changes:
                                current.changes += changes
                            yield "transaction", current
                            current = None
                            continue
                        self.stream.table_map.clear()       # a DDL may change what a table id holds
                        default = event.schema.decode("utf-8", "replace") if isinstance(event.schema, bytes) \
                            else event.schema
                        ddl = read_ddl(query, default or None, self.source.database, self.fields)
                        if ddl.stop:
                            yield "stop", (current.gtid, f"{ddl.stop} ({_short(query)}).{_RECOMPILE}")
                            return
                        for warning in ddl.warnings:
                            self._warn(warning)
                        if ddl.truncate:
                            current.changes.append(change_text(TRUNCATE, ddl.truncate, self.source.database,
                                                               None, None, current.ts))
                        if current.standalone:          # a DDL's transaction ends with it
                            yield "transaction", current
                            current = None
                    else:
                        why = self._rows(event, current)
                        if why:
                            yield "stop", (current.gtid, why + _RECOMPILE)
                            return
            except (pymysql.err.Error, ConnectionError, OSError) as error:
                self.close()
                code = error.args[0] if isinstance(error, pymysql.err.Error) and error.args else None
                if isinstance(error, pymysql.err.Error) and code not in _LOST:
                    raise _follow_error(f"cannot read the binlog of {self.source.shown} after GTID "
                                        f"{self.after or '(the start)'}: {_pymysql_text(error)} (a GTID the "
                                        "server has purged from its binlog, or one it has not written yet, cannot "
                                        "be followed on from; SELECT @@gtid_binlog_pos shows where it is)") from None
                now = time.monotonic()
                lost_at = lost_at or now
                if now - lost_at >= RECONNECT_S or stopping:
                    raise _follow_error(f"the binlog stream of {self.source.shown} broke off and did not come "
                                        f"back within {RECONNECT_S:.0f} s ({_pymysql_text(error)}); the sink is "
                                        f"whole up to GTID {self.after or '(none)'}: start again to go on from "
                                        "there") from None
                self._warn(f"the binlog stream broke off ({_pymysql_text(error)}); reconnecting from GTID "
                           f"{self.after or '(the start)'}")
                time.sleep(0.5)
                continue
            if not stopping:            # a blocking stream ended: the server closed it
                self.close()

    def _values(self, table: str, values: dict, none_sources: dict | None) -> dict:
        """A row image with what the library read as None but is not NULL put right: an empty SET
        is an empty set; a zero or partial date (allowed under a lax sql_mode) cannot be read
        from the binlog, so it stays None, with a warning."""
        if not none_sources:
            return values
        for name, why in none_sources.items():
            if why == "empty set":
                values = {**values, name: set()}
            elif why.startswith("out of"):
                self._warn(f"{table}.{name} holds a zero or partial date (allowed under a lax sql_mode), which "
                           "the binlog reader cannot read: the job gets None for it")
        return values

    def _rows(self, event: Any, current: _Transaction) -> str | None:
        """Append a row event's changes to `current`; why to stop, if a read column vanished."""
        from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent

        if event.schema != self.source.database or event.table not in self.fields:
            return None
        table = event.table
        columns = tuple(c.name for c in event.columns)
        if any(name is None for name in columns):
            return (f"the row events of {table} carry no column names: the server writes them with "
                    "binlog_row_metadata=FULL only (SET GLOBAL binlog_row_metadata=FULL).")
        seen = self._columns.get(table)
        if seen is not None and seen != columns:
            gone = [f for f in self.fields[table] if f in seen and f not in columns]
            if gone:
                return (f"column {table}.{gone[0]}, which the job reads, is no longer in the table's row "
                        "events (dropped or renamed).")
        self._columns[table] = columns
        for name in columns:
            if name not in self.fields[table]:
                self._warn(new_column_warning(table, name))
        ts, database = current.ts, self.source.database
        for row in event.rows:
            if isinstance(event, UpdateRowsEvent):
                before = self._values(table, row["before_values"], row.get("before_none_sources"))
                after = self._values(table, row["after_values"], row.get("after_none_sources"))
                current.changes.append(change_text(UPDATE, table, database, before, after, ts))
            elif isinstance(event, DeleteRowsEvent):
                values = self._values(table, row["values"], row.get("none_sources"))
                current.changes.append(change_text(DELETE, table, database, values, None, ts))
            else:
                values = self._values(table, row["values"], row.get("none_sources"))
                current.changes.append(change_text(INSERT, table, database, None, values, ts))
        return None


def follow_mysql(spec_path: str | Path, plan_path: str | Path, url: str, sink_path: str | Path, *,
                 name: str = "pruner", server_id: int | None = None, start_gtid: str | None = None,
                 mode: str = "pruned", on_stale: str = "stop", idle_exit: float | None = None,
                 max_transactions: int | None = None, progress: IO[str] | None = None,
                 snapshot_every: int = 1000, dedup: Any = None, group_max: int = 100,
                 group_ms: float = 200.0) -> Any:
    """Stream the binlog's transactions through the job into a sink file or a PostgreSQL table
    until Ctrl-C, `idle_exit` seconds without a transaction, `max_transactions` written, or a
    schema change the job cannot survive (a FollowError, with the sink whole up to it)."""
    try:
        import pymysql  # noqa: F401
        import pymysqlreplication  # noqa: F401
    except ImportError:
        raise _follow_error("`pruner follow --source mysql://...` needs mysql-replication: "
                            "pip install 'cdc-pruner[mysql]'") from None
    from pruner.follow import Follower
    from pruner.spec import load_spec

    source = parse_source_url(url)
    if start_gtid is not None:
        parse_gtid(start_gtid)
    server_id = server_id if server_id is not None else default_server_id(name)
    if not 1 <= server_id <= 2 ** 32 - 1:
        raise _follow_error(f"--server-id {server_id}: a replica's server id is 1 to 4294967295")
    spec = load_spec(spec_path)
    fields = {t.name: t.fields for t in (*spec.sources, *spec.dimensions)}
    if str(sink_path).startswith(("postgresql://", "postgres://")):
        from pruner.pg_sink import PgFollower
        follower: Any = PgFollower(spec_path, plan_path, str(sink_path), name, mode=mode, on_stale=on_stale,
                                   snapshot_every=snapshot_every, dedup=dedup, group_max=group_max,
                                   group_ms=group_ms, source="mysql", database=source.database,
                                   progress=progress)
    else:
        follower = Follower(spec_path, plan_path, sink_path, mode, on_stale, snapshot_every, dedup, source="mysql",
                            database=source.database, progress=progress)
    stats = follower.stats
    try:
        stats.warnings += check_server(source, list(fields), server_id)
    except BaseException:
        follower.close()
        raise
    resume = follower.resume_xid
    if resume is not None and start_gtid is not None and resume != start_gtid:
        stats.warnings.append(f"--start-gtid {start_gtid} is for a new sink; this one goes on after GTID {resume}")
    reader = BinlogReader(source, server_id, fields,
                          resume if resume is not None else start_gtid)
    if progress is not None:
        for warning in [*([stats.snapshot_warning] if stats.snapshot_warning else []), *stats.warnings]:
            progress.write(f"warning: {warning}\n")
        if stats.switched:
            progress.write(f"{stats.switched}\n")
    shown = len(reader.warnings)

    stopping: list = []
    previous = {sig: signal.signal(sig, lambda *_: stopping.append(True)) for sig in (signal.SIGINT, signal.SIGTERM)}
    start = last_message = time.perf_counter()
    first_message: float | None = None
    last_report = start
    written = 0
    stopped: str | None = None
    try:
        for kind, item in reader.events(stopping):
            if stopping:                # Ctrl-C or SIGTERM: a heartbeat at the latest brings us here
                break
            now = time.perf_counter()
            if kind == "heartbeat":
                follower.tick()
                if idle_exit is not None and now - last_message >= idle_exit:
                    break
            elif kind == "stop":
                gtid, why = item
                stopped = f"stopped before GTID {gtid}: {why}"
                break
            else:
                last_message = now
                if first_message is None:
                    first_message = now
                if follower.transaction(item.sequence, item.gtid, item.changes):
                    written += 1
                reader.taken(item.gtid)
                if max_transactions is not None and written >= max_transactions:
                    break
            if progress is not None and len(reader.warnings) > shown:
                for warning in reader.warnings[shown:]:
                    progress.write(f"\nwarning: {warning}\n")
                shown = len(reader.warnings)
            if progress is not None and now - last_report >= 2.0:
                last_report = now
                progress.write(f"\r{stats.transactions:,} transactions, {stats.changes:,} changes, "
                               f"at GTID {follower.resume_xid or '(start)'}")
                progress.flush()
        follower.close()                              # a clean stop: what waits is committed
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stats.seconds = time.perf_counter() - start
        stats.active_seconds = last_message - first_message if first_message is not None else 0.0
        follower.release()
        reader.close()
        stats.warnings += reader.warnings
    stats.end_lsn = follower.done_lsn
    stats.position = follower.resume_xid
    stats.engine = follower.engine.stats
    if stopped:
        error = _follow_error(stopped)
        error.stats = stats                        # type: ignore[attr-defined]
        raise error
    return stats
