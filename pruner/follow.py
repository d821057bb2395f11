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
- on start, a torn last line is cut off, the job's state is rebuilt by running the ``changes``
  of every line through the engine again (their records are already in the file), and
  streaming starts at the last ``end_lsn``; a transaction at or before it that the server
  sends again is skipped;
- the sink file is locked while a follower runs (a second one on it stops with an error), and
  its directory is fsynced once it exists, so a new file survives a power cut with its lines.
Ctrl-C (SIGINT) or SIGTERM stops after the transaction in hand, with the slot where the sink is.
"""
from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from pruner.cdc.message import BadMessage, Skip
from pruner.cdc.model import DeadLetter
from pruner.cdc.types import coerce
from pruner.cdc.wal2json import decode_wal2json
from pruner.planfile import read_plan
from pruner.runtime.engine import Engine, SinkRecord, SinkTable
from pruner.spec import load_spec

OPTIONS = {"format-version": "2", "include-xids": "1", "include-types": "0", "include-transaction": "1"}
STATUS_INTERVAL_S = 5.0
FIRST_MESSAGE_WAIT_S = 10.0       # --idle-exit: how long the first message may take to come


class FollowError(Exception):
    """The database or the sink file cannot be used (with why)."""


@dataclass
class FollowStats:
    transactions: int = 0          # written to the sink this run
    changes: int = 0
    skipped_redelivered: int = 0   # transactions the server sent again, already in the sink
    replayed_transactions: int = 0 # read back from the sink at start to rebuild the state
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


def _read_lines(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The complete lines and their size in bytes (where a torn last line starts)."""
    if not path.exists():
        return [], 0
    data = path.read_bytes()
    data = data[:data.rfind(b"\n") + 1]
    lines = []
    for number, line in enumerate(data.splitlines(), 1):
        try:
            entry = json.loads(line)
            int(entry["end_lsn"]), entry["records"], entry["changes"]
        except (ValueError, KeyError, TypeError) as error:
            raise FollowError(f"{path}:{number}: not a sink line of `pruner follow` ({error}); "
                              "give another --sink-out or remove the file") from None
        lines.append(entry)
    return lines, len(data)


def sink_table(path: Path, spec) -> SinkTable:
    """The sink as a downstream store sees it after applying every record of the file."""
    table = SinkTable(spec.sink.fields, spec.sink.primary_key)
    for entry in read_sink(path):
        for record in entry["records"]:
            table.apply(SinkRecord(record["op"], tuple(record["key"]), record["fields"]))
    return table


class Follower:
    """The follow loop, separate from the connection so tests can drive it."""

    def __init__(self, spec_path: str | Path, plan_path: str | Path, sink_path: str | Path,
                 mode: str = "pruned", on_stale: str = "stop") -> None:
        self.spec = load_spec(spec_path)
        self.types = self.spec.types
        self.engine = Engine(self.spec, read_plan(plan_path), mode, on_stale=on_stale)
        self.sink_path = Path(sink_path)
        self.stats = FollowStats()
        self.stats.engine = self.engine.stats
        self.done_lsn = 0
        self.out: IO[str] = _open_sink(self.sink_path)
        try:
            self._recover()
        except BaseException:
            self.out.close()
            raise

    def _recover(self) -> None:
        lines, complete = _read_lines(self.sink_path)
        if os.fstat(self.out.fileno()).st_size > complete:      # a torn last line: never acknowledged
            os.ftruncate(self.out.fileno(), complete)
            os.fsync(self.out.fileno())
        for entry in lines:
            for raw in entry["changes"]:
                for change in self._decode(raw):
                    self.engine.process(change)
            self.done_lsn = max(self.done_lsn, int(entry["end_lsn"]))
            self.stats.replayed_transactions += 1

    def _decode(self, raw: str) -> list:
        try:
            obj = json.loads(raw, parse_float=Decimal)
            result = decode_wal2json(obj, self.stats.changes + 1)
            if isinstance(result, Skip):
                return []
            return [coerce(change, self.types.get(change.table), "wal2json") for change in result]
        except (ValueError, BadMessage) as error:
            self.stats.dead_letters.append(f"{getattr(error, 'reason', error)}: {raw[:200]}")
            return []

    def transaction(self, end_lsn: int, xid: Any, changes: list[str]) -> bool:
        """Apply one committed transaction (its wal2json changes as text) and write its line;
        False if it is at or before the last one written (the server sent it again)."""
        if end_lsn <= self.done_lsn:
            self.stats.skipped_redelivered += 1
            return False
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
            self.out.write(json.dumps({"end_lsn": end_lsn, "xid": xid, "records": records, "changes": changes},
                                      default=_json_default, ensure_ascii=False) + "\n")
            self.out.flush()
            os.fsync(self.out.fileno())
            self.stats.transactions += 1
        self.done_lsn = end_lsn
        return True

    def close(self) -> None:
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
    # a new file's name must be durable too, not only its lines
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)                     # exact; a float would round
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def follow(spec_path: str | Path, plan_path: str | Path, dsn: str, sink_path: str | Path, *,
           slot: str = "pruner", mode: str = "pruned", on_stale: str = "stop",
           idle_exit: float | None = None, max_transactions: int | None = None,
           progress: IO[str] | None = None) -> FollowStats:
    """Stream the slot's changes through the job until Ctrl-C, `idle_exit` seconds without a
    message, or `max_transactions` transactions written."""
    try:
        import psycopg2
        import psycopg2.errors
        import psycopg2.extras
    except ImportError:
        raise FollowError("`pruner follow` needs psycopg2: pip install 'cdc-pruner[postgres]'") from None
    follower = Follower(spec_path, plan_path, sink_path, mode, on_stale)
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
        cursor.start_replication(slot_name=slot, decode=True, start_lsn=follower.done_lsn, options=OPTIONS,
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
                cursor.send_feedback(flush_lsn=follower.done_lsn, force=True)   # after the sink write
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
        if follower.done_lsn:
            cursor.send_feedback(flush_lsn=follower.done_lsn, force=True)
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
        follower.close()
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
