"""Oracle GoldenGate JSON: one row per message, full before and after images.

    {"table": "OGG.TBL_TEST", "op_type": "U", "op_ts": "2020-05-13 17:26:27.936000",
     "before": {...}, "after": {...}, "pos": "00000000000000000000152", ...}

``op_type`` is I, U or D (T, truncate, is not supported yet). ``table`` is schema-qualified:
the part after the last dot is the table, the rest the database. ``op_ts`` (read as UTC when
it has no offset) gives ``ts_ms``. Keys this decoder does not use (``source``, ``pos``,
``primary_keys``, ...) are ignored. An update without a before image gets ``changed=None``.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Final

from pruner.cdc.message import (
    BadMessage,
    optional_object,
    optional_str,
    require_object,
    require_str,
)
from pruner.cdc.model import DELETE, DIFF, INSERT, UPDATE, Change

_OPS: Final = {"I": INSERT, "U": UPDATE, "D": DELETE}
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)


def decode_ogg(obj: dict[str, Any], line: int) -> list[Change]:
    op = require_str(obj, "op_type")
    kind = _OPS.get(op)
    if kind is None:
        if op == "T":
            raise BadMessage("truncate (op_type 'T') is not supported")
        raise BadMessage(f"unknown op_type {op!r}; expected one of I, U, D")
    database, _, table = require_str(obj, "table").rpartition(".")
    if not table:
        raise BadMessage(f"'table' {obj['table']!r} has no table name after the schema")
    ts_ms = _millis(optional_str(obj, "op_ts"))

    if kind == DELETE:
        before = require_object(obj, "before")
        return [Change(DELETE, table, before, None, None, line, database or None, ts_ms)]
    after = require_object(obj, "after")
    if kind == UPDATE:
        before = optional_object(obj, "before")
        changed = DIFF if before is not None else None
        return [Change(UPDATE, table, before, after, changed, line, database or None, ts_ms)]
    return [Change(INSERT, table, None, after, None, line, database or None, ts_ms)]


def _millis(op_ts: str | None) -> int | None:
    if op_ts is None:
        return None
    try:
        moment = datetime.fromisoformat(op_ts)
    except ValueError:
        raise BadMessage(f"'op_ts' {op_ts!r} is not a timestamp like 2020-05-13 15:40:06.000000") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - _EPOCH) // timedelta(milliseconds=1)
