"""Decision overhead: what deciding run / skip / drop costs per message.

    python benchmarks/decision_overhead.py [--messages 1000000] [--repeat 5] [--sizes 10 100 1000 10000]

On the e-commerce example plan and on synthetic plans of N units, with a realistic change
stream (90% updates of 1-3 fields drawn from a skewed distribution over the source fields,
a few inserts/deletes and unknown fields), it reports as medians of --repeat runs:

1. the batch kernel (numba), one thread and all threads, as messages/s and unit-decisions/s
   (messages x units), against the same decisions made by plain Python sets
   (``changed & unit_fields`` per unit), Python int masks (``mask & dep`` per unit) and numpy
   (``(masks[:, None, :] & deps[None]).any(-1)`` in chunks). Every contender starts from
   already-encoded messages (sets, ints or the mask matrix) and produces run, drop and
   outputs; slow baselines see fewer messages and are normalized per decision.
   Ratios are measured in this process: kernel (one thread) / baseline.
2. ``Decider.decide`` per message: a repeated key (memo hit), a new key with a known mask
   (other field order), a miss (new mask), and the realistic stream.
3. plan load: read_plan + PlanArrays.from_plan + Decider for the synthetic plans.

JIT compile time is excluded from all timings (everything is warmed up first) and printed
once, measured cold in a subprocess with an empty numba cache.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Callable

import numba
import numpy as np

from pruner.compiler import build
from pruner.plan import Plan, PlanUnit, to_bits, to_int
from pruner.planfile import dumps, read_plan
from pruner.runtime.decider import Decider
from pruner.runtime.kernels import PlanArrays, decide_batch, mask_matrix

ROOT = Path(__file__).resolve().parents[1]
ECOMMERCE = ROOT / "examples" / "ecommerce" / "job.yaml"

ITEM_FIELDS = 160                # synthetic plans: items (160 fields) and sellers (40 fields)
SELLER_FIELDS = 40               # = 201 bits with the wildcard: 4 uint64 words
PER_UDTF = 10
KERNEL_CELLS = 4e9               # at most this many (message x unit) cells per kernel run
PYTHON_DECISIONS = 2e6           # unit-decisions per run of a plain-Python baseline
NUMPY_DECISIONS = 4e7            # ... of the numpy baseline
NUMPY_CHUNK_BYTES = 32 << 20     # numpy's (chunk, units, words) temporary
OUT_CHUNK_BYTES = 64 << 20       # the kernel's run + outputs arrays per call


# ---------------------------------------------------------------------- workloads
def synthetic_plan(n_units: int, seed: int = 0) -> Plan:
    """UDTFs of 10 Processors: each reads 1-3 source fields (and, mostly, the previous
    Processor's output); 1 in 25 units is a DimJoin on a seller field; 1% read everything
    (not prunable); 2% are dead; about a third of the outputs go to the sink."""
    rng = np.random.default_rng(seed)
    n_bits = 1 + ITEM_FIELDS + SELLER_FIELDS
    every = (1 << n_bits) - 1
    namespaces = {"items": {f"i{k}": 1 + k for k in range(ITEM_FIELDS)},
                  "sellers": {f"s{k}": 1 + ITEM_FIELDS + k for k in range(SELLER_FIELDS)}}
    units, sink = [], [(f"i{k}", to_bits(1 << (1 + k), n_bits)) for k in range(0, ITEM_FIELDS, 4)]
    previous = 0
    for i in range(n_units):
        prunable, dead = rng.random() >= 0.01, rng.random() < 0.02
        if not prunable:
            dep, kind = every, "processor"
        elif i % 25 == 24:
            seller_bits = rng.choice(SELLER_FIELDS, size=rng.integers(1, 4), replace=False)
            dep = (1 << 12) | sum(1 << (1 + ITEM_FIELDS + int(b)) for b in seller_bits)
            kind = "dimjoin"
        else:
            dep = sum(1 << (1 + int(b)) for b in rng.integers(0, ITEM_FIELDS, rng.integers(1, 4)))
            if i % PER_UDTF and rng.random() < 0.7:
                dep |= previous
            kind = "processor"
        previous = dep
        units.append(PlanUnit(index=i, name=f"U{i // PER_UDTF}.P{i}", kind=kind, step=f"U{i // PER_UDTF}",
                              class_ref=None, reads=(), writes=(f"o{i}",), reads_all=not prunable,
                              writes_all=False, prunable=prunable, dead=dead,
                              dep=to_bits(dep, n_bits), supply=()))
        if not dead and (rng.random() < 0.33 or i % PER_UDTF == PER_UDTF - 1):
            sink.append((f"o{i}", to_bits(dep, n_bits)))
    relevant = 0
    for _, dep in sink:
        relevant |= to_int(dep)
    return Plan(job=f"synthetic{n_units}", compiler_version="0.1.0", n_bits=n_bits, wildcard_bit=0,
                namespaces=namespaces, units=tuple(units), sink_name="engine", sink_primary_key=("i0",),
                sink=tuple(sink), sink_supply=tuple(() for _ in sink), relevant=to_bits(relevant, n_bits),
                fingerprints={"spec": {}, "plugins": {}}, graph_nodes=(), graph_edges=())


def change_stream(plan: Plan, n: int, seed: int = 1) -> list[tuple[str, tuple[str, ...] | None, str]]:
    """90% updates of the first source, 6% of the others, 2% inserts, 1% deletes and 1%
    updates naming a field the plan does not know. An update changes 1, 2 or 3 distinct
    fields (60/30/10%), drawn by a Zipf-like popularity (weight 1/rank^1.2) over the
    source's fields, independently per message (no fixed catalog of update statements, so
    fewer repeats than a real application issues)."""
    rng = np.random.default_rng(seed)
    sources = list(plan.namespaces)
    fields = {s: list(plan.namespaces[s]) for s in sources}
    popularity = {}
    for s in sources:
        weights = 1.0 / np.arange(1, len(fields[s]) + 1) ** 1.2
        popularity[s] = (rng.permutation(len(fields[s])), weights / weights.sum())
    roll = rng.random(n)
    counts = rng.choice([1, 2, 3], size=n, p=[0.6, 0.3, 0.1])
    changes = []
    for r, count in zip(roll, counts):
        if r < 0.02:
            changes.append((sources[0], None, "insert"))
        elif r < 0.03:
            changes.append((sources[0], None, "delete"))
        elif r < 0.04:
            changes.append((sources[0], ("not_in_plan",), "update"))
        else:
            source = sources[0] if r < 0.94 or len(sources) == 1 else sources[1 + int(r * 1000) % (len(sources) - 1)]
            order, p = popularity[source]
            picked = rng.choice(len(order), size=min(count, len(order)), replace=False, p=p)
            changes.append((source, tuple(fields[source][order[k]] for k in picked), "update"))
    return changes


# ---------------------------------------------------------------------- timing
def median_time(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def warm(run: Callable[[], object], seconds: float = 1.0) -> None:
    """Run until `seconds` have passed: past JIT, page faults and, on a VM whose idle vCPUs
    halt, the first parallel calls after idling (here each paid ~8 ms to wake a thread)."""
    start = time.perf_counter()
    run()
    while time.perf_counter() - start < seconds:
        run()


def kernel_runner(arrays: PlanArrays, masks: np.ndarray, parallel: bool) -> Callable[[], None]:
    per_message = arrays.unit_deps.shape[0] + arrays.sink_deps.shape[0] + 1
    chunk = max(1, min(masks.shape[0], OUT_CHUNK_BYTES // per_message))
    out = decide_batch(arrays, masks[:chunk], parallel=parallel)
    tail = masks.shape[0] % chunk

    def run() -> None:
        for start in range(0, masks.shape[0] - tail, chunk):
            decide_batch(arrays, masks[start:start + chunk], out=out, parallel=parallel)
        if tail:
            decide_batch(arrays, masks[masks.shape[0] - tail:], parallel=parallel)
    return run


def python_sets(plan: Plan, changes: list[frozenset[int]]) -> Callable[[], list]:
    unit_fields = [frozenset() if u.dead else _bitset(u.dep) for u in plan.units]
    sink_fields = [_bitset(dep) for _, dep in plan.sink]
    relevant = _bitset(plan.relevant)

    def run() -> list:
        results = []
        for changed in changes:
            if not changed & relevant:
                results.append((True, None, None))
                continue
            results.append((False, [bool(changed & f) for f in unit_fields],
                            [bool(changed & f) for f in sink_fields]))
        return results
    return run


def python_ints(plan: Plan, masks: list[int]) -> Callable[[], list]:
    deps = [0 if u.dead else to_int(u.dep) for u in plan.units]
    sink = [to_int(dep) for _, dep in plan.sink]
    relevant = to_int(plan.relevant)

    def run() -> list:
        results = []
        for mask in masks:
            if not mask & relevant:
                results.append((True, None, None))
                continue
            results.append((False, [dep & mask != 0 for dep in deps], [dep & mask != 0 for dep in sink]))
        return results
    return run


def numpy_vectorized(arrays: PlanArrays, masks: np.ndarray) -> Callable[[], tuple]:
    n_words = arrays.n_words
    per_message = (arrays.unit_deps.shape[0] + arrays.sink_deps.shape[0]) * n_words * 8
    chunk = max(1, NUMPY_CHUNK_BYTES // max(1, per_message))
    run_out = np.empty((masks.shape[0], arrays.unit_deps.shape[0]), dtype=bool)
    out_out = np.empty((masks.shape[0], arrays.sink_deps.shape[0]), dtype=bool)
    drop = np.empty(masks.shape[0], dtype=bool)

    def run() -> tuple:
        for s in range(0, masks.shape[0], chunk):
            m = masks[s:s + chunk]
            keep = (m & arrays.relevant).any(-1)
            drop[s:s + chunk] = ~keep
            np.logical_and((m[:, None, :] & arrays.unit_deps[None, :, :]).any(-1), keep[:, None],
                           out=run_out[s:s + chunk])
            np.logical_and((m[:, None, :] & arrays.sink_deps[None, :, :]).any(-1), keep[:, None],
                           out=out_out[s:s + chunk])
        return run_out, drop, out_out
    return run


def _bitset(bits) -> frozenset[int]:
    return frozenset(bits.search(1))


# ---------------------------------------------------------------------- measurements
def measure_plan(name: str, plan: Plan, changes, decider_changes, repeat: int) -> dict:
    arrays = PlanArrays.from_plan(plan)
    decider = Decider(plan)
    masks = mask_matrix(decider, changes)
    n_units, n_sink = len(plan.units), len(plan.sink)
    cells = max(1, n_units + n_sink)
    n_kernel = int(min(masks.shape[0], max(10_000, KERNEL_CELLS // cells)))
    kernel_masks = masks[:n_kernel]
    row = {"plan": name, "units": n_units, "sink": n_sink, "words": arrays.n_words,
           "kernel_messages": n_kernel}

    # correctness first: every contender agrees with the kernel on a sample
    sample = int(min(2_000, masks.shape[0], max(50, 4e6 // cells)))
    batch = decide_batch(arrays, masks[:sample])
    int_masks = [decider.mask(*c) for c in changes[:sample]]
    sets = [frozenset(b for b in range(m.bit_length()) if m >> b & 1) for m in int_masks]
    for (drop, run, outs), (sdrop, srun, souts), i in zip(python_ints(plan, int_masks)(),
                                                          python_sets(plan, sets)(), range(sample)):
        assert drop == sdrop == bool(batch.drop[i])
        if not drop:
            assert run == srun == batch.run[i].astype(bool).tolist()
            assert outs == souts == batch.outputs[i].astype(bool).tolist()
    np_run, np_drop, np_out = numpy_vectorized(arrays, masks[:sample])()
    assert np.array_equal(np_run, batch.run.astype(bool)) and np.array_equal(np_drop, batch.drop.astype(bool))
    assert np.array_equal(np_out, batch.outputs.astype(bool))

    for threads, parallel in (("1", False), ("n", True)):
        runner = kernel_runner(arrays, kernel_masks, parallel)
        warm(runner)
        seconds = median_time(runner, repeat)
        row[f"kernel_{threads}"] = n_kernel / seconds                # messages/s
        row[f"kernel_{threads}_bytes"] = n_kernel * (cells + 1 + 8 * arrays.n_words) / seconds

    n_python = int(min(masks.shape[0], max(100, PYTHON_DECISIONS // max(1, n_units))))
    int_masks = [decider.mask(*c) for c in changes[:n_python]]
    sets = [frozenset(b for b in range(m.bit_length()) if m >> b & 1) for m in int_masks]
    row["sets"] = n_python / median_time(python_sets(plan, sets), repeat)
    row["ints"] = n_python / median_time(python_ints(plan, int_masks), repeat)
    n_numpy = int(min(masks.shape[0], max(100, NUMPY_DECISIONS // max(1, n_units))))
    numpy_run = numpy_vectorized(arrays, masks[:n_numpy])
    numpy_run()
    row["numpy"] = n_numpy / median_time(numpy_run, repeat)
    row["python_messages"], row["numpy_messages"] = n_python, n_numpy

    row.update(measure_decider(plan, decider_changes, repeat))
    return row


def measure_decider(plan: Plan, changes, repeat: int) -> dict:
    decider = Decider(plan)
    decide = decider.decide
    # hits: a working set of 1,000 memoized keys, cycled
    keys = list(dict.fromkeys(c for c in changes if c[1] is not None))[:1_000]
    for key in keys:
        decide(*key)
    loops = max(1, 200_000 // len(keys))

    def hits() -> None:
        for _ in range(loops):
            for source, changed, kind in keys:
                decide(source, changed, kind)
    hit_ns = median_time(hits, repeat) / (loops * len(keys)) * 1e9

    # same mask, new key: the fields in another order (as many keys as the mask memo holds)
    keys = keys[:decider.memo_limits()[1]]

    def other_order() -> None:
        decider.clear(masks=False)
        for source, changed, kind in keys:
            decide(source, changed[::-1] + changed[:1], kind)
    for source, changed, kind in keys:
        decide(source, changed, kind)
    reorder_ns = median_time(other_order, repeat) / len(keys) * 1e9

    # misses: a fresh memo per pass, every key a new mask
    distinct = list({decider.mask(*k): k for k in keys}.values())[:max(20, min(1_000, 2_000_000 // max(1, len(plan.units))))]

    def misses() -> None:
        decider.clear()
        for source, changed, kind in distinct:
            decide(source, changed, kind)
    miss_ns = median_time(misses, repeat) / len(distinct) * 1e9

    # the stream as it comes: hits, the odd miss, inserts
    stream_decider = Decider(plan)

    def stream() -> None:
        stream_decider.clear()
        d = stream_decider.decide
        for source, changed, kind in changes:
            d(source, changed, kind)
    stream_ns = median_time(stream, repeat) / len(changes) * 1e9
    distinct_keys = len(set(changes))
    return {"hit_ns": hit_ns, "reorder_ns": reorder_ns, "miss_ns": miss_ns, "stream_ns": stream_ns,
            "stream_new_keys": distinct_keys / len(changes), "stream_messages": len(changes),
            "memo_masks": stream_decider.memo_sizes()[1]}


def measure_load(plans: dict[str, Plan], repeat: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="decision-overhead-") as folder:
        for name, plan in plans.items():
            path = Path(folder) / f"{name}.plan"
            path.write_bytes(dumps(plan))
            loaded = read_plan(path)
            read = median_time(lambda: read_plan(path), repeat)
            arrays = median_time(lambda: PlanArrays.from_plan(loaded), repeat)
            decider = median_time(lambda: Decider(loaded), repeat)
            rows.append({"plan": name, "units": len(plan.units), "kib": path.stat().st_size / 1024,
                         "read": read, "arrays": arrays, "decider": decider})
    return rows


def jit_seconds() -> tuple[float, float]:
    """(cold compile, load from the cache) of the kernel's first call, in fresh processes."""
    code = textwrap.dedent("""
        import time, numpy as np
        from pruner.compiler import build
        from pruner.runtime.kernels import PlanArrays, decide_batch
        arrays = PlanArrays.from_plan(build(%r).plan)
        masks = np.zeros((1, arrays.n_words), dtype=np.uint64)
        start = time.perf_counter()
        decide_batch(arrays, masks)
        print(time.perf_counter() - start)
    """ % str(ECOMMERCE))
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = [float(subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT,
                                     capture_output=True, text=True).stdout) for _ in range(2)]
    return runs[0], runs[1]


