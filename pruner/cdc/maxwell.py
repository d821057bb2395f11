"""Maxwell JSON: one row per message.

    {"database": "test", "table": "product", "type": "update", "ts": 1596684893,
     "data": {...}, "old": {"description": "16oz carpenter's hammer"}, "xid": 7152, ...}

``type`` is insert, update, delete or bootstrap-insert (a snapshot row); bootstrap-start and
bootstrap-complete are control messages and table-*/database-* are DDL, all skipped. On an
update, ``old`` holds only the changed columns' previous values; the before image is
``data`` with ``old`` overlaid. ``ts`` is in seconds.
"""
from __future__ import annotations

from typing import Any, Final

from pruner.cdc.message import (
    BadMessage,
    Skip,
    optional_int,
    optional_object,
    optional_str,
    require_object,
    require_str,
)
from pruner.cdc.model import DELETE, INSERT, SNAPSHOT, UPDATE, Change

_DML: Final = {"insert": INSERT, "update": UPDATE, "delete": DELETE, "bootstrap-insert": SNAPSHOT}
_CONTROL: Final = frozenset({"bootstrap-start", "bootstrap-complete"})


def decode_maxwell(obj: dict[str, Any], line: int) -> list[Change] | Skip:
    type_ = require_str(obj, "type")
    if type_ in _CONTROL:
        return Skip.EMPTY
    if type_.startswith(("table-", "database-")):
        return Skip.DDL
    kind = _DML.get(type_)
    if kind is None:
        raise BadMessage(f"unknown type {type_!r}; expected one of {', '.join(_DML)}")
    table = require_str(obj, "table")
    database = optional_str(obj, "database")
    ts = optional_int(obj, "ts")
    ts_ms = ts * 1000 if ts is not None else None
    row = require_object(obj, "data")

    if kind == UPDATE:
        old = optional_object(obj, "old")
        if old is None:
            return [Change(UPDATE, table, None, row, None, line, database, ts_ms)]
        return [Change(UPDATE, table, {**row, **old}, row, frozenset(old), line, database, ts_ms)]
    if kind == DELETE:
        return [Change(DELETE, table, row, None, None, line, database, ts_ms)]
    return [Change(kind, table, None, row, None, line, database, ts_ms)]
