"""What every CDC decoder produces: one ``Change`` per row image, or a ``DeadLetter``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Mapping

from pruner.cdc.message import changed_fields

INSERT = "insert"
UPDATE = "update"
DELETE = "delete"
SNAPSHOT = "snapshot"      # a row of an initial snapshot (Debezium op r, Canal INIT): like an insert
TRUNCATE = "truncate"      # every row of the table goes (no images)
ROW_KINDS: Final = (INSERT, UPDATE, DELETE, SNAPSHOT)
"""The kinds of a change to one row (what a decision is made for). Only an update with known
changed fields changes just those fields; the others change every field of their table
(every bit for a table of the sink's rows)."""
KINDS: Final = ROW_KINDS + (TRUNCATE,)
"""Every kind of Change."""


class _Diff:
    """The type of ``DIFF``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DIFF"


# Passed as a Change's ``changed``: the fields that differ between ``before`` and ``after``,
# found (by ``changed_fields``) only when something asks. The engine diffs every update
# against the row it holds and never asks, so decoding does not pay for a diff it drops.
DIFF: Final = _Diff()
_FIELDS: Final = ("kind", "table", "before", "after", "changed", "line", "database", "ts_ms", "partial",
                  "position")


class Change:
    """One row-level change of one table.

    `before`/`after` are full row images where the message has them (`before` is None for
    inserts, `after` is None for deletes). `changed` holds the names of the fields an update
    changed; None means unknown (an update with no before image): the runtime then treats
    every field as changed, and the decoder counts it (never guesses). Built with
    ``changed=DIFF``, it is the diff of the two images (``changed_fields``), found on first
    use. A `partial` update's `after` may lack columns that did not change (PostgreSQL leaves
    unchanged TOASTed values out): the runtime keeps the values it has for them.

    `position`: where the source put the change, when the format says so in a way that orders
    the changes of one row: a PostgreSQL LSN (Debezium's postgresql connector). A change older
    than the last one applied to its row is a redelivery (see pruner.runtime.order).

    A value object (equal when every field is), not to be changed once made; a slotted class
    rather than a frozen dataclass because decoding makes one per message.
    """

    __slots__ = ("kind", "table", "before", "after", "_changed", "line", "database", "ts_ms", "partial",
                 "position", "_diff")

    def __init__(self, kind: str, table: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                 changed: frozenset[str] | None | _Diff, line: int, database: str | None = None,
                 ts_ms: int | None = None, partial: bool = False, position: int | None = None) -> None:
        self.kind = kind
        self.table = table
        self.before = before
        self.after = after
        self._changed = changed
        self.line = line                    # 1-based line of the input it came from
        self.database = database
        self.ts_ms = ts_ms
        self.partial = partial
        self.position = position

    @property
    def changed(self) -> frozenset[str] | None:
        changed = self._changed
        if changed is not DIFF:
            return changed  # type: ignore[return-value]
        try:
            return self._diff
        except AttributeError:
            if self.before is None or self.after is None:
                raise ValueError(f"a {self.kind} change with changed=DIFF needs both images") from None
            diff = self._diff = changed_fields(self.before, self.after)
            return diff

    @property
    def changed_known(self) -> bool:
        """False for an update whose changed fields are unknown (no before image)."""
        return self._changed is not None

    @property
    def diffed(self) -> bool:
        """True when `changed` is (or will be) the diff of the images (built with ``DIFF``)."""
        return self._changed is DIFF

    @property
    def row(self) -> Mapping[str, Any]:
        """The row image that identifies the row (after, or before for a delete)."""
        image = self.after if self.after is not None else self.before
        if image is None:
            raise ValueError(f"a {self.kind} change has no row image")
        return image

    def replace(self, **fields: Any) -> "Change":
        """A copy with `fields` replaced (as ``dataclasses.replace``)."""
        values = {name: getattr(self, name) for name in _FIELDS}
        values["changed"] = self._changed            # DIFF stays DIFF: a diff of the new images
        values.update(fields)
        return Change(**values)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Change:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return "Change(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELDS) + ")"


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
