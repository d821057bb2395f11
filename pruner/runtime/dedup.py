"""Engine message dedup (stateful mode): send only the sink fields whose value really changed."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from pruner.cdc.message import same_value
from pruner.runtime.sink import SinkRecord


@dataclass(frozen=True)
class Dedup:
    """Engine message dedup (stateful mode): emit only what really changed.

    After the units ran, every sink field the lineage marked as possibly changed is compared
    with the value last emitted for the key; the record carries the key and the fields that
    really changed (``full_rows``: the whole row), or is not sent when none did. Inserts and
    deletes always go out. ``ignore``: fields left out of the comparison (a clock stamp): they
    go out with a record that is sent anyway, never alone. The emitted values are kept per key;
    ``max_keys`` bounds them (the least recently emitted key is forgotten first) and ``ttl``
    (seconds, by ``clock``) expires them. A key whose values were forgotten gets a full row
    next, never a partial one against a base nobody remembers.
    """

    ignore: frozenset[str] = frozenset()
    full_rows: bool = False
    max_keys: int | None = None
    ttl: float | None = None
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if self.max_keys is not None and self.max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        if self.ttl is not None and not 0 < self.ttl < float("inf"):      # NaN too
            raise ValueError("ttl must be a positive number of seconds")


class DedupMixin:
    """The engine's part that compares with, and remembers, the values emitted per key
    (``self.emitted``: key -> (when, values), in recency order; changed through the undo log)."""

    def _dedup(self, key: tuple, values: dict[str, Any], row: dict[str, Any], was: bool) -> list[SinkRecord]:
        """Send only the fields whose value differs from the one last emitted for the key."""
        dedup, stats = self.dedup, self._stats.dedup
        stats.records += 1
        now = dedup.clock()
        last = self.emitted.get(key)
        if last is not None and dedup.ttl is not None and now - last[0] > dedup.ttl:
            self._del(self.emitted, key)
            stats.forgotten += 1
            last = None
        if not was or last is None:
            if was:
                stats.full_rows += 1
            record = {f: row.get(f) for f in self.sink_fields}
            record.update(zip(self.key_fields, key))
        else:
            sent = last[1]
            changed: dict[str, Any] = {}
            for name, value in values.items():
                counts = stats.fields.get(name)
                if counts is None:                 # a key field
                    continue
                counts[0] += 1
                if name in sent and same_value(sent[name], value):
                    counts[1] += 1
                else:
                    changed[name] = value
            if all(name in dedup.ignore for name in changed):
                stats.suppressed += 1
                return []
            if dedup.full_rows:
                record = {f: row.get(f) for f in self.sink_fields}
            else:
                record = dict(changed)
            record.update(zip(self.key_fields, key))
        merged = {**last[1], **record} if last is not None else dict(record)
        if key in self.emitted:
            self._del(self.emitted, key)           # re-insert: the dict's order is recency
        self._set(self.emitted, key, (now, merged))
        if dedup.max_keys is not None and len(self.emitted) > dedup.max_keys:
            self._del(self.emitted, next(iter(self.emitted)))
            stats.forgotten += 1
        return [SinkRecord("upsert", key, record)]
