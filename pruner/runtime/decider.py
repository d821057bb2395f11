"""One message at a time from Python: changed fields -> mask -> memoized Decision.

The answers equal ``pruner.decide.decide`` (the plain-Python reference, with reasons); this
module only makes the repeated case cheap. Change patterns repeat heavily, so a decision is
looked up first by the message's own key ``(source, changed, kind)`` -- one dict probe, no
mask built -- and on a miss by its mask, so that ``("b", "a")``, ``("a", "b")`` and ``("a", "a", "b")``
share one Decision object. A miss costs O(bits changed + units run), not O(units): an
inverted index maps each bit to the units and sink fields that depend on it. Masks are
Python ints: bit ``i`` is bit ``i`` of the plan's encoding table (bit 0 is the wildcard).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from pruner.cdc.model import ROW_KINDS
from pruner.decide import change_mask
from pruner.plan import Plan, to_int
from pruner.runtime import config


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one message.

    ``run`` and ``skip`` are unit indices (``plan.units[i]``) in execution order; together
    they are every unit exactly once. ``outputs`` are the sink fields the message may change.
    A dropped message runs nothing and changes no output.
    """

    drop: bool
    run: tuple[int, ...]
    outputs: tuple[str, ...]
    mask: int
    n_units: int            # units in the plan

    @property
    def skip(self) -> tuple[int, ...]:
        # Derived on demand: a memoized Decision then costs O(run), not O(units).
        ran = set(self.run)
        return tuple(i for i in range(self.n_units) if i not in ran)


class UnknownSourceError(KeyError):
    """A message from a source (or dimension table) the plan does not know."""

    def __str__(self) -> str:           # KeyError would repr() the message
        return str(self.args[0])


