"""The plan: what the compiler produces and the runtime runs (``Plan``, ``PlanUnit``) and its bits.

The encoding: bit 0 is the wildcard (every field the plan does not know); every other bit is
one field of one source or dimension table (``items.price`` and ``sellers.price`` are
different bits). Masks are little-endian bitarrays padded to whole 64-bit words, so the
runtime can view them as uint64 words; ``to_int`` and ``to_bits`` convert them from and to
Python ints. Made by ``pruner.compiler`` (its encode stage), stored by ``pruner.planfile``;
the runtime imports only this module, never a compiler stage.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bitarray import bitarray

WILDCARD_BIT: Final = 0
UNIT_KINDS: Final = ("processor", "dimjoin", "udaf", "rename", "filter")
"""What a unit (``PlanUnit.kind``) can be."""
WORD_BITS: Final = 64


@dataclass(frozen=True)
class PlanUnit:
    index: int
    name: str
    kind: str
    step: str
    class_ref: str | None
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    reads_all: bool
    writes_all: bool
    prunable: bool
    dead: bool
    dep: bitarray
    supply: tuple[int, ...]
    isolated: bool = False         # a Processor or filter run on a private copy of the row
    code: str | None = None        # sha256 of its reachable code or step configuration (format 4;
                                   # pruner.compiler.codeprint); None: unknown (an older plan)


@dataclass(frozen=True)
class Plan:
    job: str
    compiler_version: str
    n_bits: int
    wildcard_bit: int
    namespaces: dict[str, dict[str, int]]          # source/dimension -> field -> bit
    units: tuple[PlanUnit, ...]
    sink_name: str
    sink_primary_key: tuple[str, ...]
    sink: tuple[tuple[str, bitarray], ...]         # (sink field, dep) in sink order
    sink_supply: tuple[tuple[int, ...], ...]       # per sink field: the units producing its value
    relevant: bitarray
    fingerprints: dict[str, dict[str, str]]        # {"spec": {file: sha}, "plugins": {file: sha}}
    graph_nodes: tuple[str, ...]
    graph_edges: tuple[tuple[int, int], ...]
    notes: tuple[str, ...] = ()                    # compile diagnostics, rendered
    # The tables whose rows make the sink's rows (format 2). An insert or delete there is a new
    # or a gone sink row: every bit. Elsewhere (a dimension, a UDAF source) it changes that
    # table's fields only. None (a format-1 plan): unknown, so every table counts as one.
    row_sources: tuple[str, ...] | None = None
    # The declared field types (format 5), as the spec spells them: per source or dimension table
    # the typed fields (how the CDC values are decoded), and the sink's typed fields. None (an
    # older plan): unknown, so `pruner diff` cannot tell whether a type changed.
    types: dict[str, dict[str, str]] | None = None
    sink_types: dict[str, str] | None = None
    table_keys: dict[str, tuple[str, ...]] | None = None   # (format 5) each table's primary key

    @property
    def n_words(self) -> int:
        return words_for(self.n_bits)

    def unit(self, name: str) -> PlanUnit:
        for unit in self.units:
            if unit.name == name:
                return unit
        raise KeyError(name)

    def table_bits(self, table: str) -> int:
        """The mask of a change to `table` whose changed fields are unknown (an insert, a
        delete, a snapshot row, a row the runtime does not hold): every bit for a table whose
        rows are the sink's rows (or when the plan does not say which those are), else the
        table's own fields and the wildcard. ``KeyError`` for a table the plan does not know."""
        if self.row_sources is not None and table in self.row_sources:
            return (1 << self.n_bits) - 1
        fields = self.namespaces[table]
        if self.row_sources is None:
            return (1 << self.n_bits) - 1
        mask = 1 << self.wildcard_bit
        for bit in fields.values():
            mask |= 1 << bit
        return mask

    def field_names(self) -> dict[int, str]:
        names = {self.wildcard_bit: "<unknown field>"}
        for namespace, fields in self.namespaces.items():
            for name, bit in fields.items():
                names[bit] = f"{namespace}.{name}"
        return names


def words_for(n_bits: int) -> int:
    return max(1, -(-n_bits // WORD_BITS))


def to_bits(mask: int, n_bits: int) -> bitarray:
    bits = bitarray(words_for(n_bits) * WORD_BITS, endian="little")
    bits.setall(0)
    i = 0
    while mask:
        if mask & 1:
            bits[i] = 1
        mask >>= 1
        i += 1
    return bits


def to_int(bits: bitarray) -> int:
    return int.from_bytes(bits.tobytes(), "little")
