"""The runtime's decision fast paths (numba batch kernel, memoized Decider) against the
plain-Python reference ``pruner.decide`` and a per-bit reference written here, on random
plans (1..200 bits, 0..50 units) and on the example plans."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pruner.cdc.model import ROW_KINDS
from pruner.compiler import build
from pruner.decide import change_mask, decide
from pruner.plan import Plan, PlanUnit, to_bits, words_for
from pruner.runtime import config
from pruner.runtime.decider import Decider, UnknownSourceError
from pruner.runtime.kernels import BatchDecision, PlanArrays, decide_batch, mask_matrix

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "reference" / "job.yaml"
ECOMMERCE = ROOT / "examples" / "ecommerce" / "job.yaml"

RANDOM = settings(max_examples=150, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FULL_WORD = (1 << 64) - 1


# ---------------------------------------------------------------------- references
def naive_batch(plan: Plan, mask: int) -> tuple[bool, list[bool], list[bool]]:
    """Bit by bit over the plan's bitarrays: (drop, run per unit, change per sink field)."""
    bits = [b for b in range(mask.bit_length()) if mask >> b & 1]

    def meets(dep: bitarray) -> bool:
        return any(b < len(dep) and dep[b] for b in bits)

    drop = not meets(plan.relevant)
    run = [not drop and not unit.dead and meets(unit.dep) for unit in plan.units]
    outputs = [not drop and meets(dep) for _, dep in plan.sink]
    return drop, run, outputs


def words(masks: list[int], n_words: int) -> np.ndarray:
    """Int masks -> uint64[n, n_words], written out word by word (not via mask_matrix)."""
    rows = [[(m >> (64 * w)) & FULL_WORD for w in range(n_words)] for m in masks]
    return np.array(rows, dtype=np.uint64).reshape(len(masks), n_words)


def check_batch(plan: Plan, masks: list[int], parallel: bool | None = None) -> None:
    arrays = PlanArrays.from_plan(plan)
    batch = decide_batch(arrays, words(masks, plan.n_words), parallel=parallel)
    names = [u.name for u in plan.units]
    for i, mask in enumerate(masks):
        drop, run, outputs = naive_batch(plan, mask)
        assert bool(batch.drop[i]) == drop, (i, mask)
        assert batch.run[i].tolist() == [int(r) for r in run], (i, mask)
        assert batch.outputs[i].tolist() == [int(o) for o in outputs], (i, mask)
        ref = decide(plan, mask)
        assert bool(batch.drop[i]) == ref.drop
        assert tuple(n for n, r in zip(names, batch.run[i]) if r) == ref.run
        assert tuple(f for (f, _), o in zip(plan.sink, batch.outputs[i]) if o) == ref.outputs


def check_decision(plan: Plan, got, source: str, changed, kind: str) -> None:
    ref_kind = "insert" if kind == "snapshot" else kind       # the reference has no snapshot
    ref = decide(plan, change_mask(plan, source, list(changed or ()), ref_kind)
                 if changed is not None else (1 << plan.n_bits) - 1)
    names = [u.name for u in plan.units]
    assert got.mask == ref.mask
    assert got.drop == ref.drop
    assert tuple(names[i] for i in got.run) == ref.run
    assert tuple(names[i] for i in got.skip) == ref.skip
    assert got.outputs == ref.outputs
    assert sorted(got.run + got.skip) == list(range(len(plan.units)))


# ---------------------------------------------------------------------- random plans
N_BITS = st.one_of(st.sampled_from([1, 2, 63, 64, 65, 127, 128, 129, 192, 193, 200]),
                   st.integers(1, 200))


def masks_of(n_bits: int) -> st.SearchStrategy[int]:
    every = (1 << n_bits) - 1
    sparse = st.lists(st.integers(0, n_bits - 1), max_size=4).map(
        lambda bits: sum({1 << b for b in bits}))
    return st.one_of(st.just(0), st.just(every), sparse, st.integers(0, every))


