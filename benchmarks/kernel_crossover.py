"""Where the numba kernel would pay on the product path: decisions for memo misses.

The engine asks ``Decider.decide`` once per row update; a repeated change pattern is a memo
hit (about 110 ns, any plan size), so only a miss (a mask not seen before) does real work.
A miss must end as a ``Decision``: the Python tuple of the units to run and the sink fields
that may change, which the engine's per-mask work is built from. This measures, per miss,
on synthetic plans of N units and distinct random masks (1-3 changed fields each):

- Python: ``Decider._compute`` (inverted index bit -> units, then sorted tuples);
- kernel: the same masks as one uint64 matrix through ``kernels.decide_batch`` (one thread),
  each row turned back into a ``Decision`` (``np.flatnonzero``): what a batched miss path
  would cost, conversion included.

Both give the same decisions (checked). Medians of REPEATS runs, one process, JIT warmed.

    python benchmarks/kernel_crossover.py [--sizes 17 100 1000 10000] [--masks 3000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.decision_overhead import synthetic_plan  # noqa: E402
from pruner.runtime.decider import Decider, Decision  # noqa: E402
from pruner.runtime.kernels import PlanArrays, decide_batch  # noqa: E402


def kernel_decisions(decider: Decider, arrays: PlanArrays, masks: list[int]) -> list[Decision]:
    """Decisions for `masks` by the batch kernel, converted to the runtime's Decision."""
    words = arrays.n_words
    matrix = np.frombuffer(b"".join(m.to_bytes(words * 8, "little") for m in masks),
                           dtype="<u8").astype(np.uint64).reshape(len(masks), words)
    batch = decide_batch(arrays, matrix, parallel=False)
    names, n_units = arrays.sink_fields, len(arrays.unit_names)
    found = []
    for i, mask in enumerate(masks):
        if batch.drop[i]:
            found.append(Decision(True, (), (), mask, n_units))
        else:
            found.append(Decision(False, tuple(np.flatnonzero(batch.run[i]).tolist()),
                                  tuple(names[j] for j in np.flatnonzero(batch.outputs[i]).tolist()),
                                  mask, n_units))
    return found


def measure(n_units: int, n_masks: int, repeats: int) -> tuple[float, float, float]:
    """(µs per miss in Python, µs per miss by the kernel, mean units run per decision)."""
    plan = synthetic_plan(n_units)
    decider, arrays = Decider(plan), PlanArrays.from_plan(plan)
    rng = random.Random(1)
    fields = [1 << bit for bit in range(1, plan.n_bits)]
    masks = sorted({sum(rng.sample(fields, rng.randint(1, 3))) for _ in range(n_masks)})
    kernel_decisions(decider, arrays, masks[:4])                    # JIT
    python_runs, kernel_runs = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        by_python = [decider._compute(mask) for mask in masks]
        python_runs.append((time.perf_counter() - start) / len(masks))
        start = time.perf_counter()
        by_kernel = kernel_decisions(decider, arrays, masks)
        kernel_runs.append((time.perf_counter() - start) / len(masks))
        assert [(d.drop, d.run, d.outputs) for d in by_python] == [(d.drop, d.run, d.outputs) for d in by_kernel]
    ran = statistics.mean(len(d.run) for d in by_python)
    return statistics.median(python_runs) * 1e6, statistics.median(kernel_runs) * 1e6, ran


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[17, 100, 300, 1000, 3000, 10000])
    parser.add_argument("--masks", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("| units | units run per decision | Python, µs per miss | kernel + conversion, µs per miss | Python / kernel |")
    print("|---:|---:|---:|---:|---:|")
    for n_units in args.sizes:
        python, kernel, ran = measure(n_units, args.masks, args.repeats)
        print(f"| {n_units:,} | {ran:,.0f} | {python:.1f} | {kernel:.1f} | {python / kernel:.2f}× |")


if __name__ == "__main__":
    main()
