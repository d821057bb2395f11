"""Canal JSON (flatMessage): one message, several rows of one table.

    {"data": [{...}, {...}], "old": [{"weight": "5.3"}, {...}], "type": "UPDATE",
     "database": "inventory", "table": "products2", "isDdl": false, "ts": 1589373549489, ...}

``type`` is INSERT, UPDATE, DELETE or INIT (a snapshot row). On an UPDATE, ``old`` is an
array parallel to ``data`` holding only the changed columns' previous values: a key present
in ``old`` is a changed field even when its old value is null (it was NULL before). The
before image is the row with ``old`` overlaid. DDL messages (``isDdl: true``, or a DDL
type) hold no rows and are skipped; TRUNCATE is not supported yet (a dead letter).
Values are kept as Canal sends them (strings).
"""
from __future__ import annotations

from typing import Any, Final

from pruner.cdc.message import BadMessage, Row, Skip, optional_bool, optional_int, optional_str, require_str
from pruner.cdc.model import DELETE, INSERT, SNAPSHOT, UPDATE, Change

_DML: Final = {"INSERT": INSERT, "UPDATE": UPDATE, "DELETE": DELETE, "INIT": SNAPSHOT}
# Canal's EventType values that carry no rows (schema changes, transaction and heartbeat markers)
_DDL: Final = frozenset({"CREATE", "ALTER", "ERASE", "QUERY", "RENAME", "CINDEX", "DINDEX", "GTID",
                         "XACOMMIT", "XAROLLBACK", "MHEARTBEAT"})


def decode_canal(obj: dict[str, Any], line: int) -> list[Change] | Skip:
    type_ = require_str(obj, "type")
    if type_ == "TRUNCATE":
        # a DDL to Canal, but it deletes every row: skipping it would leave them in place
        raise BadMessage("truncate (type 'TRUNCATE') is not supported")
    if optional_bool(obj, "isDdl") or type_ in _DDL:
        return Skip.DDL
    kind = _DML.get(type_)
    if kind is None:
        raise BadMessage(f"unknown type {type_!r}; expected one of {', '.join(_DML)} or a DDL type")
    table = require_str(obj, "table")
    database = optional_str(obj, "database")
    ts_ms = optional_int(obj, "ts")
    rows = _rows(obj.get("data"), "data", type_)
    if not rows:
        raise BadMessage(f"'data' is an empty array on a {type_} message")
    olds = _old(obj.get("old"), len(rows)) if kind == UPDATE else None

    if kind == UPDATE:
        if olds is None:
            # no previous values at all: which fields changed is unknown
            return [Change(UPDATE, table, None, row, None, line, database, ts_ms) for row in rows]
        return [Change(UPDATE, table, {**row, **old}, row, frozenset(old), line, database, ts_ms)
                for row, old in zip(rows, olds)]
    if kind == DELETE:
        return [Change(DELETE, table, row, None, None, line, database, ts_ms) for row in rows]
    return [Change(kind, table, None, row, None, line, database, ts_ms) for row in rows]


def _rows(value: object, key: str, type_: str) -> list[Row]:
    if value is None:
        raise BadMessage(f"{key!r} is missing or null on a {type_} message")
    if not isinstance(value, list):
        raise BadMessage(f"{key!r} must be an array of row objects")
    for i, row in enumerate(value):
        if not isinstance(row, dict):
            raise BadMessage(f"{key}[{i}] must be a row object")
    return value


def _old(value: object, n_rows: int) -> list[Row] | None:
    if value is None:
        return None
    olds = _rows(value, "old", "UPDATE")
    if len(olds) != n_rows:
        raise BadMessage(f"'old' has {len(olds)} entries but 'data' has {n_rows}: cannot pair them")
    return olds
