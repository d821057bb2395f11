"""A run's counters: messages, drops, dead letters, unit runs and skips, dedup."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DedupStats:
    records: int = 0              # records pruning alone would have emitted (deletes too)
    suppressed: int = 0           # of those, not sent: nothing really changed
    full_rows: int = 0            # sent as a full row because the key's emitted values were forgotten
    forgotten: int = 0            # keys dropped by max_keys or expired by ttl
    fields: dict[str, list[int]] = field(default_factory=dict)    # field -> [compared, unchanged]

    @property
    def rate(self) -> float:
        return self.suppressed / self.records if self.records else 0.0

    def to_json(self) -> dict[str, object]:
        return {"records": self.records, "suppressed": self.suppressed, "rate": round(self.rate, 6),
                "full_rows": self.full_rows, "forgotten": self.forgotten,
                "fields": {f: {"compared": c, "unchanged": u} for f, (c, u) in self.fields.items()}}


@dataclass
class RunStats:
    messages: int = 0
    dropped: int = 0
    dead_letter: int = 0
    unknown_table: int = 0
    row_updates: int = 0          # (message, row) pairs the pipeline ran for (per unit: run + skipped)
    records: int = 0
    units: dict[str, list[int]] = field(default_factory=dict)   # name -> [run, skipped]
    # pipeline step -> [row updates where at least one of its units ran, row updates where none did]
    steps: dict[str, list[int]] = field(default_factory=dict)
    seconds: float = 0.0
    dedup: DedupStats | None = None

    def to_json(self) -> dict[str, object]:
        return {"messages": self.messages, "dropped": self.dropped, "dead_letter": self.dead_letter,
                "unknown_table": self.unknown_table, "row_updates": self.row_updates,
                "records": self.records,
                "units": {name: {"run": r, "skipped": s} for name, (r, s) in self.units.items()},
                "steps": {name: {"run": r, "skipped": s} for name, (r, s) in self.steps.items()},
                "seconds": round(self.seconds, 6),
                **({"dedup": self.dedup.to_json()} if self.dedup is not None else {})}
