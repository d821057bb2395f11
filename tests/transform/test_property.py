"""Property tests of the field analyzer: soundness, exactness and robustness.

1. Construction: random plugin modules (``generators.modules``) with reads/writes known
   by construction: the analyzer is sound on all of them, exact when no opaque pattern
   was used, and answers reads_all / writes_all when one was.
2. Execution oracle: the generated code is run (in the test; the analyzer itself never
   imports plugin code) with a recording row and ``out``; every key touched at run time
   must be in the static facts unless the analyzer said reads_all / writes_all.
3. Robustness: arbitrary text, mutated modules and pathological nesting never make
   ``analyze_source`` raise.
"""
from __future__ import annotations

import sys
import textwrap
import types
from collections.abc import Mapping, MutableMapping
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pruner.transform import ModuleAnalysis, ProcessorFacts, analyze_source
from tests.transform.generators import (
    EXTRA_FIELDS,
    FIELDS,
    ROW_VALUES,
    UNKNOWN_MODULE,
    GeneratedModule,
    ProcessorSpec,
    Truth,
    modules,
)

ALL = "<ALL>"

PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ORACLE = settings(max_examples=120, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ROBUST = settings(max_examples=200, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def analyze(source: str) -> ModuleAnalysis:
    return analyze_source(source, "gen.py", "gen")


def facts_by_class(analysis: ModuleAnalysis) -> dict[str, ProcessorFacts]:
    return {p.class_name: p for p in analysis.processors}


def describe(source: str, facts: ProcessorFacts, spec: ProcessorSpec) -> str:
    return (f"\n--- source ---\n{source}--- {spec.name} ---\n"
            f"truth:  reads={sorted(spec.truth.reads)} writes={sorted(spec.truth.writes)} "
            f"opaque_reads={spec.truth.opaque_reads} opaque_writes={spec.truth.opaque_writes}\n"
            f"static: reads={sorted(facts.reads)} writes={sorted(facts.writes)} "
            f"reads_all={facts.reads_all} writes_all={facts.writes_all}\n"
            f"diagnostics: {[d.code for d in facts.diagnostics]}")


def check_against_truth(generated: GeneratedModule) -> None:
    analysis = analyze(generated.source)
    assert not analysis.diagnostics, analysis.diagnostics
    found = facts_by_class(analysis)
    assert sorted(found) == sorted(generated.names), generated.source
    for spec in generated.processors:
        facts = found[spec.name]
        truth = spec.truth
        why = describe(generated.source, facts, spec)
        # (a) sound
        assert facts.reads_all or truth.reads <= facts.reads, why
        assert facts.writes_all or truth.writes <= facts.writes, why
        # (c) an opaque pattern forces the "all" answer
        if truth.opaque_reads:
            assert facts.reads_all, why
        if truth.opaque_writes:
            assert facts.writes_all, why
        # (b) exact on the supported subset (reads and writes independently)
        if not truth.opaque_reads:
            assert not facts.reads_all and facts.reads == truth.reads, why
        if not truth.opaque_writes:
            assert not facts.writes_all and facts.writes == truth.writes, why


# ---------------------------------------------------------------------------- 1. construction
@PROPERTY
@given(modules())
def test_generated_modules_sound_and_exact(generated: GeneratedModule) -> None:
    check_against_truth(generated)


# ---------------------------------------------------------------------------- 2. execution oracle
class RecordingRow(Mapping):
    """A read-only row recording each key looked up; "ALL" when the whole row is touched."""

    def __init__(self, data: dict) -> None:
        self._data = dict(data)
        self.reads: set = set()

    def __getitem__(self, key):
        self.reads.add(key)
        return self._data[key]

    def get(self, key, default=None):
        self.reads.add(key)
        return self._data.get(key, default)

    def __contains__(self, key):
        self.reads.add(key)
        return key in self._data

    def __iter__(self):
        self.reads.add(ALL)
        return iter(self._data)

    def __len__(self):
        self.reads.add(ALL)
        return len(self._data)

    def keys(self):
        self.reads.add(ALL)
        return self._data.keys()

    def items(self):
        self.reads.add(ALL)
        return self._data.items()

    def values(self):
        self.reads.add(ALL)
        return self._data.values()

    def __eq__(self, other):
        self.reads.add(ALL)
        return self._data == other

    __hash__ = None


class RecordingOut(dict):
    """`out`: a dict recording every key written."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: set = set()

    def __setitem__(self, key, value):
        self.writes.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self.writes.add(key)
        super().__delitem__(key)

    def update(self, *args, **kwargs):
        new = dict(*args, **kwargs)
        self.writes.update(new)
        super().update(new)

    def setdefault(self, key, default=None):
        self.writes.add(key)
        return super().setdefault(key, default)

    def pop(self, key, *default):
        self.writes.add(key)
        return super().pop(key, *default)

    def popitem(self):
        self.writes.add(ALL)
        return super().popitem()

    def clear(self):
        self.writes.add(ALL)
        super().clear()

    def __ior__(self, other):
        self.update(other)
        return self


def _unknown_fn(value):
    """Stand-in for code the analyzer cannot see: it really touches what it is given."""
    if isinstance(value, MutableMapping):
        value["zz_unknown"] = 1
    elif isinstance(value, Mapping):
        for _ in value:
            pass
    return {}


def _unknown_module() -> types.ModuleType:
    module = types.ModuleType(UNKNOWN_MODULE)
    module.unknown_fn = _unknown_fn
    return module


def run_module(source: str) -> dict:
    namespace: dict = {"__name__": "generated_plugin"}
    with mock.patch.dict(sys.modules, {UNKNOWN_MODULE: _unknown_module()}):
        exec(compile(source, "gen.py", "exec"), namespace)
    return namespace


ROW_FIELDS = FIELDS + EXTRA_FIELDS
row_values = st.fixed_dictionaries({f: st.sampled_from(ROW_VALUES) for f in ROW_FIELDS})
# Rows missing some fields: `row[k]` may raise KeyError, and what ran before still counts.
partial_rows = st.dictionaries(st.sampled_from(ROW_FIELDS), st.sampled_from(ROW_VALUES))


def check_oracle(generated: GeneratedModule, rows: list[dict], partial: list[dict]) -> None:
    analysis = analyze(generated.source)
    found = facts_by_class(analysis)
    namespace = run_module(generated.source)
    runs = [({f: 1 for f in ROW_FIELDS}, False), ({f: 0 for f in ROW_FIELDS}, False),
            ({f: "s" for f in ROW_FIELDS}, False), ({f: None for f in ROW_FIELDS}, False)]
    runs += [(r, False) for r in rows] + [(r, True) for r in partial]
    for spec in generated.processors:
        facts = found[spec.name]
        processor = namespace[spec.name]()
        for data, may_fail in runs:
            row, out = RecordingRow(data), RecordingOut()
            try:
                processor.process(row, out)
            except KeyError:
                if not may_fail:
                    raise
            why = (describe(generated.source, facts, spec)
                   + f"\nrow={data}\nruntime reads={row.reads} writes={out.writes}")
            if not facts.reads_all:
                assert ALL not in row.reads and row.reads <= facts.reads, why
            if not facts.writes_all:
                assert ALL not in out.writes and out.writes <= facts.writes, why
            # Sanity of the generator's own bookkeeping (not of the analyzer).
            if not spec.truth.opaque_reads:
                assert row.reads <= spec.truth.reads, "generator bug" + why
            if not spec.truth.opaque_writes:
                assert out.writes <= spec.truth.writes, "generator bug" + why


@ORACLE
@given(modules(), st.lists(row_values, max_size=3), st.lists(partial_rows, max_size=2))
def test_execution_oracle(generated: GeneratedModule, rows: list[dict], partial: list[dict]) -> None:
    check_oracle(generated, rows, partial)


# ---------------------------------------------------------------------------- hand-written cases
HEADER = f"from plugin_sdk import Processor\nfrom {UNKNOWN_MODULE} import unknown_fn\n\n"

# (body of a module after HEADER, class, truth)
REGRESSIONS: list[tuple[str, str, Truth]] = [
    ("""
K = "price"
T = ("a", K)
L = ["b", "c"]

def h(r, k, default=None):
    return r.get(k, default)

def copy(r, o, src, dst):
    o[dst] = r.get(src, 0)

class Base(Processor):
    def _m(self, r, keys):
        return [r[k] for k in keys]

class P(Base):
    def process(self, row, out):
        r = row
        x = h(k=K, r=r)
        for f in L:
            copy(row, out, f, dst="o1")
        y = self._m(row, T)
        g = lambda k: row.get(k, 0)
        g("qty")
        def inner():
            out.update({"band": 1})
        inner()
        if "name" in row:
            out[K] = 1
        else:
            out.update({c: 0 for c in T})
""", "P", Truth({"price", "a", "b", "c", "qty", "name"}, {"o1", "band", "price", "a"})),
]


@pytest.mark.parametrize("body,cls,truth", REGRESSIONS)
def test_regressions(body: str, cls: str, truth: Truth) -> None:
    source = HEADER + textwrap.dedent(body)
    generated = GeneratedModule(source, [ProcessorSpec(cls, truth)])
    assert facts_by_class(analyze(source)).keys() >= {cls}
    spec = generated.processors[0]
    facts = facts_by_class(analyze(source))[cls]
    why = describe(source, facts, spec)
    if not truth.opaque_reads:
        assert not facts.reads_all and facts.reads == truth.reads, why
    if not truth.opaque_writes:
        assert not facts.writes_all and facts.writes == truth.writes, why
    check_oracle(GeneratedModule(source, [spec]), [], [])


# ---------------------------------------------------------------------------- 3. robustness
def assert_analyzes(source: str) -> ModuleAnalysis:
    result = analyze_source(source, "gen.py", "gen")
    assert isinstance(result, ModuleAnalysis)
    for diagnostic in result.diagnostics:
        assert diagnostic.code in ("PR001", "PR002"), diagnostic
    return result


@ROBUST
@given(st.text())
@example("")
@example("\x00")
@example("class P(Processor):\n    def process(self, row, out):\n        out[row['a']")
def test_arbitrary_text_never_raises(text: str) -> None:
    assert_analyzes(text)


@st.composite
def mutated_modules(draw) -> str:
    data = draw(modules()).source.encode("utf-8")
    for _ in range(draw(st.integers(1, 4))):
        n = len(data)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 40)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "replace"]))
        if op == "delete":
            data = data[:i] + data[j:]
        elif op == "insert":
            junk = draw(st.binary(max_size=8) | st.sampled_from(
                [b"(", b")", b"[", b":", b"\n", b"    ", b"\t", b"row", b"out[", b"lambda", b"*",
                 b"**row", b"def ", b"class ", b"'", b'"""', b"\\", b"\r", b"yield", b"await "]))
            data = data[:i] + junk + data[i:]
        elif op == "duplicate":
            data = data[:j] + data[i:j] + data[j:]
        else:
            k = draw(st.integers(0, n))
            data = data[:i] + data[k:k + (j - i)] + data[j:]
    return data.decode("utf-8", errors="replace")


@ROBUST
@given(mutated_modules())
def test_mutated_modules_never_raise(source: str) -> None:
    assert_analyzes(source)


def _process(body: str) -> str:
    return (HEADER + "class P(Processor):\n    def process(self, row, out):\n"
            + textwrap.indent(body, " " * 8) + "\n")


def _nested_ifs(depth: int) -> str:
    lines = [" " * (4 * i) + f"if row.get('f{i}'):" for i in range(depth)]
    lines.append(" " * (4 * depth) + "out['x'] = row['deep']")
    return "\n".join(lines)


PATHOLOGICAL = {
    "parens": "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n",
    "lists": "x = " + "[" * 2000 + "]" * 2000 + "\n",
    "unary": "x = " + "-" * 5000 + "1\n",
    "attribute_chain": "x = y" + ".a" * 5000 + "\n",
    "call_chain": "x = " + "f(" * 1500 + ")" * 1500 + "\n",
    "long_binop_module": "x = " + " + ".join(["1"] * 20000) + "\n",
    "unclosed": "x = " + "(" * 5000 + "\n",
    "huge_key_concat": _process("out['a'] = row[" + " + ".join(["'a'"] * 3000) + "]"),
    "huge_read_sum": _process("out['a'] = " + " + ".join(f"row['f{i}']" for i in range(3000))),
    "deep_key_parens": _process("out['a'] = row[" + "(" * 500 + "'a'" + ")" * 500 + "]"),
    "deep_not": _process("x = " + "not " * 3000 + "row"),
    "deep_lambdas": _process("g = " + "lambda: " * 400 + "row['a']\n" + "g" + "()" * 400),
    "deep_ifs": _process(_nested_ifs(95)),
    "very_deep_ifs": _process(_nested_ifs(400)),
    "deep_helper_chain": HEADER + "".join(
        f"def h{i}(r):\n    return h{i - 1}(r)\n" if i else "def h0(r):\n    return r['a']\n"
        for i in range(300)) + "class P(Processor):\n    def process(self, row, out):\n"
        "        out['b'] = h299(row)\n",
    "mutual_recursion": HEADER + "def a(r, n):\n    return b(r, n) if n else r['x']\n"
        "def b(r, n):\n    return a(r, n)\n"
        "class P(Processor):\n    def process(self, row, out):\n        out['y'] = a(row, 3)\n",
    "many_processors": HEADER + "".join(
        f"class P{i}(Processor):\n    def process(self, row, out):\n        out['w{i}'] = row['r{i}']\n"
        for i in range(300)),
    "many_statements": _process("\n".join(f"out['w{i}'] = row.get('r{i}', 0)" for i in range(3000))),
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_sources_never_raise(name: str) -> None:
    result = assert_analyzes(PATHOLOGICAL[name])
    # Where something was analyzed it must still be sound.
    facts = facts_by_class(result)
    if name == "huge_read_sum":
        p = facts["P"]
        assert p.reads_all or {f"f{i}" for i in range(3000)} <= p.reads
    if name == "deep_helper_chain":
        p = facts["P"]
        assert p.reads_all or "a" in p.reads
    if name == "mutual_recursion":
        p = facts["P"]
        assert p.reads_all or "x" in p.reads
    if name in ("deep_ifs", "very_deep_ifs") and "P" in facts:
        p = facts["P"]
        assert p.reads_all or "deep" in p.reads
        assert p.writes_all or "x" in p.writes
    if name == "many_statements":
        p = facts["P"]
        assert p.reads_all or {f"r{i}" for i in range(3000)} <= p.reads
        assert p.writes_all or {f"w{i}" for i in range(3000)} <= p.writes
