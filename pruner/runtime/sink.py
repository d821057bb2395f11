"""What the engine emits: sink records, and the sink table a downstream store would hold."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(slots=True)
class SinkRecord:
    """One record for the sink; a value, not to be changed once made (slotted rather than
    frozen: a record is made per row update, and a frozen dataclass costs 3× to make)."""

    op: str                      # "upsert" | "delete"
    key: tuple
    fields: dict[str, Any]       # upsert: the fields it sets (all sink fields on a full row)


class SinkTable:
    """The sink as a downstream store sees it: partial upserts merge, deletes remove."""

    def __init__(self, fields: tuple[str, ...], key_fields: tuple[str, ...]) -> None:
        self.fields = fields
        self.key_fields = key_fields
        self.rows: dict[tuple, dict[str, Any]] = {}

    def apply(self, record: SinkRecord) -> None:
        if record.op == "delete":
            self.rows.pop(record.key, None)
        else:
            self.rows.setdefault(record.key, {}).update(record.fields)

    def apply_all(self, records: Iterable[SinkRecord]) -> None:
        for record in records:
            self.apply(record)

    def sorted_rows(self) -> list[dict[str, Any]]:
        return [{f: row.get(f) for f in self.fields} for _, row in sorted(self.rows.items(), key=key_order)]


def key_order_one(key: tuple) -> tuple:
    return tuple((type(v).__name__, v) if not isinstance(v, (int, float)) else ("0", v) for v in key)


def key_order(item: tuple[tuple, Any]) -> tuple:
    return key_order_one(item[0])
