"""Flink changelog rows as JSON lines: our own simple format, one row per line.

    {"kind": "+I", "table": "product", "row": {"id": 101, "name": "scooter"}}
    {"kind": "-U", "table": "product", "row": {"id": 101, "name": "scooter"}}
    {"kind": "+U", "table": "product", "row": {"id": 101, "name": "big scooter"}}
    {"kind": "-D", "table": "product", "row": {"id": 101, "name": "big scooter"}}

Required keys: ``kind`` (Flink's RowKind short string: ``+I`` insert, ``-U`` update before,
``+U`` update after, ``-D`` delete), ``table`` (string) and ``row`` (the full row image, an
object). Optional: ``database`` (string) and ``ts_ms`` (integer, epoch milliseconds).

An update is two lines: a ``-U`` and, as the very next message, its ``+U`` of the same
table. The pair becomes ONE update ``Change`` (before = the ``-U`` row, after = the ``+U``
row, changed = their diff) on the ``-U``'s line. A ``+U`` with no ``-U`` right before it
(Flink's upsert streams send only ``+U``) is an update with ``changed=None``: every field
counts as changed. A ``-U`` not followed by its ``+U`` is a dead letter, also when the next
message is a dead letter: that line may have been its ``+U``, so the ``-U`` is never paired
across it (the ``+U`` after it, if any, is then a lone ``+U``). Blank lines between the two
are not messages and do not part them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Iterable, Iterator

from pruner.cdc.message import (
    BadMessage,
    Row,
    Skip,
    changed_fields,
    optional_int,
    optional_str,
    require_object,
    require_str,
)
from pruner.cdc.model import DELETE, INSERT, UPDATE, Change, DeadLetter

_KINDS: Final = ("+I", "-U", "+U", "-D")


@dataclass(frozen=True)
class UpdateBefore:
    """A ``-U`` row waiting for its ``+U``."""

    table: str
    database: str | None
    row: Row


Result = list[Change] | Skip | DeadLetter | UpdateBefore


def decode_changelog(obj: dict[str, Any], line: int) -> list[Change] | UpdateBefore:
    kind = require_str(obj, "kind")
    if kind not in _KINDS:
        raise BadMessage(f"unknown kind {kind!r}; expected one of {', '.join(_KINDS)}")
    table = require_str(obj, "table")
    database = optional_str(obj, "database")
    ts_ms = optional_int(obj, "ts_ms")
    row = require_object(obj, "row")
    if kind == "-U":
        return UpdateBefore(table, database, row)
    if kind == "+U":
        return [Change(UPDATE, table, None, row, None, line, database, ts_ms)]
    if kind == "-D":
        return [Change(DELETE, table, row, None, None, line, database, ts_ms)]
    return [Change(INSERT, table, None, row, None, line, database, ts_ms)]


Pending = tuple[int, str, UpdateBefore]        # a -U waiting: (its line, its raw text, the row)


def pair_updates(results: Iterable[tuple[int, str, Result]]) -> Iterator[tuple[int, str, Result]]:
    """Merge each ``-U`` with the ``+U`` right after it; an unpaired ``-U`` is a dead letter.

    ``results`` are ``(line, raw, result)`` per message, in input order, as ``decode()`` makes
    them from ``decode_changelog``; no ``UpdateBefore`` is left in the output.
    """
    pending: Pending | None = None
    for line, raw, result in results:
        pending, out = pair_step(pending, line, raw, result)
        yield from out
    yield from pair_end(pending)


def pair_step(pending: Pending | None, line: int, raw: str,
              result: Result) -> tuple[Pending | None, list[tuple[int, str, Result]]]:
    """One message of ``pair_updates``: (the -U now waiting, or None; what comes out). For a
    caller that sees one message at a time and keeps `pending` itself (a keyed Flink stage)."""
    out: list[tuple[int, str, Result]] = []
    if pending is not None:
        before_line, before_raw, before = pending
        after = _lone_update(result, before)
        if after is not None:
            assert after.after is not None
            merged = Change(UPDATE, before.table, before.row, after.after,
                            changed_fields(before.row, after.after), before_line,
                            after.database, after.ts_ms)
            return None, [(before_line, before_raw, [merged])]
        why = (f"the next message, line {line}, is a dead letter" if isinstance(result, DeadLetter)
               else f"the next message, line {line}, is not its +U")
        out.append((before_line, before_raw, _unpaired(before_line, before_raw, why)))
    if isinstance(result, UpdateBefore):
        return (line, raw, result), out
    out.append((line, raw, result))
    return None, out


def pair_end(pending: Pending | None) -> list[tuple[int, str, Result]]:
    """The input ended: a -U still waiting is a dead letter."""
    if pending is None:
        return []
    before_line, before_raw, _ = pending
    return [(before_line, before_raw, _unpaired(before_line, before_raw, "the input ends"))]


def _lone_update(result: Result, before: UpdateBefore) -> Change | None:
    """The ``+U`` Change in ``result`` if it completes ``before``, else None."""
    if not isinstance(result, list) or len(result) != 1:
        return None
    change = result[0]
    if change.kind != UPDATE or change.before is not None:
        return None
    if (change.table, change.database) != (before.table, before.database):
        return None
    return change


def _unpaired(line: int, raw: str, why: str) -> DeadLetter:
    return DeadLetter(line, f"-U row is not followed by its +U row (same table, next message): {why}", raw)
