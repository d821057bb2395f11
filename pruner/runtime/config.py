"""Runtime tunables, in one place. Each is a plain constant; pass an override where a
function takes one rather than editing these at runtime."""
from __future__ import annotations

from typing import Final

# Decider memo (one message at a time from Python).
#
# Change patterns repeat heavily (an inventory count, a price), so a few thousand entries
# cover a stream. Two memos: by the message's key (source, changed tuple, kind) and by its
# mask (different orders or duplicates of the same fields share one Decision). Both evict
# the oldest entry when full (FIFO: a hit never pays for bookkeeping).
MEMO_KEYS: Final = 16_384
"""Most (source, changed, kind) keys remembered."""

MEMO_MASKS: Final = 4_096
"""Most distinct masks remembered (each holds one Decision)."""

MEMO_CELLS: Final = 4_000_000
"""Size budget of the mask memo, in tuple slots (8 bytes each): a Decision holds one per
unit it runs and per output it changes. Bounds memory where most messages run most of a
big plan: at most about 32 MB."""

# Batch kernel.
PARALLEL_MIN_CELLS: Final = 262_144
"""Below this many message x (unit + sink field) cells, decide_batch runs the kernel on one
thread: waking the pool costs tens of microseconds, about what one thread needs for this
many cells (1-5 cells/ns)."""
