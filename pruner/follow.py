"""Follow a live PostgreSQL database: logical decoding with wal2json, pruned as it happens.

    pruner follow JOB.yaml --plan PLAN --dsn postgresql://user@host/db --sink-out sink.jsonl

It creates (or reuses) a logical replication slot with the wal2json plugin, streams changes
(format-version 2), runs each transaction through the engine, and writes one line per
source transaction to the sink file:

    {"end_lsn": 22110560, "xid": 731, "records": [{"op": "upsert", "key": [1], "fields": {...}}],
     "changes": ["<each wal2json change of the transaction, as the server sent it>"]}

Numeric values stay exact: the changes are kept as the server's text, and a ``Decimal`` in a
record is written as a string.

Exactly once across stops, crashes and restarts:
- a transaction's line is written (flushed, fsynced) before the server is told it may drop
  it (``send_feedback(flush_lsn=end_lsn)``): progress is acknowledged only after the sink write;
- on start, a torn last line is cut off, the job's state is rebuilt -- from the last snapshot of
  the engine (``<sink>.snapshot``, written every ``snapshot_every`` transactions and at a clean
  stop) and the ``changes`` of the lines after it, run through the engine again (their records
  are already in the file) -- and streaming starts at the last ``end_lsn``; a transaction at or
  before it that the server sends again is skipped;
- the sink file is locked while a follower runs (a second one on it stops with an error), and
  its directory is fsynced once it exists, so a new file survives a power cut with its lines.
Ctrl-C (SIGINT) or SIGTERM stops after the transaction in hand, with the slot where the sink is.
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import select
import signal
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from pruner.cdc.message import BadMessage, Skip
from pruner.cdc.model import DeadLetter
from pruner.cdc.types import coerce
from pruner.cdc.wal2json import decode_wal2json
from pruner.diff import decoded_otherwise
from pruner.fingerprint import file_digest
from pruner.planfile import read_plan
from pruner.runtime import snapshot
from pruner.runtime.dedup import Dedup
from pruner.runtime.engine import Engine, SinkRecord, SinkTable
from pruner.spec import load_spec

OPTIONS = {"format-version": "2", "include-xids": "1", "include-types": "0", "include-transaction": "1"}
STATUS_INTERVAL_S = 5.0
SWITCH_RECORDS_PER_LINE = 1000    # a plan switch's records, per sink line
FIRST_MESSAGE_WAIT_S = 10.0       # --idle-exit: how long the first message may take to come


class FollowError(Exception):
    """The database or the sink file cannot be used (with why)."""


@dataclass
class FollowStats:
    transactions: int = 0          # written to the sink this run
    changes: int = 0
    skipped_redelivered: int = 0   # transactions the server sent again, already in the sink
    replayed_transactions: int = 0 # read back from the sink at start to rebuild the state
    snapshot_lines: int = 0        # lines the snapshot loaded at start stood for (not replayed)
    snapshots: int = 0             # snapshots written this run
    snapshot_warning: str | None = None
    switched: str | None = None    # the plan changed since the sink's snapshot: what its backfill did
    retyped: bool = False          # ... and declared types with it: the whole sink file was decoded again
    snapshot_lsn: int = 0          # a PostgreSQL sink: the LSN of the snapshot loaded at start
    warnings: list[str] = field(default_factory=list)
    position: str | None = None    # a MariaDB source: the GTID the sink is at
    dead_letters: list[str] = field(default_factory=list)
    seconds: float = 0.0
    active_seconds: float = 0.0    # from the first message to the last (idle waiting left out)
    end_lsn: int = 0
    engine: Any = None             # the engine's RunStats


def lsn_text(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def read_sink(path: Path) -> list[dict[str, Any]]:
    """The sink file's transactions. A torn last line (a crash mid-write) is left out but not
    removed: a follower may be writing it now; the next follower to start cuts it."""
    return _read_lines(path)[0]


def _read_lines(path: Path, start: int = 0, first_line: int = 1) -> tuple[list[dict[str, Any]], int]:
    """The complete lines from byte `start` (line number `first_line`) on, and where they end
    in bytes (where a torn last line starts)."""
    if not path.exists():
        return [], 0
    with path.open("rb") as file:
        file.seek(start)
        data = file.read()
    data = data[:data.rfind(b"\n") + 1]
    lines = []
    for number, line in enumerate(data.splitlines(), first_line):
        lines.append(_sink_line(path, number, line))
    return lines, start + len(data)


def _sink_line(path: Path, number: int, line: bytes) -> dict[str, Any]:
    try:
        entry = json.loads(line)
        int(entry["end_lsn"]), entry["records"], entry["changes"]
    except (ValueError, KeyError, TypeError) as error:
        raise FollowError(f"{path}:{number}: not a sink line of `pruner follow` ({error}): not a sink file "
                          "`pruner follow --sink-out` wrote") from None
    return entry


def sink_table(path: Path, spec) -> SinkTable:
    """The sink as a downstream store sees it after applying every record of the file."""
    table = SinkTable(spec.sink.fields, spec.sink.primary_key)
    for entry in read_sink(path):
        for name in entry.get("switch", {}).get("removed", ()):   # a plan switch dropped a sink field
            for row in table.rows.values():
                row.pop(name, None)
        for record in entry["records"]:
            table.apply(SinkRecord(record["op"], tuple(record["key"]), record["fields"]))
    return table


def decode_change(raw: str, types: dict, stats: FollowStats) -> list:
    """One wal2json change (the server's text) as Changes, typed; a bad one is a dead letter."""
    try:
        obj = json.loads(raw, parse_float=Decimal)
        result = decode_wal2json(obj, stats.changes + 1)
        if isinstance(result, Skip):
            return []
        return [coerce(change, types.get(change.table), "wal2json") for change in result]
    except (ValueError, BadMessage) as error:
        stats.dead_letters.append(f"{getattr(error, 'reason', error)}: {raw[:200]}")
        return []


def decoder(source: str):
    """The function that turns a sink line's change text back into Changes, by source kind."""
    if source == "mysql":
        from pruner.mysql_source import decode_binlog_change
        return decode_binlog_change
    return decode_change


def check_xid(xid: Any, source: str, where: str) -> None:
    """A sink line's or snapshot's transaction id must be of the source followed: a MariaDB GTID
    (text) or a PostgreSQL xid (a number)."""
    if (source == "mysql") != isinstance(xid, str):
        other = "PostgreSQL" if source == "mysql" else "MariaDB"
        raise FollowError(f"{where} was written following a {other} source: a sink follows one source; "
                          "give another sink")


def follow_engine(spec, plan, mode: str, on_stale: str, dedup: Dedup | None) -> Engine:
    """The engine a follower runs (a sink file's or a PostgreSQL table's). Dedup's ttl counts
    wall-clock seconds: the emitted values' times outlive the process in the snapshot, and a
    monotonic clock starts again at a reboot."""
    try:
        return Engine(spec, plan, mode, on_stale=on_stale,
                      dedup=None if dedup is None else replace(dedup, clock=time.time))
    except ValueError as error:             # dedup in a stateless mode, a field it does not have
        raise FollowError(str(error)) from None


def snapshot_identity(plan_path: str | Path, mode: str, engine: Engine, source: str = "postgresql",
                      database: str | None = None) -> dict[str, Any]:
    """What a follower's snapshot is valid for: the plan file's digest, the mode, whether it
    prunes, and the kind of source and its database (PostgreSQL snapshots name neither)."""
    identity = {"plan_sha256": file_digest(Path(plan_path).read_bytes()), "mode": mode, "prune": engine.prune}
    if source != "postgresql":
        identity["source"] = source
        identity["database"] = database
    return identity


def check_database(entry: dict[str, Any], database: str | None, where: str) -> None:
    """A MariaDB sink line's changes must be of the database followed."""
    if database is None or not entry["changes"]:
        return
    try:
        found = json.loads(entry["changes"][0]).get("database")
    except (ValueError, AttributeError):
        found = None
    if found != database:
        raise FollowError(f"{where} was written following database {found!r}, not {database!r}: a sink follows "
                          "one source; give another sink")


def snapshot_job(position: dict[str, Any]) -> str | None:
    """The job of the plan a follower's snapshot names (None: it names none, or not readably)."""
    from pruner.planfile import PlanError, loads

    text = position.get("plan")
    if not isinstance(text, str):
        return None
    try:
        return loads(text.encode("utf-8"), "the snapshot's plan").job
    except PlanError:
        return None


def switch_from(found: dict[str, Any], position: dict[str, Any], identity: dict[str, Any]) -> Any:
    """The old plan, when a follower's snapshot (identity `found`) can be switched from to the
    plan of `identity`: taken by the same source (and database) for another plan, in any mode,
    and naming that plan (snapshots written since plan switches exist do); else None."""
    if found.get("plan_sha256") == identity["plan_sha256"] or not isinstance(position.get("plan"), str):
        return None
    ignored = ("plan_sha256", "mode", "prune")
    if {k: v for k, v in found.items() if k not in ignored} != {k: v for k, v in identity.items() if k not in ignored}:
        return None
    text = position["plan"].encode("utf-8")
    if file_digest(text) != found.get("plan_sha256"):
        return None                 # not the plan the snapshot says it was taken with
    from pruner.planfile import PlanError, loads
    try:
        return loads(text, "the snapshot's plan")
    except PlanError:
        return None


class Follower:
    """The follow loop, separate from the connection so tests can drive it.

    Every `snapshot_every` transactions written (and at a clean stop) the engine's state goes to
    ``<sink>.snapshot`` with the place in the sink file it belongs to (``pruner.runtime.snapshot``):
    a restart loads it and replays only the lines after it, so restarting takes as long after a
    million transactions as after a thousand. A snapshot that is missing, damaged, of another
    plan or mode, or not of this sink file is set aside with a warning and the whole file is
    replayed (as with ``snapshot_every=0``): slower, never wrong."""

    def __init__(self, spec_path: str | Path, plan_path: str | Path, sink_path: str | Path,
                 mode: str = "pruned", on_stale: str = "stop", snapshot_every: int = 1000,
                 dedup: Dedup | None = None, source: str = "postgresql", database: str | None = None,
                 progress: IO[str] | None = None) -> None:
        if snapshot_every < 0:
            raise ValueError("snapshot_every must be 0 (no snapshots) or more")
        self.spec = load_spec(spec_path)
        self.types = self.spec.types
        self.plan = read_plan(plan_path)
        self.plan_text = Path(plan_path).read_text(encoding="utf-8")
        self._engine_args = (mode, on_stale, dedup)
        self.engine = self._new_engine()
        self.sink_path = Path(sink_path)
        self.snapshot_path = Path(str(sink_path) + ".snapshot")
        self.snapshot_every = snapshot_every
        self.progress = progress        # where a plan switch at start reports how far it is
        self.source, self.database = source, database
        self._decoder = decoder(source)
        self.identity = snapshot_identity(plan_path, mode, self.engine, source, database)
        self.stats = FollowStats()
        self.stats.engine = self.engine.stats
        self.done_lsn = 0
        self.done_xid: Any = None       # the last transaction's id (a MariaDB source resumes after it)
        self.offset = 0                 # bytes of the sink file written (complete lines)
        self.lines = 0                  # and their number
        self._last_line_start = 0
        self._since_snapshot = 0
        self._clean = True              # the engine holds exactly the lines written
        self.out: IO[str] = _open_sink(self.sink_path)
        try:
            self._recover()
        except BaseException:
            self.out.close()
            raise

    def _new_engine(self) -> Engine:
        return follow_engine(self.spec, self.plan, *self._engine_args)

    def _recover(self) -> None:
        start = self._load_snapshot()
        lines, complete = _read_lines(self.sink_path, start, self.lines + 1)
        if os.fstat(self.out.fileno()).st_size > complete:      # a torn last line: never acknowledged
            os.ftruncate(self.out.fileno(), complete)
            os.fsync(self.out.fileno())
        for entry in lines:
            check_xid(entry.get("xid"), self.source, f"{self.sink_path} (line {self.lines + 1})")
            check_database(entry, self.database, f"{self.sink_path} (line {self.lines + 1})")
            for raw in entry["changes"]:
                for change in self._decode(raw):
                    self.engine.process(change)
            if int(entry["end_lsn"]) >= self.done_lsn:
                self.done_lsn, self.done_xid = int(entry["end_lsn"]), entry.get("xid")
            self.stats.replayed_transactions += 1
        if lines:
            self._last_line_start = _last_line_start(self.sink_path, complete)
        self.offset = complete
        self.lines += len(lines)
        self._since_snapshot = len(lines)
        self.stats.engine = self.engine.stats
        if self._switch is not None:
            old_plan, was, old_sha = self._switch
            if any(entry["changes"] for entry in lines):
                was = None          # rows changed after the old snapshot: which the sink holds is not known
            self._switch_plan(old_plan, was, old_sha)

    def _load_snapshot(self) -> int:
        """Load the snapshot if it is this sink's; the byte where replaying starts (0: all of it).

        A snapshot of another plan (the job changed), which names that plan, is a plan switch:
        its source state is loaded, and once the lines after it are run the rows get the fields
        the new plan computes otherwise (``_switch_plan``)."""
        self._switch: tuple[Any, Any, str] | None = None
        if self.snapshot_every == 0 or not self.snapshot_path.exists():
            return 0
        other_plan = False
        try:
            found, position, state = snapshot.read(self.snapshot_path.read_text(encoding="utf-8"))
            job = snapshot_job(position)
            if job is not None and job != self.plan.job:
                raise FollowError(f"{self.sink_path} is a sink file of job {job!r} (its snapshot says so), not of "
                                  f"job {self.plan.job!r}: give another --sink-out")
            other_plan = found.get("plan_sha256") != self.identity["plan_sha256"]
            switch = self._may_switch(found, position)
            if found != self.identity and switch is None:
                raise snapshot.SnapshotError(f"the snapshot was taken for {found}, not {self.identity} "
                                             "(another plan or mode)")
            offset, line_start = int(position["offset"]), int(position["line_start"])
            lines, end_lsn = int(position["lines"]), int(position["end_lsn"])
            if offset:
                with self.sink_path.open("rb") as file:
                    file.seek(line_start)
                    last = file.read(offset - line_start)
                if hashlib.sha256(last).hexdigest() != position["line_sha256"]:
                    raise snapshot.SnapshotError("it does not match the sink file (the file was changed "
                                                 "or replaced after it was taken)")
            if switch is not None and decoded_otherwise(switch, self.plan):
                # the snapshot's tables hold values decoded with the old types: every line is decoded
                # again with the new ones (which rows the sink holds is then not known: None)
                self._switch = (switch, None, found["plan_sha256"])
                self.stats.retyped = True
                return 0
            if switch is not None:
                from pruner.backfill import restore_source_state
                self._switch = (switch, restore_source_state(self.engine, state), found["plan_sha256"])
            else:
                snapshot.restore_engine(self.engine, state)
        except (OSError, ValueError, KeyError, TypeError) as error:
            reason = error if isinstance(error, snapshot.SnapshotError) else f"{type(error).__name__}: {error}"
            self.stats.snapshot_warning = (f"snapshot {self.snapshot_path} set aside ({reason}); the whole "
                                           "sink file is replayed instead")
            if other_plan:
                self.stats.snapshot_warning += (": rows the new plan computes otherwise keep the old values until "
                                                "they change; `pruner backfill --follow-sink` gives their records")
            self.engine = self._new_engine()
            self._switch = None
            return 0
        self.done_lsn, self.done_xid = end_lsn, position.get("xid")
        self.lines = lines
        self._last_line_start = line_start
        self.stats.snapshot_lines = lines
        return offset

    def snapshot(self) -> bool:
        """Write the engine's state with its place in the sink file (atomically: a crash leaves the
        previous snapshot); False when it cannot be written (then no more are tried)."""
        if not self._clean or self.snapshot_every == 0:
            return False
        last = b""
        if self.offset:                 # the last line, whose digest ties the snapshot to this file
            with self.sink_path.open("rb") as file:
                file.seek(self._last_line_start)
                last = file.read(self.offset - self._last_line_start)
        position = {"offset": self.offset, "line_start": self._last_line_start, "lines": self.lines,
                    "end_lsn": self.done_lsn, "xid": self.done_xid,
                    "line_sha256": hashlib.sha256(last).hexdigest(), "plan": self.plan_text}
        try:
            text = snapshot.dumps(self.engine, self.identity, position)
            temporary = self.snapshot_path.with_name(self.snapshot_path.name + ".tmp")
            with temporary.open("w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.snapshot_path)
            _fsync_directory(self.snapshot_path.parent)
        except (snapshot.SnapshotError, OSError) as error:
            self.stats.snapshot_warning = (f"no snapshots from transaction {self.lines:,} on: {error}; a restart "
                                           "replays the sink file from the last snapshot written")
            self.snapshot_every = 0
            return False
        self._since_snapshot = 0
        self.stats.snapshots += 1
        return True

    def _decode(self, raw: str) -> list:
        return self._decoder(raw, self.types, self.stats)

    @property
    def ack_lsn(self) -> int:
        """Where the source may drop what came before: the sink file holds every change."""
        return self.done_lsn

    @property
    def resume_xid(self) -> Any:
        """The transaction a MariaDB source resumes after (None: the sink has none)."""
        return self.done_xid

    def tick(self) -> None:
        """Called while the stream is quiet (a sink file has nothing waiting)."""

    def transaction(self, end_lsn: int, xid: Any, changes: list[str]) -> bool:
        """Apply one committed transaction (its wal2json changes as text) and write its line;
        False if it is at or before the last one written (the server sent it again)."""
        if end_lsn <= self.done_lsn:
            self.stats.skipped_redelivered += 1
            return False
        self._clean = False
        records: list[dict[str, Any]] = []
        for raw in changes:
            for change in self._decode(raw):
                self.stats.changes += 1
                result = self.engine.process(change)
                if isinstance(result, DeadLetter):
                    self.stats.dead_letters.append(result.reason)
                    continue
                records += [{"op": r.op, "key": list(r.key), "fields": r.fields} for r in result]
        if changes:
            self._append({"end_lsn": end_lsn, "xid": xid, "records": records, "changes": changes})
            self.stats.transactions += 1
        self.done_lsn, self.done_xid = end_lsn, xid
        self._clean = True
        if self.snapshot_every and self._since_snapshot >= self.snapshot_every:
            self.snapshot()
        return True

    def _append(self, entry: dict[str, Any]) -> None:
        """Write one line (flushed, fsynced) to the sink file."""
        line = json.dumps(entry, default=json_value, ensure_ascii=False) + "\n"
        self.out.write(line)
        self.out.flush()
        os.fsync(self.out.fileno())
        self._last_line_start = self.offset
        self.offset += len(line.encode("utf-8"))
        self.lines += 1
        self._since_snapshot += 1

    def _may_switch(self, found: dict[str, Any], position: dict[str, Any]) -> Any:
        return switch_from(found, position, self.identity)

    def _switch_plan(self, old_plan: Any, was: Any, old_sha: str) -> None:
        """Switch the sink from the plan its snapshot was taken with to this one: every row is run
        once with the new plan (the engine keeps what it keeps for a row), the fields the new plan
        computes otherwise (``pruner.backfill``) are written as lines of records with no changes,
        then a snapshot of the new plan is taken. Interrupted before that snapshot, the next start
        does it all again (the records are upserts of the same values)."""
        from pruner.backfill import BackfillError, switch, switch_message

        try:
            plan, found, stats = switch(self.engine, old_plan, self.plan, was, "follow into a new sink file",
                                        self.progress)
        except BackfillError as error:
            raise FollowError(str(error)) from None
        records = [{"op": r.op, "key": list(r.key), "fields": r.fields} for r in found]
        marker = {"from_plan_sha256": old_sha, "plan_sha256": self.identity["plan_sha256"],
                  "fields": list(plan.fields), "full": plan.full, "removed": list(plan.removed)}
        self._clean = False
        for start in range(0, max(len(records), 1 if plan.removed else 0), SWITCH_RECORDS_PER_LINE):
            self._append({"end_lsn": self.done_lsn, "xid": self.done_xid,
                          "records": records[start:start + SWITCH_RECORDS_PER_LINE], "changes": [], "switch": marker})
        self._clean = True
        self.snapshot()
        self.stats.switched = switch_message(plan, stats, f"{len(records):,} records written")
        if self.stats.retyped:
            self.stats.switched += "; the declared field types changed: every sink line was decoded again"
        self.stats.dead_letters += [f"plan switch, row {list(key)}: {why}" for key, why in stats.dead_letters]

    def close(self) -> None:
        """Stop: a snapshot of what was written since the last one, then the sink file closed."""
        try:
            if self._since_snapshot and not self.out.closed:
                self.snapshot()
        finally:
            self.out.close()

    def release(self) -> None:
        """Close the sink file, writing nothing more (after an error; ``close`` is the clean stop)."""
        self.out.close()


def _open_sink(path: Path) -> IO[str]:
    """The sink file, open for appending and locked: a second follower on it would cut the
    line this one is writing and interleave its own lines. The lock goes with the process,
    so a killed follower leaves none behind."""
    out = path.open("a", encoding="utf-8")
    try:
        fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        out.close()
        raise FollowError(f"{path} is in use by another `pruner follow` (one follower per sink file); "
                          "stop it or give another --sink-out") from None
    _fsync_directory(path.parent)       # a new file's name must be durable too, not only its lines
    return out


def _fsync_directory(folder: Path) -> None:
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _last_line_start(path: Path, end: int) -> int:
    """Where the last complete line before byte `end` starts."""
    with path.open("rb") as file:
        start = max(0, end - 65536)
        while True:
            file.seek(start)
            data = file.read(end - start)
            at = data.rfind(b"\n", 0, len(data) - 1)
            if at >= 0 or start == 0:
                return start + at + 1 if at >= 0 else 0
            start = max(0, start - 65536)


def json_value(value: Any) -> Any:
    """A record's value that JSON has no type for, as a sink writes it: a Decimal as its exact
    text, bytes as base64 text, a set as a sorted list, a tuple as a list, a timedelta as a
    MySQL TIME's text, others as text."""
    if isinstance(value, Decimal):
        return str(value)                     # exact; a float would round
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (set, frozenset)):
        try:
            return sorted(value)
        except TypeError:                     # of mixed types: in an order that does not vary
            return sorted(value, key=repr)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, timedelta):          # a MySQL TIME: [-]H:MM:SS[.ffffff], hours past 24
        sign, span = ("-", -value) if value < timedelta(0) else ("", value)
        hours, rest = divmod(span.days * 86400 + span.seconds, 3600)
        text = f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
        return text + f".{span.microseconds:06d}" if span.microseconds else text
    return str(value)


