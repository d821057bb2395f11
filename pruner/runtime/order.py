"""Source order: a redelivered old message never rolls a row back.

At-least-once delivery sends messages again: after a consumer restart, a connector restart,
a re-sent snapshot. Applied again, an old message puts an old row image back. Where the
format carries a position that orders every change of a row (``Change.position``: the
PostgreSQL LSN of Debezium's postgresql connector), the last applied position of every row
(table and primary key) is kept, and a change strictly older than it, for any row it touches
(before or after key), is skipped and counted. Equal positions are applied (the changes of
one transaction, a snapshot's rows). Changes without a position are always applied: then
the engine's own rule holds (what a message changes is diffed against the row it holds, so
every mode agrees on a redelivery, though the row goes back to the old image).

Per format: debezium-json from the postgresql connector: ``source.lsn``. MySQL binlog file
and position (Debezium mysql, Maxwell) are not used: they do not compare across a failover to
another server. canal-json, ogg-json, changelog-json: no position. wal2json in ``pruner
follow``: whole transactions are skipped by their end LSN (see pruner.follow).
"""
from __future__ import annotations

from typing import Any, Mapping

from pruner.cdc.model import Change
from pruner.spec import JobSpec


class SourceOrder:
    """Tracks the last applied position per row; ``older(change)`` says whether to skip it."""

    def __init__(self, spec: JobSpec) -> None:
        self._keys = {t.name: t.primary_key for t in (*spec.sources, *spec.dimensions)}
        self._last: dict[tuple[str, tuple], int] = {}
        self.skipped = 0

    def older(self, change: Change) -> bool:
        """True (and counted) when `change` is older than the last change applied to its row."""
        if change.position is None:
            return False
        for row in self._rows(change):
            last = self._last.get(row)
            if last is not None and change.position < last:
                self.skipped += 1
                return True
        return False

    def applied(self, change: Change) -> None:
        """Record a change the job applied (not one it dead-lettered)."""
        if change.position is None:
            return
        for row in self._rows(change):
            if self._last.get(row, -1) < change.position:
                self._last[row] = change.position

    def _rows(self, change: Change) -> list[tuple[str, tuple]]:
        fields = self._keys.get(change.table)
        if fields is None:
            return []
        rows = []
        for image in (change.before, change.after):
            key = _key(image, fields)
            if key is not None:
                rows.append((change.table, key))
        return rows


def _key(image: Mapping[str, Any] | None, fields: tuple[str, ...]) -> tuple | None:
    if not isinstance(image, Mapping) or any(f not in image for f in fields):
        return None
    key = tuple(image[f] for f in fields)
    try:
        hash(key)
    except TypeError:
        return None
    return key