@st.composite
def random_plans(draw) -> Plan:
    n_bits = draw(N_BITS)
    mask = masks_of(n_bits)
    n_sources = draw(st.integers(1, 3))
    namespaces: dict[str, dict[str, int]] = {f"s{k}": {} for k in range(n_sources)}
    for bit in range(1, n_bits):
        namespaces[f"s{draw(st.integers(0, n_sources - 1))}"][f"f{bit}"] = bit
    units = []
    for i in range(draw(st.integers(0, 50))):
        units.append(PlanUnit(
            index=i, name=f"u{i}", kind="processor", step=f"step{i}", class_ref=None, reads=(),
            writes=(), reads_all=False, writes_all=False, prunable=draw(st.booleans()),
            dead=draw(st.integers(0, 4)) == 0, dep=to_bits(draw(mask), n_bits), supply=()))
    sink = tuple((f"out{k}", to_bits(draw(mask), n_bits)) for k in range(draw(st.integers(0, 20))))
    if draw(st.booleans()):
        relevant = 0
        for _, dep in sink:
            relevant |= int.from_bytes(dep.tobytes(), "little")
    else:
        relevant = draw(mask)
    return Plan(job="random", compiler_version="0", n_bits=n_bits, wildcard_bit=0,
                namespaces=namespaces, units=tuple(units), sink_name="sink",
                sink_primary_key=(), sink=sink, sink_supply=tuple(() for _ in sink),
                relevant=to_bits(relevant, n_bits),
                fingerprints={}, graph_nodes=(), graph_edges=())


@st.composite
def plan_and_masks(draw) -> tuple[Plan, list[int]]:
    plan = draw(random_plans())
    masks = draw(st.lists(masks_of(plan.n_bits), max_size=12))
    full_words = (1 << (64 * plan.n_words)) - 1           # padding bits set too
    return plan, [0, (1 << plan.n_bits) - 1, full_words] + masks


@st.composite
def plan_and_changes(draw):
    plan = draw(random_plans())
    changes = []
    for _ in range(draw(st.integers(1, 10))):
        source = draw(st.sampled_from(sorted(plan.namespaces)))
        known = sorted(plan.namespaces[source])
        name = st.one_of(st.sampled_from(known), st.sampled_from(["zz", "f0", "price"])) \
            if known else st.sampled_from(["zz", "f0"])
        changed = draw(st.one_of(st.none(), st.lists(name, max_size=5).map(tuple)))
        kind = draw(st.sampled_from(ROW_KINDS + ("update", "update")))
        changes.append((source, changed, kind))
    return plan, changes


@RANDOM
@given(plan_and_masks())
def test_kernel_equals_references_on_random_plans(case):
    plan, masks = case
    check_batch(plan, masks)
    check_batch(plan, masks, parallel=True)


@RANDOM
@given(plan_and_changes())
def test_decider_equals_reference_on_random_changes(case):
    plan, changes = case
    decider = Decider(plan)
    first = [decider.decide(*c) for c in changes]
    for (source, changed, kind), got in zip(changes, first):
        check_decision(plan, got, source, changed, kind)
        assert decider.decide(source, changed, kind) is got              # a cache hit
        assert decider.mask(source, changed, kind) == got.mask
        if changed:
            shuffled = tuple(reversed(changed)) + changed[:1]            # other order, a duplicate
            assert decider.decide(source, shuffled, kind) is got
            assert decider.decide(source, list(changed), kind) is got
    # the batch path on the same messages gives the same answers
    batch = decide_batch(PlanArrays.from_plan(plan), mask_matrix(decider, changes))
    for i, got in enumerate(first):
        assert bool(batch.drop[i]) == got.drop
        assert tuple(np.flatnonzero(batch.run[i])) == got.run
        assert tuple(f for (f, _), o in zip(plan.sink, batch.outputs[i]) if o) == got.outputs