def follow(spec_path: str | Path, plan_path: str | Path, dsn: str, sink_path: str | Path, *,
           slot: str = "pruner", mode: str = "pruned", on_stale: str = "stop",
           idle_exit: float | None = None, max_transactions: int | None = None,
           progress: IO[str] | None = None, snapshot_every: int = 1000,
           dedup: Dedup | None = None, group_max: int = 100, group_ms: float = 200.0,
           server_id: int | None = None, start_gtid: str | None = None) -> FollowStats:
    """Stream the slot's changes through the job until Ctrl-C, `idle_exit` seconds without a
    message, or `max_transactions` transactions written. `sink_path` is a sink file, or a
    ``postgresql://...#schema.table`` URL (``pruner.pg_sink``: group commit by `group_max`
    transactions and `group_ms` milliseconds). A ``mysql://`` `dsn` follows a MariaDB binlog
    instead (``pruner.mysql_source``; `slot` names its position, `server_id` and `start_gtid`
    are its own)."""
    if dsn.startswith(("mysql://", "mariadb://")):
        from pruner.mysql_source import follow_mysql
        return follow_mysql(spec_path, plan_path, dsn, sink_path, name=slot, server_id=server_id,
                            start_gtid=start_gtid, mode=mode, on_stale=on_stale, idle_exit=idle_exit,
                            max_transactions=max_transactions, progress=progress,
                            snapshot_every=snapshot_every, dedup=dedup, group_max=group_max, group_ms=group_ms)
    if server_id is not None or start_gtid is not None:
        raise FollowError("--server-id and --start-gtid are for a MariaDB source (--source mysql://...)")
    scheme = dsn.split("://", 1)[0] if "://" in dsn else None
    if scheme is not None and scheme not in ("postgresql", "postgres"):
        raise FollowError(f"a {scheme}:// source cannot be followed: a source is postgresql://... (or a "
                          "libpq connection string) or mysql://... (MariaDB)")
    try:
        import psycopg2
        import psycopg2.errors
        import psycopg2.extras
    except ImportError:
        raise FollowError("`pruner follow` needs psycopg2: pip install 'cdc-pruner[postgres]'") from None
    if str(sink_path).startswith(("postgresql://", "postgres://")):
        from pruner.pg_sink import PgFollower
        follower: Any = PgFollower(spec_path, plan_path, str(sink_path), slot, mode=mode, on_stale=on_stale,
                                   snapshot_every=snapshot_every, dedup=dedup, group_max=group_max,
                                   group_ms=group_ms, progress=progress)
    else:
        follower = Follower(spec_path, plan_path, sink_path, mode, on_stale, snapshot_every, dedup,
                            progress=progress)
    if progress is not None and follower.stats.snapshot_warning:
        progress.write(f"warning: {follower.stats.snapshot_warning}\n")
    if progress is not None and follower.stats.switched:
        progress.write(f"{follower.stats.switched}\n")
    try:
        connection = psycopg2.connect(dsn, connection_factory=psycopg2.extras.LogicalReplicationConnection)
    except psycopg2.Error as error:
        follower.close()
        raise FollowError(f"cannot connect to {dsn}: {str(error).strip()}") from None
    cursor = connection.cursor()
    try:
        try:
            cursor.create_replication_slot(slot, output_plugin="wal2json")
        except psycopg2.errors.DuplicateObject:
            pass                                    # the slot exists: go on from where it is
        options = dict(OPTIONS)
        own = getattr(follower, "own_tables", ())
        if own:             # a sink in the source database: its own writes are not changes to follow
            options["filter-tables"] = ",".join(own)
        cursor.start_replication(slot_name=slot, decode=True, start_lsn=follower.done_lsn, options=options,
                                 status_interval=STATUS_INTERVAL_S)
    except psycopg2.Error as error:
        follower.close()
        connection.close()
        raise FollowError(f"cannot stream slot {slot!r} with wal2json: {str(error).strip()} "
                          "(the server needs wal_level=logical, the wal2json plugin, and a user with "
                          "the REPLICATION attribute)") from None

    stopping = []
    previous = {sig: signal.signal(sig, lambda *_: stopping.append(True)) for sig in (signal.SIGINT, signal.SIGTERM)}
    start = last_message = time.perf_counter()
    first_message: float | None = None
    last_report = start
    transaction: list[str] | None = None
    written = 0
    try:
        while not stopping:
            message = cursor.read_message()
            now = time.perf_counter()
            if message is None:
                acknowledged = follower.ack_lsn
                follower.tick()                          # a group that waited long enough
                if follower.ack_lsn != acknowledged:
                    cursor.send_feedback(flush_lsn=follower.ack_lsn, force=True)
                # before the first message the server may still be decoding up to the slot's
                # position: give it at least FIRST_MESSAGE_WAIT_S
                limit = idle_exit if first_message is not None else max(idle_exit or 0.0, FIRST_MESSAGE_WAIT_S)
                if idle_exit is not None and now - last_message >= limit:
                    break
                try:
                    select.select([cursor], [], [], 0.2)
                except InterruptedError:
                    pass
                continue
            last_message = now
            if first_message is None:
                first_message = now
            raw = message.payload
            action = _action(raw)
            if action == "B":
                transaction = []
            elif action == "C":
                end_lsn = message.data_start
                if follower.transaction(end_lsn, json.loads(raw).get("xid"), transaction or []):
                    written += 1
                cursor.send_feedback(flush_lsn=follower.ack_lsn, force=True)    # after the sink write
                transaction = None
                if max_transactions is not None and written >= max_transactions:
                    break
            elif action in ("I", "U", "D", "T") and transaction is not None:
                transaction.append(raw)
            if progress is not None and now - last_report >= 2.0:
                last_report = now
                progress.write(f"\r{follower.stats.transactions:,} transactions, {follower.stats.changes:,} "
                               f"changes, at {lsn_text(follower.done_lsn)}")
                progress.flush()
        follower.close()                             # a clean stop: what waits is committed
        if follower.ack_lsn:
            cursor.send_feedback(flush_lsn=follower.ack_lsn, force=True)
    except psycopg2.Error as error:
        # the sink is whole (a line is written before its acknowledgement): say so, not a traceback
        raise FollowError(f"the stream of slot {slot!r} broke off ({str(error).strip()}); the sink is whole "
                          f"up to {lsn_text(follower.done_lsn)}: start again to go on from there. The server "
                          "ends a stream that sends no reply for wal_sender_timeout (default 60 s): a "
                          "transaction that takes longer to process needs a larger setting") from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        follower.stats.seconds = time.perf_counter() - start
        follower.stats.active_seconds = last_message - first_message if first_message is not None else 0.0
        follower.release()
        connection.close()
    follower.stats.end_lsn = follower.done_lsn
    follower.stats.engine = follower.engine.stats
    return follower.stats


def _action(raw: str) -> str | None:
    """The change's action without parsing the whole change (begin/commit are most messages)."""
    head = raw[:40]
    at = head.find('"action":"')
    if at >= 0:
        return head[at + 10:at + 11]
    obj = json.loads(raw)
    return obj.get("action") if isinstance(obj, dict) else None
