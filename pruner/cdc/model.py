"""What every CDC decoder produces: one ``Change`` per row image, or a ``DeadLetter``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

INSERT = "insert"
UPDATE = "update"
DELETE = "delete"
SNAPSHOT = "snapshot"      # a row of an initial snapshot (Debezium op r, Canal INIT): like an insert
TRUNCATE = "truncate"      # every row of the table goes (no images)
KINDS = (INSERT, UPDATE, DELETE, SNAPSHOT, TRUNCATE)


@dataclass(frozen=True)
class Change:
    """One row-level change of one table.

    `before`/`after` are full row images where the message has them (`before` is None for
    inserts, `after` is None for deletes). `changed` holds the names of the fields an update
    changed; None means unknown (an update with no before image): the runtime then treats
    every field as changed, and the decoder counts it (never guesses). A `partial` update's
    `after` may lack columns that did not change (PostgreSQL leaves unchanged TOASTed values
    out): the runtime keeps the values it has for them.
    """

    kind: str
    table: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    changed: frozenset[str] | None
    line: int                      # 1-based line of the input it came from
    database: str | None = None
    ts_ms: int | None = None
    partial: bool = False
    # Where the source put the change, when the format says so in a way that orders the
    # changes of one row: a PostgreSQL LSN (Debezium's postgresql connector). A change older
    # than the last one applied to its row is a redelivery (see pruner.runtime.order).
    position: int | None = None

    @property
    def row(self) -> Mapping[str, Any]:
        """The row image that identifies the row (after, or before for a delete)."""
        image = self.after if self.after is not None else self.before
        if image is None:
            raise ValueError(f"a {self.kind} change has no row image")
        return image


@dataclass(frozen=True)
class DeadLetter:
    """A message that could not be used, with why; processing goes on without it."""

    line: int
    reason: str
    raw: str


@dataclass
class DecodeStats:
    messages: int = 0              # input lines that held a message
    changes: int = 0               # Change objects produced
    dead_letter: int = 0
    skipped_ddl: int = 0
    skipped_empty: int = 0
    no_before_image: int = 0       # updates treated as "every field changed"
    by_table: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"messages": self.messages, "changes": self.changes, "dead_letter": self.dead_letter,
                "skipped_ddl": self.skipped_ddl, "skipped_empty": self.skipped_empty,
                "no_before_image": self.no_before_image, "by_table": dict(sorted(self.by_table.items()))}