@RANDOM
@given(plan_and_changes(), st.integers(1, 3), st.integers(1, 3))
def test_bounded_memo_stays_correct(case, keys, masks):
    plan, changes = case
    decider = Decider(plan, memo_keys=keys, memo_masks=masks)
    for _ in range(2):
        for change in changes:
            check_decision(plan, decider.decide(*change), *change)
            assert decider.memo_sizes()[0] <= keys and decider.memo_sizes()[1] <= masks


def test_memo_size_budget(ecommerce, monkeypatch):
    monkeypatch.setattr(config, "MEMO_CELLS", 12)
    decider = Decider(ecommerce)
    fields = list(ecommerce.namespaces["items"])
    for name in fields + fields[:5]:
        check_decision(ecommerce, decider.decide("items", (name,)), "items", (name,), "update")
        for memo in (decider._keys, decider._masks):          # both memos, same budget
            held = list(memo.entries.values())
            cost = sum(1 + len(d.run) + len(d.outputs) for d in held)
            assert cost == memo.cells and (cost <= 12 or len(held) == 1)


# ---------------------------------------------------------------------- the example plans
@pytest.fixture(scope="module")
def reference() -> Plan:
    return build(REFERENCE).plan


@pytest.fixture(scope="module")
def ecommerce() -> Plan:
    return build(ECOMMERCE).plan


@pytest.mark.parametrize("job", ["reference", "ecommerce"])
def test_kernel_equals_references_on_example_plans(job, request):
    plan = request.getfixturevalue(job)
    every = (1 << plan.n_bits) - 1
    rng = np.random.default_rng(7)
    masks = [0, every, FULL_WORD] + [1 << b for b in range(plan.n_bits)]
    masks += [int(rng.integers(0, 1 << 62)) & every for _ in range(200)]
    masks += [(1 << int(a)) | (1 << int(b)) for a, b in rng.integers(0, plan.n_bits, (200, 2))]
    check_batch(plan, masks, parallel=False)
    check_batch(plan, masks, parallel=True)


@pytest.mark.parametrize("job", ["reference", "ecommerce"])
def test_decider_on_every_field_of_example_plans(job, request):
    plan = request.getfixturevalue(job)
    decider = Decider(plan)
    for source, fields in plan.namespaces.items():
        for name in fields:
            check_decision(plan, decider.decide(source, (name,)), source, (name,), "update")
        check_decision(plan, decider.decide(source, tuple(fields)), source, tuple(fields), "update")
        for kind in ROW_KINDS:
            check_decision(plan, decider.decide(source, (), kind), source, (), kind)


DESIGN_CASES = [                       # DESIGN.md "Worked example": (source, field) -> runs
    ("items", "a", False, {"UDTF1.P1", "UDTF2.P2"}),
    ("items", "b", False, {"UDTF1.P1", "J1", "UDTF2.P2"}),
    ("sellers", "c", False, {"J1"}),   # P2 skipped (and P1, which reads only a, b)
    ("items", "f", True, set()),       # not a field of the plan: dropped at the source
]


@pytest.mark.parametrize("source, field, dropped, runs", DESIGN_CASES)
def test_design_reference_decisions(reference, source, field, dropped, runs):
    names = [u.name for u in reference.units]
    decision = Decider(reference).decide(source, (field,))
    assert decision.drop == dropped
    assert {names[i] for i in decision.run} == runs
    assert {names[i] for i in decision.skip} == set(names) - runs
    batch = decide_batch(PlanArrays.from_plan(reference),
                         mask_matrix(reference, [(source, (field,), "update")]))
    assert bool(batch.drop[0]) == dropped
    assert {names[i] for i in np.flatnonzero(batch.run[0])} == runs