class Decider:
    """Memoized decisions for one plan. Not thread-safe for writes: one per thread."""

    __slots__ = ("plan", "n_bits", "n_words", "all_mask", "_fields", "_wildcard",
                 "_relevant", "_n_units", "_units_by_bit", "_sink_by_bit", "_sink_names",
                 "_keys", "_masks", "_by_key", "_by_mask")

    def __init__(self, plan: Plan, *, memo_keys: int | None = None,
                 memo_masks: int | None = None) -> None:
        self.plan = plan
        self.n_bits = plan.n_bits
        self.n_words = plan.n_words
        self.all_mask = (1 << plan.n_bits) - 1
        self._fields = {source: {name: 1 << bit for name, bit in fields.items()}
                        for source, fields in plan.namespaces.items()}
        self._wildcard = 1 << plan.wildcard_bit
        self._relevant = to_int(plan.relevant)
        # Inverted index, bit -> units (sink fields) whose dep has that bit: a miss then
        # costs O(bits changed + units run), not O(units). A dead unit never runs.
        self._n_units = len(plan.units)
        every = self.all_mask
        self._units_by_bit = _by_bit([0 if u.dead else to_int(u.dep) & every for u in plan.units],
                                     plan.n_bits)
        self._sink_by_bit = _by_bit([to_int(dep) & every for _, dep in plan.sink], plan.n_bits)
        self._sink_names = tuple(name for name, _ in plan.sink)
        keys = config.MEMO_KEYS if memo_keys is None else memo_keys
        masks = config.MEMO_MASKS if memo_masks is None else memo_masks
        if keys < 1 or masks < 1:
            raise ValueError("memo sizes must be at least 1")
        self._keys = _Memo(keys, config.MEMO_CELLS)
        self._masks = _Memo(masks, config.MEMO_CELLS)
        self._by_key = self._keys.entries          # read directly on the hot path
        self._by_mask = self._masks.entries

    # ------------------------------------------------------------------ the hot path
    def decide(self, source: str, changed: tuple[str, ...] | None,
               kind: str = "update") -> Decision:
        """The Decision for one message. ``changed`` None means "unknown: every field".

        A source the plan does not know raises UnknownSourceError (a KeyError), whatever the
        kind; an unknown kind, ValueError. Neither is remembered."""
        key = (source, changed, kind)
        try:
            return self._by_key[key]
        except KeyError:
            pass
        except TypeError:               # a list or set of fields: key it as a tuple
            changed = tuple(changed)    # type: ignore[arg-type]
            key = (source, changed, kind)
            found = self._by_key.get(key)
            if found is not None:
                return found
        decision = self.decide_mask(self._mask(source, changed, kind))
        self._keys.put(key, decision)
        return decision

    def mask(self, source: str, changed: Iterable[str] | None, kind: str = "update") -> int:
        """The message's bits: one per changed field, the wildcard for a field the plan does
        not know, every bit for an insert, delete, snapshot row or ``changed=None``."""
        try:
            return self._by_key[(source, changed, kind)].mask
        except (KeyError, TypeError):
            return self._mask(source, changed, kind)

    def decide_mask(self, mask: int) -> Decision:
        """The Decision for a mask (memoized by mask)."""
        found = self._by_mask.get(mask)
        if found is not None:
            return found
        if not 0 <= mask <= self.all_mask:
            raise ValueError(f"mask {mask:#x} has bits outside the plan's {self.n_bits} bits")
        decision = self._compute(mask)
        self._masks.put(mask, decision)
        return decision

    # ------------------------------------------------------------------ misses
    def _mask(self, source: str, changed: Iterable[str] | None, kind: str) -> int:
        fields = self._fields.get(source)
        if fields is None:
            known = ", ".join(sorted(self._fields)) or "none"
            raise UnknownSourceError(
                f"source {source!r} is not in plan {self.plan.job!r} (it knows: {known}); "
                "recompile the plan if the job now reads this table")
        if kind not in ROW_KINDS:
            raise ValueError(f"unknown message kind {kind!r}; expected one of {', '.join(ROW_KINDS)}")
        if isinstance(changed, str):
            raise TypeError(f"changed must be a tuple of field names, not the string "
                            f"{changed!r}; write ({changed!r},)")
        return change_mask(self.plan, source, changed, kind)      # the one rule (pruner.decide)

    def _compute(self, mask: int) -> Decision:
        if not mask & self._relevant:
            return Decision(drop=True, run=(), outputs=(), mask=mask, n_units=self._n_units)
        units: set[int] = set()
        fields: set[int] = set()
        units_by_bit, sink_by_bit = self._units_by_bit, self._sink_by_bit
        rest = mask
        while rest:
            low = rest & -rest
            bit = low.bit_length() - 1
            units.update(units_by_bit[bit])
            fields.update(sink_by_bit[bit])
            rest ^= low
        names = self._sink_names
        return Decision(drop=False, run=tuple(sorted(units)),
                        outputs=tuple(names[f] for f in sorted(fields)), mask=mask,
                        n_units=self._n_units)

    # ------------------------------------------------------------------ memo
    def memo_sizes(self) -> tuple[int, int]:
        """(keys, masks) currently remembered."""
        return len(self._by_key), len(self._by_mask)

    def memo_limits(self) -> tuple[int, int]:
        """(keys, masks) remembered at most; each memo also within ``config.MEMO_CELLS``."""
        return self._keys.limit, self._masks.limit

    def clear(self, *, masks: bool = True) -> None:
        """Forget remembered keys (and, unless ``masks=False``, decisions by mask)."""
        self._keys.clear()
        if masks:
            self._masks.clear()


class _Memo:
    """FIFO memo bounded in entries and in size: a Decision costs one tuple slot (8 bytes)
    per unit it runs and per output it changes, plus one. FIFO, not LRU, so that a hit
    (a plain dict lookup on ``entries``) never pays for bookkeeping."""

    __slots__ = ("entries", "limit", "cell_limit", "cells")

    def __init__(self, limit: int, cell_limit: int) -> None:
        self.entries: dict = {}
        self.limit = limit
        self.cell_limit = cell_limit
        self.cells = 0

    def put(self, key, decision: Decision) -> None:
        entries = self.entries
        cost = _cost(decision)
        while entries and (len(entries) >= self.limit or self.cells + cost > self.cell_limit):
            self.cells -= _cost(entries.pop(next(iter(entries))))   # dicts keep insertion order
        entries[key] = decision
        self.cells += cost

    def clear(self) -> None:
        self.entries.clear()
        self.cells = 0


def _cost(decision: Decision) -> int:
    return 1 + len(decision.run) + len(decision.outputs)


def _by_bit(deps: list[int], n_bits: int) -> tuple[tuple[int, ...], ...]:
    """For each bit, the indices of the deps that have it."""
    lists: list[list[int]] = [[] for _ in range(n_bits)]
    for index, dep in enumerate(deps):
        while dep:
            low = dep & -dep
            lists[low.bit_length() - 1].append(index)
            dep ^= low
    return tuple(tuple(found) for found in lists)