# ---------------------------------------------------------------------- report
def collect(messages: int = 1_000_000, decider_messages: int = 200_000,
            sizes: tuple[int, ...] = (10, 100, 1_000, 10_000), repeat: int = 5, jit: bool = True) -> dict:
    """Every measurement of this module, as plain data (see `render`)."""
    data: dict = {"repeat": repeat}
    if jit:
        data["jit_cold"], data["jit_cached"] = jit_seconds()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    data["machine"] = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                       "usable": affinity, "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
                       "python": platform.python_version(), "numba": numba.__version__,
                       "threads": numba.get_num_threads(), "numpy": np.__version__}
    buffer = np.ones(32 << 20, dtype=np.uint64)                 # 256 MiB
    target = np.empty_like(buffer)
    np.copyto(target, buffer)
    data["machine"]["copy_gbs"] = 2 * buffer.nbytes / median_time(lambda: np.copyto(target, buffer), repeat) / 1e9
    del buffer, target

    plans: dict[str, Plan] = {"ecommerce": build(ECOMMERCE).plan}
    for n in sizes:
        plans[f"synthetic {n:,}"] = synthetic_plan(n)
    eco_changes = change_stream(plans["ecommerce"], messages)
    syn_changes = change_stream(plans[f"synthetic {sizes[0]:,}"], messages) if sizes else []
    rows = []
    for name, plan in plans.items():
        changes = eco_changes if name == "ecommerce" else syn_changes
        # a Decider miss costs O(units): fewer stream messages for big plans
        n_stream = int(min(decider_messages, max(5_000, 5e7 // max(1, len(plan.units)))))
        rows.append(measure_plan(name, plan, changes, changes[:n_stream], repeat))
        print(f"  measured {name}", file=sys.stderr)
    data["plans"] = rows
    data["load"] = measure_load(plans, repeat)
    return data


def render(data: dict) -> str:
    """Markdown for `collect`'s data."""
    m = data["machine"]
    rows = data["plans"]
    out = ["## Machine\n",
           f"- {m['cpu']}, {m['cores']} cores ({m['usable']} usable), load average at start "
           + (f"{m['load']:.2f}" if m["load"] is not None else "?"),
           f"- Python {m['python']}, numba {m['numba']} ({m['threads']} threads), numpy {m['numpy']}",
           f"- memory copy (numpy, 256 MiB, read + write): {m['copy_gbs']:.1f} GB/s"]
    if "jit_cold" in data:
        out.append(f"- kernel JIT: {data['jit_cold']:.2f} s cold compile, {data['jit_cached']:.2f} s first call "
                   "from numba's cache (excluded from every timing below)")
    threads = m["threads"]
    out += ["\n## Batch kernel vs baselines (per decision; unit-decisions = messages x units)\n",
            f"| plan | units | sink fields | words | kernel 1 thread: msg/s | unit-dec/s | GB/s "
            f"| kernel {threads} threads: msg/s | unit-dec/s | speedup | Python sets: unit-dec/s | × "
            f"| Python ints: unit-dec/s | × | numpy: unit-dec/s | × |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        u = max(1, r["units"])
        k1, kn = r["kernel_1"], r["kernel_n"]
        out.append(f"| {r['plan']} | {r['units']:,} | {r['sink']:,} | {r['words']} | {_si(k1)} | {_si(k1 * u)} "
                   f"| {r['kernel_1_bytes'] / 1e9:.1f} | {_si(kn)} | {_si(kn * u)} | {kn / k1:.1f}× "
                   f"| {_si(r['sets'] * u)} | {k1 / r['sets']:,.0f}× | {_si(r['ints'] * u)} | {k1 / r['ints']:,.0f}× "
                   f"| {_si(r['numpy'] * u)} | {k1 / r['numpy']:,.1f}× |")
    out.append("\n× = kernel on 1 thread ÷ baseline (all single-threaded), medians of "
               f"{data['repeat']} runs in this process. GB/s = bytes the kernel reads "
               "(masks) and writes (run, drop, outputs) per second. Messages per run: kernel "
               + ", ".join(f"{r['kernel_messages']:,}" for r in rows) + "; Python "
               + ", ".join(f"{r['python_messages']:,}" for r in rows) + "; numpy "
               + ", ".join(f"{r['numpy_messages']:,}" for r in rows) + ".")
    out += ["\n## Decider.decide, one message from Python (ns per call)\n",
            "| plan | units | memo hit | new key, known mask | miss (new mask) | realistic stream | new keys in stream |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['plan']} | {r['units']:,} | {r['hit_ns']:,.0f} | {r['reorder_ns']:,.0f} | {r['miss_ns']:,.0f} "
                   f"| {r['stream_ns']:,.0f} | {100 * r['stream_new_keys']:.2f}% |")
    out.append("\nRealistic stream: the first " + ", ".join(f"{r['stream_messages']:,}" for r in rows)
               + " messages of the stream, memo emptied first; masks remembered at the end: "
               + ", ".join(f"{r['memo_masks']:,}" for r in rows) + ".")
    out += ["\n## Plan load (read_plan + PlanArrays.from_plan + Decider), ms\n",
            "| plan | units | plan KiB | read_plan | PlanArrays | Decider | total |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for r in data["load"]:
        total = r["read"] + r["arrays"] + r["decider"]
        out.append(f"| {r['plan']} | {r['units']:,} | {r['kib']:,.0f} | {1e3 * r['read']:.2f} | {1e3 * r['arrays']:.2f} "
                   f"| {1e3 * r['decider']:.2f} | {1e3 * total:.2f} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--decider-messages", type=int, default=200_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; medians are reported")
    args = parser.parse_args()
    print(render(collect(args.messages, args.decider_messages, tuple(args.sizes), args.repeat)))


def _si(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.2f} {unit}"
    return f"{value:.0f}"


if __name__ == "__main__":
    main()
