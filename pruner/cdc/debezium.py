"""Debezium JSON change events, with or without the Kafka Connect ``schema`` wrapper.

    {"schema": {...}, "payload": {"before": {...}, "after": {...}, "source": {...},
                                  "op": "u", "ts_ms": 1589361987936}}

or the bare payload object (``value.converter.schemas.enable=false``). ``op`` is ``c``
(insert, also for MySQL snapshot rows marked ``source.snapshot: "true"``), ``r`` (a
snapshot read), ``u`` or ``d``. The table is ``source.table``, the database ``source.db``.

Postgres tables without ``REPLICA IDENTITY FULL`` send updates with ``before: null``: they
become updates with ``changed=None`` (every field treated as changed), never a guess.
"""
from __future__ import annotations

from typing import Any, Final

from pruner.cdc.message import (
    BadMessage,
    optional_int,
    optional_object,
    optional_str,
    require_object,
    require_str,
)
from pruner.cdc.model import DELETE, DIFF, INSERT, SNAPSHOT, UPDATE, Change

_OPS: Final = {"c": INSERT, "r": SNAPSHOT, "u": UPDATE, "d": DELETE}


def decode_debezium(obj: dict[str, Any], line: int) -> list[Change]:
    if "payload" in obj:
        payload = obj["payload"]
        if not isinstance(payload, dict):
            raise BadMessage("'payload' must be an object (a Debezium change event)")
        where = "payload."
    elif "op" in obj:
        payload, where = obj, ""
    else:
        raise BadMessage("missing key 'payload' or 'op': not a Debezium change event")

    op = require_str(payload, "op", where)
    kind = _OPS.get(op)
    if kind is None:
        if op == "t":
            raise BadMessage("truncate (op 't') is not supported")
        raise BadMessage(f"unknown {where}op {op!r}; expected one of c, r, u, d")
    source = require_object(payload, "source", where)
    table = require_str(source, "table", where + "source.")
    database = optional_str(source, "db", where + "source.")
    ts_ms = optional_int(payload, "ts_ms", where)
    before = optional_object(payload, "before", where)
    after = optional_object(payload, "after", where)
    position = _position(source)

    if kind == DELETE:
        if before is None:
            raise BadMessage(
                "delete has no row image (before and after are null); with the Debezium Postgres "
                "connector, check the table has REPLICA IDENTITY FULL"
                if after is None else "delete has a null 'before' image")
        return [Change(DELETE, table, before, None, None, line, database, ts_ms, position=position)]
    if after is None:
        raise BadMessage(f"{where}after is null on op {op!r}")
    if kind == UPDATE:
        changed = DIFF if before is not None else None
        return [Change(UPDATE, table, before, after, changed, line, database, ts_ms, position=position)]
    return [Change(kind, table, None, after, None, line, database, ts_ms, position=position)]



def _position(source: dict[str, Any]) -> int | None:
    """The change's LSN when the connector is PostgreSQL's: it orders every change of a row
    (a row's next change waits for the lock the previous one held until it committed). MySQL
    binlog file and position are not used: they do not compare across servers (a failover)."""
    if source.get("connector") != "postgresql":
        return None
    lsn = source.get("lsn")
    if lsn is None:
        return None
    if isinstance(lsn, bool) or not isinstance(lsn, int) or lsn < 0:
        raise BadMessage(f"'source.lsn' must be a non-negative integer or null, got {lsn!r}")
    return lsn
