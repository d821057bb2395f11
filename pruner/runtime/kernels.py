"""Batch decisions: many messages against one plan in a numba kernel.

Bit layout (the plan's, see ``pruner.plan``): bit ``b`` of a mask is bit ``b % 64`` of
uint64 word ``b // 64``; bit 0 is the wildcard (a field the plan does not know). A plan of
``n_bits`` bits uses ``n_words = max(1, ceil(n_bits / 64))`` words; bits at ``n_bits`` and
above are zero in every plan mask, so they never match.

    arrays = PlanArrays.from_plan(plan)
    masks = mask_matrix(Decider(plan), [("items", ("price",), "update"), ...])
    batch = decide_batch(arrays, masks)      # batch.run[i, u], batch.drop[i], batch.outputs[i, f]

The answers equal ``pruner.decide.decide`` message by message (tests/runtime check it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Iterable

import numba
import numpy as np
from bitarray import bitarray
from numba import njit, prange

from pruner.plan import Plan, words_for
from pruner.runtime import config
from pruner.runtime.decider import Decider

WORD: Final = np.dtype(np.uint64)


@dataclass(frozen=True, eq=False)
class PlanArrays:
    """A plan's masks as read-only, C-contiguous uint64 arrays (one row per mask).

    - ``unit_deps``  uint64[n_units, n_words]: a unit's dep; a DEAD unit's row is zero
      (a dead unit never runs);
    - ``relevant``   uint64[n_words]: a message that meets none of it is dropped;
    - ``sink_deps``  uint64[n_sink, n_words]: which sink fields a message may change;
    - ``all_mask``   uint64[n_words]: the mask of an insert, delete or snapshot row.
    """

    unit_deps: np.ndarray
    relevant: np.ndarray
    sink_deps: np.ndarray
    all_mask: np.ndarray
    n_bits: int
    unit_names: tuple[str, ...]
    sink_fields: tuple[str, ...]

    @property
    def n_words(self) -> int:
        return self.relevant.shape[0]

    @classmethod
    def from_plan(cls, plan: Plan) -> PlanArrays:
        n_words = words_for(plan.n_bits)
        dead = bitarray(n_words * 64, endian="little")
        dead.setall(0)
        unit_deps = _rows([dead if unit.dead else unit.dep for unit in plan.units], n_words, "unit dep")
        sink_deps = _rows([dep for _, dep in plan.sink], n_words, "sink dep")
        relevant = _rows([plan.relevant], n_words, "relevant")[0]
        all_mask = np.frombuffer(((1 << plan.n_bits) - 1).to_bytes(n_words * 8, "little"),
                                 dtype="<u8").astype(WORD)
        for array in (unit_deps, sink_deps, relevant, all_mask):
            array.flags.writeable = False
        return cls(unit_deps=unit_deps, relevant=relevant, sink_deps=sink_deps, all_mask=all_mask,
                   n_bits=plan.n_bits, unit_names=tuple(u.name for u in plan.units),
                   sink_fields=tuple(f for f, _ in plan.sink))


@dataclass(frozen=True, eq=False)
class BatchDecision:
    """``run`` uint8[n_messages, n_units], ``drop`` uint8[n_messages],
    ``outputs`` uint8[n_messages, n_sink]; 1 means yes."""

    run: np.ndarray
    drop: np.ndarray
    outputs: np.ndarray


def decide_batch(arrays: PlanArrays, masks: np.ndarray, *, out: BatchDecision | None = None,
                 parallel: bool | None = None) -> BatchDecision:
    """Decide every message of ``masks`` (uint64[n_messages, n_words], C-contiguous).

    ``out`` reuses arrays of a previous BatchDecision of the same shape (a streaming loop
    allocates once). ``parallel`` None picks by size (``config.PARALLEL_MIN_CELLS``).
    """
    if not isinstance(masks, np.ndarray):
        raise TypeError(f"masks must be a numpy array, got {type(masks).__name__}; "
                        "build it with mask_matrix()")
    if masks.dtype != WORD:
        raise TypeError(f"masks must have dtype uint64, got {masks.dtype}; "
                        "build it with mask_matrix() or np.asarray(masks, dtype=np.uint64)")
    if masks.ndim != 2 or masks.shape[1] != arrays.n_words:
        raise ValueError(f"masks must have shape (n_messages, {arrays.n_words}) for a plan of "
                         f"{arrays.n_bits} bits ({arrays.n_words} uint64 words), got {masks.shape}")
    if not masks.flags.c_contiguous:
        raise ValueError("masks must be C-contiguous; pass np.ascontiguousarray(masks)")
    n = masks.shape[0]
    n_units, n_sink = arrays.unit_deps.shape[0], arrays.sink_deps.shape[0]
    if out is None:
        out = BatchDecision(run=np.empty((n, n_units), dtype=np.uint8),
                            drop=np.empty(n, dtype=np.uint8),
                            outputs=np.empty((n, n_sink), dtype=np.uint8))
    else:
        for name, array, shape in (("run", out.run, (n, n_units)), ("drop", out.drop, (n,)),
                                   ("outputs", out.outputs, (n, n_sink))):
            if (array.dtype != np.uint8 or array.shape != shape or not array.flags.c_contiguous
                    or not array.flags.writeable):
                raise ValueError(f"out.{name} must be a writable C-contiguous uint8 array of "
                                 f"shape {shape}, got {array.dtype} {array.shape}")
    if parallel is None:
        parallel = n * (n_units + n_sink) >= config.PARALLEL_MIN_CELLS
    args = (masks, arrays.unit_deps, arrays.relevant, arrays.sink_deps, out.run, out.drop, out.outputs)
    if parallel:
        _decide_batch(*args)
    else:
        # One kernel, one thread: numba's thread count is per calling thread.
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            _decide_batch(*args)
        finally:
            numba.set_num_threads(threads)
    return out


def mask_matrix(decider: Decider | Plan,
                changes: Iterable[tuple[str, Iterable[str] | None, str]]) -> np.ndarray:
    """uint64[n_messages, n_words] from ``(source, changed fields, kind)`` triples, with
    ``Decider.mask`` semantics: an unknown field sets the wildcard bit; an insert, delete,
    snapshot row or ``changed=None`` sets every bit; an unknown source raises KeyError."""
    if isinstance(decider, Plan):
        decider = Decider(decider)
    n_words = decider.n_words
    size = n_words * 8
    mask = decider.mask
    raw = b"".join(mask(source, changed, kind).to_bytes(size, "little")
                   for source, changed, kind in changes)
    return np.frombuffer(raw, dtype="<u8").reshape(-1, n_words).astype(WORD)


def _rows(masks: list[bitarray], n_words: int, what: str) -> np.ndarray:
    size = n_words * 8
    chunks = []
    for bits in masks:
        raw = bits.tobytes() if bits.endian == "little" else bitarray(bits, endian="little").tobytes()
        if len(raw) > size:
            raise ValueError(f"a {what} mask of {len(bits)} bits is longer than the plan's "
                             f"{n_words} words")
        chunks.append(raw.ljust(size, b"\0"))
    return np.frombuffer(b"".join(chunks), dtype="<u8").reshape(len(masks), n_words).astype(WORD)


# ---------------------------------------------------------------------- kernel
def _compiled(**options):
    """``njit`` with an on-disk cache where one can be written, without one where none can.

    numba keeps compiled code in ``__pycache__`` beside this file or under the user's home; a
    read-only install run by a user whose HOME cannot be written has neither, and numba then
    refuses to build the function at all. The kernel is the same either way, only compiled
    again in each process."""
    def wrap(function):
        try:
            return njit(cache=True, **options)(function)
        except RuntimeError as error:
            if "cannot cache" not in str(error):
                raise
            return njit(cache=False, **options)(function)
    return wrap


@_compiled(parallel=True)
def _decide_batch(masks, unit_deps, relevant, sink_deps, run, drop, outputs):
    """Decide n_messages messages, in parallel over messages.

    masks     uint64[n_messages, n_words]  one changed-field mask per message
    unit_deps uint64[n_units, n_words]     dep of each unit; a dead unit's row is zero
    relevant  uint64[n_words]              OR of the sink fields' deps
    sink_deps uint64[n_sink, n_words]      dep of each sink field
    run       uint8[n_messages, n_units]   out: 1 iff unit u runs for message i
    drop      uint8[n_messages]            out: 1 iff message i is dropped
    outputs   uint8[n_messages, n_sink]    out: 1 iff sink field f may change

    Bit b of a mask is bit b % 64 of word b // 64. Message i is dropped iff
    masks[i] & relevant == 0; then it runs nothing and changes no output. Otherwise unit u
    runs iff masks[i] & unit_deps[u] != 0, and sink field f may change iff
    masks[i] & sink_deps[f] != 0. All arrays C-contiguous; decide_batch checks them.

    Word-major copies of the deps make every inner loop one contiguous pass over units
    (vectorized). A message costs one pass per word it has bits in -- most messages change
    one to three fields, so one or two passes -- and a dropped one a zero fill. No array
    views or calls inside the loop: with per-row views the kernel measured 2-3x slower.
    """
    n_words = masks.shape[1]
    n_units = unit_deps.shape[0]
    n_sink = sink_deps.shape[0]
    units_by_word = np.ascontiguousarray(unit_deps.T)
    sink_by_word = np.ascontiguousarray(sink_deps.T)
    zero = np.uint64(0)
    for i in prange(masks.shape[0]):
        hit = zero
        first = n_words
        for w in range(n_words - 1, -1, -1):
            hit |= masks[i, w] & relevant[w]
            if masks[i, w] != zero:
                first = w
        if hit == zero:
            drop[i] = 1
            for u in range(n_units):
                run[i, u] = 0
            for f in range(n_sink):
                outputs[i, f] = 0
            continue
        drop[i] = 0
        # The first word with bits sets every cell ...
        m = masks[i, first]
        for u in range(n_units):
            run[i, u] = (units_by_word[first, u] & m) != zero
        for f in range(n_sink):
            outputs[i, f] = (sink_by_word[first, f] & m) != zero
        # ... later words with bits only add to them.
        for w in range(first + 1, n_words):
            m = masks[i, w]
            if m == zero:
                continue
            for u in range(n_units):
                run[i, u] |= (units_by_word[w, u] & m) != zero
            for f in range(n_sink):
                outputs[i, f] |= (sink_by_word[w, f] & m) != zero
