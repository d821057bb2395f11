"""PostgreSQL logical decoding with wal2json, format version 2: one JSON object per change.

    {"action": "U", "schema": "public", "table": "items",
     "columns":  [{"name": "id", "type": "integer", "value": 1}, {"name": "price", ...}],
     "identity": [{"name": "id", "type": "integer", "value": 1}, ...]}

``action`` is I (insert), U (update), D (delete) or T (truncate); B, C and M (begin, commit,
a logical message) hold no row and are skipped. ``columns`` holds the new values, ``identity``
the old ones: every column under ``REPLICA IDENTITY FULL``, only the key under ``DEFAULT``.
- Under FULL the changed fields are the diff of ``identity`` and ``columns``. Under DEFAULT
  an update carries no old values: every field counts as changed, and a one-time warning names
  the table and the ``ALTER TABLE ... REPLICA IDENTITY FULL`` that fixes it.
- A TOASTed value that did not change is absent from ``columns``: it is unchanged, not null.
  Its old value comes from ``identity`` when there is one; otherwise the change is marked
  ``partial`` and the runtime keeps the value it has.
- Numbers are parsed exactly: the decoder is given JSON whose non-integers are ``Decimal``
  (``parse_float=Decimal``), never floats.
- A truncate is a ``truncate`` change: the runtime deletes every row of the table.
The table is the bare name; the schema becomes ``database``.
"""
from __future__ import annotations

import logging
from typing import Any, Final

from pruner.cdc.message import BadMessage, Skip, json_type, optional_str, require_str, same_value
from pruner.cdc.model import DELETE, INSERT, TRUNCATE, UPDATE, Change

log = logging.getLogger("pruner.cdc.wal2json")
_DML: Final = {"I": INSERT, "U": UPDATE, "D": DELETE}
_NO_ROW: Final = frozenset({"B", "C", "M"})
_warned: set[str] = set()


def decode_wal2json(obj: dict[str, Any], line: int) -> list[Change] | Skip:
    action = require_str(obj, "action")
    if action in _NO_ROW:
        return Skip.EMPTY
    table = require_str(obj, "table")
    schema = optional_str(obj, "schema")
    if action == "T":
        return [Change(TRUNCATE, table, None, None, None, line, schema)]
    kind = _DML.get(action)
    if kind is None:
        raise BadMessage(f"unknown action {action!r}; expected I, U, D, T, B, C or M")
    if kind == DELETE:
        return [Change(DELETE, table, _columns(obj, "identity"), None, None, line, schema)]
    after = _columns(obj, "columns")
    if kind == INSERT:
        return [Change(INSERT, table, None, after, None, line, schema)]
    identity = _columns(obj, "identity") if "identity" in obj else {}
    absent = set(identity) - set(after)            # TOASTed and unchanged: old value = new value
    for name in absent:
        after[name] = identity[name]
    full = bool(identity) and set(after) <= set(identity)
    if not full:
        _warn_once(schema, table)
        return [Change(UPDATE, table, identity or None, after, None, line, schema, partial=True)]
    changed = frozenset(n for n in after if not same_value(identity[n], after[n]))
    return [Change(UPDATE, table, identity, after, changed, line, schema)]


def _columns(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise BadMessage(f"{key!r} must be an array of columns, got {json_type(value)}")
    row: dict[str, Any] = {}
    for i, column in enumerate(value):
        if not isinstance(column, dict) or not isinstance(column.get("name"), str) or "value" not in column:
            raise BadMessage(f"{key}[{i}] must be an object with 'name' and 'value'")
        row[column["name"]] = column["value"]
    return row


def _warn_once(schema: str | None, table: str) -> None:
    name = f"{schema}.{table}" if schema else table
    if name in _warned:
        return
    _warned.add(name)
    log.warning("table %s has REPLICA IDENTITY DEFAULT: its updates carry no old values, so every field "
                "counts as changed and nothing is pruned. Fix: ALTER TABLE %s REPLICA IDENTITY FULL;", name, name)