def test_unknown_field_sets_the_wildcard(ecommerce):
    decider = Decider(ecommerce)
    price = ecommerce.namespaces["items"]["price"]
    assert decider.mask("items", ("no_such_field",)) == 1 << ecommerce.wildcard_bit
    assert decider.mask("items", ("price", "no_such_field")) == (1 << price) | 1
    assert decider.mask("items", ("price",), "insert") == (1 << ecommerce.n_bits) - 1
    assert decider.mask("items", None) == (1 << ecommerce.n_bits) - 1
    # ItemCore.CollectExtProps reads every items field, the unknown ones too
    wild = decider.decide("items", ("no_such_field",))
    assert "ItemCore.CollectExtProps" in [ecommerce.units[i].name for i in wild.run]


def test_order_and_duplicates_share_one_decision(ecommerce):
    decider = Decider(ecommerce)
    first = decider.decide("items", ("price", "inventory"))
    assert decider.decide("items", ("inventory", "price")) is first
    assert decider.decide("items", ("price", "inventory", "price")) is first
    assert decider.decide("items", frozenset({"price", "inventory"})) is first
    assert decider.decide("items", {"price", "inventory"}) is first
    assert decider.memo_sizes() == (4, 1)
    assert decider.decide("items", ("price", "inventory")) is first
    assert decider.decide_mask(first.mask) is first


def test_mask_matrix_layout(ecommerce, reference):
    for plan in (ecommerce, reference):
        decider = Decider(plan)
        changes = [(s, tuple(f)[:2], "update") for s, f in plan.namespaces.items()]
        changes += [(s, None, "update") for s in plan.namespaces] + [("items", ("x",), "delete")]
        matrix = mask_matrix(decider, changes)
        assert matrix.dtype == np.uint64 and matrix.flags.c_contiguous and matrix.flags.writeable
        expected = words([decider.mask(*c) for c in changes], plan.n_words)
        assert np.array_equal(matrix, expected)
    assert mask_matrix(reference, []).shape == (0, 1)


def test_plan_arrays(ecommerce):
    arrays = PlanArrays.from_plan(ecommerce)
    n_units, n_sink, n_words = len(ecommerce.units), len(ecommerce.sink), ecommerce.n_words
    assert arrays.unit_deps.shape == (n_units, n_words) and arrays.unit_deps.dtype == np.uint64
    assert arrays.sink_deps.shape == (n_sink, n_words)
    assert arrays.relevant.shape == arrays.all_mask.shape == (n_words,)
    assert int(arrays.all_mask[0]) == (1 << ecommerce.n_bits) - 1
    for array in (arrays.unit_deps, arrays.sink_deps, arrays.relevant, arrays.all_mask):
        assert array.flags.c_contiguous and not array.flags.writeable


def test_dead_units_have_zero_rows():
    plan = Plan(job="j", compiler_version="0", n_bits=130, wildcard_bit=0,
                namespaces={"s": {f"f{b}": b for b in range(1, 130)}},
                units=tuple(PlanUnit(index=i, name=f"u{i}", kind="processor", step="s",
                                     class_ref=None, reads=(), writes=(), reads_all=False,
                                     writes_all=False, prunable=True, dead=i == 1,
                                     dep=to_bits((1 << 130) - 1, 130), supply=())
                            for i in range(3)),
                sink_name="k", sink_primary_key=(), sink=(("o", to_bits(2, 130)),), sink_supply=((),),
                relevant=to_bits((1 << 130) - 1, 130), fingerprints={}, graph_nodes=(),
                graph_edges=())
    arrays = PlanArrays.from_plan(plan)
    assert arrays.unit_deps.shape == (3, words_for(130))
    assert not arrays.unit_deps[1].any() and arrays.unit_deps[0].all()
    batch = decide_batch(arrays, words([(1 << 129)], 3))
    assert batch.run.tolist() == [[1, 0, 1]] and batch.outputs.tolist() == [[0]]
    assert Decider(plan).decide("s", ("f129",)).run == (0, 2)


# ---------------------------------------------------------------------- bad input
def test_batch_validation(ecommerce):
    arrays = PlanArrays.from_plan(ecommerce)
    good = np.zeros((4, 1), dtype=np.uint64)
    with pytest.raises(TypeError, match="uint64"):
        decide_batch(arrays, good.astype(np.int64))
    with pytest.raises(TypeError, match="numpy array"):
        decide_batch(arrays, [[0]])
    with pytest.raises(ValueError, match=r"shape \(n_messages, 1\)"):
        decide_batch(arrays, np.zeros((4, 2), dtype=np.uint64))
    with pytest.raises(ValueError, match=r"shape \(n_messages, 1\)"):
        decide_batch(arrays, np.zeros(4, dtype=np.uint64))
    with pytest.raises(ValueError, match="C-contiguous"):
        decide_batch(arrays, np.zeros((8, 2), dtype=np.uint64)[:, :1])
    out = decide_batch(arrays, good)
    assert decide_batch(arrays, good, out=out) is out
    with pytest.raises(ValueError, match=r"out\.run"):
        decide_batch(arrays, np.zeros((5, 1), dtype=np.uint64), out=out)
    bad = BatchDecision(run=out.run, drop=out.drop.astype(np.int64), outputs=out.outputs)
    with pytest.raises(ValueError, match=r"out\.drop"):
        decide_batch(arrays, good, out=bad)


def test_empty_batch_and_empty_plan(reference):
    arrays = PlanArrays.from_plan(reference)
    batch = decide_batch(arrays, np.zeros((0, 1), dtype=np.uint64))
    assert batch.run.shape == (0, 3) and batch.drop.shape == (0,) and batch.outputs.shape == (0, 6)


def test_decider_bad_input(reference):
    decider = Decider(reference)
    with pytest.raises(UnknownSourceError, match="'orders' is not in plan 'reference'.*items") as error:
        decider.decide("orders", ("a",))
    assert isinstance(error.value, KeyError)
    with pytest.raises(KeyError):
        decider.mask("orders", None, "insert")
    with pytest.raises(ValueError, match="unknown message kind 'upsert'"):
        decider.decide("items", ("a",), "upsert")
    with pytest.raises(TypeError, match=r"not the string 'a'; write \('a',\)"):
        decider.decide("items", "a")
    with pytest.raises(ValueError, match="outside the plan"):
        decider.decide_mask(1 << reference.n_bits)
    with pytest.raises(ValueError, match="at least 1"):
        Decider(reference, memo_keys=0)
    assert decider.memo_sizes() == (0, 0)                 # no failure was remembered


# ---------------------------------------------------------------------- where numba may not cache
def test_the_engine_and_the_cli_do_not_import_numba() -> None:
    code = ("import sys, pruner.cli, pruner.runtime, pruner.runtime.replay, pruner.runtime.keyed, pruner.follow\n"
            "assert 'numba' not in sys.modules, 'numba imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_kernel_runs_without_a_cache_directory() -> None:
    """No writable cache location (a read-only install, a HOME that cannot be written): numba
    finds no cache locator; the kernel is compiled without a cache, and decides the same."""
    code = ("from numba.core import caching\n"
            "caching.CacheImpl._locator_classes = []\n"
            "from pruner.runtime.kernels import _decide_batch\n"
            "assert type(_decide_batch._cache).__name__ == 'NullCache', _decide_batch._cache\n"
            "from pruner.planfile import read_plan\n"
            "from pruner.runtime.kernels import PlanArrays, decide_batch\n"
            "import numpy as np\n"
            "plan = read_plan('compiled_plans/reference.plan')\n"
            "masks = np.array([[1 << plan.namespaces['items']['a']]], dtype=np.uint64)\n"
            "batch = decide_batch(PlanArrays.from_plan(plan), masks)\n"
            "print(batch.run.tolist())\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "[[1, 0, 1]]"
