"""Generators and replay for the differential oracle (tests/runtime/test_oracle.py).

``jobs()`` draws a random job: a ``job.yaml`` and plugin modules written as *source code*, so
the real analyzer reads them. ``streams(job)`` draws a CDC stream for it (``Change`` objects).
``run_oracle(spec_path, changes)`` runs the stream in every engine mode and checks that
pruning changed nothing.

Generated Processors are deterministic functions of the row, never crash on ``None``, and
produce JSON-ish values (int, str, None, bool, lists). By construction no UDTF has a
dependency cycle between its Processors: inside a UDTF the Processors are generated in an
intended order in which a Processor only reads fields written before it, and a later one
never overwrites a field an earlier one read; a dynamic reader (``row.items()``) is always
last and a dynamic writer (an output key built from data) always first. The declared order
is a random permutation when the compiler's ordering rule keeps it acyclic, else the
intended order.

The generator records each Processor's true reads and writes (``Proc``), so the test also
checks that the analyzer's sets cover them.

Exploration aids (environment): ``ORACLE_NO_COND=1`` leaves out conditional writes;
``ORACLE_SKIP_OPS=parts:pk,parts:keyonly,...`` (table:op, op one of insert, update, delete,
pk, blind, dup, nobefore, keyonly, redeliver, ghost, again, resnap) leaves out kinds of change,
to look past a known bug. Delivery faults: ``redeliver`` sends an earlier message of the table
again (at-least-once delivery); ``again`` sends the table's last message again right away;
``resnap`` re-sends an old row image as a snapshot row (Debezium ``op: r``) after later
changes; ``ghost`` updates, with a before image and a partial list of changed fields, a row
the job never saw; ``nobefore`` is an update without a before image; ``dup`` an update that
changes nothing; ``keyonly`` a delete whose before image is only the key. Keys interleave in
any order.
``save_fixture`` writes a counterexample to tests/runtime/fixtures/oracle/<name>/.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from hypothesis import strategies as st

from pruner.cdc.model import DELETE, INSERT, SNAPSHOT, UPDATE, Change, DeadLetter

# ---------------------------------------------------------------------------- domains
SCALARS = (0, 1, 2, 3, "x", "y", None)          # no bools/floats: 1 == True would hide a change


class _Obj(tuple):
    """An object column value: its (key, value) pairs in order (made a dict per message)."""


# a list column's values (made lists, or dicts, per message): the two objects differ only in
# their keys' order, which a Processor can see (repr, iteration)
LISTS = ((0,), (1,), (0, 1), None, _Obj((("p", 0), ("q", 1))), _Obj((("q", 1), ("p", 0))))
ROW_KEYS = (1, 2, 3, 4, 5, 6)
DIM_KEYS = (0, 1, 2, 3, 4, 5, 6, "x", "y", "v1", "v2")
PART_IDS = (1, 2, 3, 4, 5, 6)
UNKNOWN_FIELDS = ("zz", "zz2")                    # fields no spec declares (schema evolution)
ITEM_FIELDS = ("a", "b", "c", "d", "e")
EXTRA_FIELDS = ("ea", "eb")
DIM_FIELDS = ("g1", "g2", "g3")
PART_FIELDS = ("q1", "q2")

_UID = "OJUID"
WRITE_FORMS = ("set", "set", "const_key", "update", "setdefault", "if", "if", "ifelse", "loop", "pick")
if os.environ.get("ORACLE_NO_COND"):           # exploration aid: leave out conditional writes
    WRITE_FORMS = tuple(f for f in WRITE_FORMS if f != "if")
SKIP_OPS = set(filter(None, os.environ.get("ORACLE_SKIP_OPS", "").split(",")))   # e.g. parts:nobefore

COMMON_SOURCE = '''\
def _num(v):
    if v is None:
        return 6
    if isinstance(v, bool):
        return int(v) + 4
    if isinstance(v, int):
        return v % 7
    if isinstance(v, str):
        return (sum(ord(c) for c in v) + 3) % 7
    if isinstance(v, dict):                 # its keys' order counts, as it may for a Processor
        return (sum((i + 1) * _num(x) for i, x in enumerate(v.values())) + 1) % 7
    if isinstance(v, (list, tuple)):
        return (len(v) + sum(_num(x) for x in v)) % 7
    return 1


def _mix(x, y):
    return (x * 3 + y) % 7


def _s(v):
    return repr(v)[:12]
'''


# ---------------------------------------------------------------------------- the model
@dataclass
class FieldInfo:
    kind: str          # "scalar" | "list" | "any"
    sure: bool         # always a key of the row at this point of the pipeline


@dataclass
class Module:
    name: str
    consts: set[str] = field(default_factory=set)       # F_<f> = "<f>" (read keys), K_<f> (write keys)
    helpers: set[str] = field(default_factory=set)      # _rd_<f>(r) -> r.get("<f>")
    classes: list[str] = field(default_factory=list)    # rendered class sources
    imports: set[str] = field(default_factory=set)      # "from mod import Name"


@dataclass(repr=False)
class Proc:
    name: str
    module: str
    reads: set[str]
    reads_all: bool
    writes: set[str]
    source: str = ""
    writes_all: bool = False

    def __repr__(self) -> str:
        return f"Proc({self.module}.{self.name})"


@dataclass(repr=False)
class Job:
    uid: str
    items: tuple[str, ...]
    extras: tuple[str, ...] | None
    dims: tuple[str, ...] | None
    parts: tuple[str, ...] | None
    domains: dict[tuple[str, str], tuple]
    steps: list[str]                 # YAML lines of the pipeline
    modules: dict[str, str]          # module name -> source
    sink: tuple[str, ...]
    procs: list[Proc]

    def yaml(self) -> str:
        lines = [f"name: {self.uid}", "plugins: [plugins]", "sources:",
                 f"  items: {{primary_key: [id], fields: [{', '.join(self.items)}]}}"]
        if self.extras:
            lines.append(f"  extras: {{primary_key: [id], fields: [{', '.join(self.extras)}]}}")
        if self.parts:
            lines.append(f"  parts: {{primary_key: [pid], fields: [{', '.join(self.parts)}]}}")
        if self.dims:
            lines += ["dimensions:", f"  dims: {{primary_key: [k], fields: [{', '.join(self.dims)}]}}"]
        lines.append("pipeline:")
        lines += self.steps
        lines.append(f"sink: {{name: engine, primary_key: [id], fields: [{', '.join(self.sink)}]}}")
        return "\n".join(lines) + "\n"

    def write(self, folder: Path) -> Path:
        plugins = folder / "plugins"
        plugins.mkdir(parents=True, exist_ok=True)
        for name, source in self.modules.items():
            (plugins / f"{name}.py").write_text(source, encoding="utf-8")
        spec = folder / "job.yaml"
        spec.write_text(self.yaml(), encoding="utf-8")
        return spec

    def __repr__(self) -> str:
        return f"Job({self.uid}: see the notes)"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))

    def describe(self) -> str:
        return "\n".join([self.yaml(), *(f"# --- plugins/{n}.py\n{s}" for n, s in self.modules.items())])


# ---------------------------------------------------------------------------- Processor bodies
class _Body:
    """Builds one Processor body, recording what it truly reads."""

    def __init__(self, draw, avail: dict[str, FieldInfo], module: Module, temp: itertools.count,
                 gone: frozenset[str] = frozenset()) -> None:
        self.draw = draw
        self.avail = avail
        self.gone = gone              # fields a rename took out of the row (not written since)
        self.module = module
        self.reads: set[str] = set()
        self.prelude: list[str] = []
        self.temp = temp
        self.lambda_ = False

    def read(self, name: str | None = None) -> str:
        draw = self.draw
        if name is None:
            name = draw(st.sampled_from(sorted(self.avail)))
        self.reads.add(name)
        sure = self.avail[name].sure
        style = draw(st.sampled_from(("sub", "get", "get", "getd", "const", "helper", "lambda")))
        if style == "sub":
            return f'row["{name}"]' if sure else f'row.get("{name}")'
        if style == "getd":
            return f'row.get("{name}", 0)'
        if style == "const":
            self.module.consts.add(name)
            return f"row[F_{name}]" if sure else f"row.get(F_{name})"
        if style == "helper":
            self.module.helpers.add(name)
            return f"_rd_{name}(row)"
        if style == "lambda":
            if not self.lambda_:
                self.prelude.append("_g = lambda k: row.get(k)")
                self.lambda_ = True
            return f'_g("{name}")'
        return f'row.get("{name}")'

    def cond(self, depth: int = 0) -> str:
        form = self.draw(st.sampled_from(("none", "gt", "in", "eq", "unknown_in") + (("gone",) if self.gone else ())))
        if form == "none":
            return f"{self.read()} is None"
        if form == "gt":
            return f"_num({self.read()}) > {self.draw(st.integers(0, 5))}"
        if form == "in":
            name = self.draw(st.sampled_from(sorted(self.avail)))
            self.reads.add(name)
            return f'"{name}" in row'
        if form == "unknown_in":       # a field no source or step provides: the wildcard only
            self.reads.add("zz_nope")
            return '"zz_nope" not in row'
        if form == "gone":             # a field a rename took out of the row: is it there?
            name = self.draw(st.sampled_from(sorted(self.gone)))
            self.reads.add(name)
            if self.draw(st.booleans()):
                return f'"{name}" in row'
            return f'row.get("{name}", 3) == 3'
        return f"{self.read()} == {self.draw(st.sampled_from(SCALARS))!r}"

    def num(self, depth: int = 0) -> str:
        forms = ["read", "read", "const"]
        if depth < 2:
            forms += ["add", "mix", "ifelse", "loop", "len"]
        form = self.draw(st.sampled_from(forms))
        if form == "read":
            return f"_num({self.read()})"
        if form == "const":
            return str(self.draw(st.integers(0, 6)))
        if form == "add":
            return f"(_num({self.read()}) + {self.num(depth + 1)}) % 7"
        if form == "mix":
            return f"_mix({self.num(depth + 1)}, {self.num(depth + 1)})"
        if form == "ifelse":
            return f"({self.num(depth + 1)} if {self.cond(depth + 1)} else {self.num(depth + 1)})"
        if form == "len":
            return f"len(str({self.read()})) % 7"
        names = self.draw(st.lists(st.sampled_from(sorted(self.avail)), min_size=1, max_size=3, unique=True))
        self.reads.update(names)
        t = f"_t{next(self.temp)}"
        keys = ", ".join(f'"{n}"' for n in names) + ("," if len(names) == 1 else "")
        self.prelude += [f"{t} = 0", f"for _k in ({keys}):", f"    {t} += _num(row.get(_k))"]
        return f"{t} % 7"

    def value(self) -> tuple[str, str]:
        form = self.draw(st.sampled_from(("int", "int", "int", "str", "none", "copy", "list", "repr")))
        if form == "int":
            return self.num(), "scalar"
        if form == "str":
            return f'"v" + str({self.num()})', "scalar"
        if form == "none":
            return f"(None if {self.cond()} else {self.num()})", "scalar"
        if form == "copy":
            name = self.draw(st.sampled_from(sorted(self.avail)))
            return self.read(name), self.avail[name].kind if self.avail[name].sure else "any"
        if form == "list":
            return f"[{self.num()}, {self.num()}]", "list"
        return f"_s({self.read()})", "scalar"


@st.composite
def _processor(draw, uid: str, index: int, avail: dict[str, FieldInfo], forbidden: set[str],
               module: Module, fresh: itertools.count, dynamic: str | None,
               gone: frozenset[str] = frozenset()) -> tuple[Proc, dict[str, FieldInfo]]:
    """One Processor class; returns its facts and the fields it adds or changes."""
    temp = itertools.count()
    gone = frozenset(f for f in gone if f not in avail)
    body = _Body(draw, avail, module, temp, gone)
    name = f"P{index}"
    writes: set[str] = set()
    changes: dict[str, FieldInfo] = {}
    lines: list[str] = []

    def target() -> str:
        again = sorted(gone - forbidden - body.reads)
        if again and draw(st.integers(0, 5)) == 0:
            return draw(st.sampled_from(again))            # a field renamed away, written again
        options = sorted(f for f in avail if f != "id" and f not in forbidden)
        if options and draw(st.integers(0, 2)) == 0:
            return draw(st.sampled_from(options))          # overwrite: a new SSA version
        return f"o{next(fresh)}"

    def record(out: str, kind: str, sure: bool) -> None:
        writes.add(out)
        old = changes.get(out) or avail.get(out)
        if not sure and old is not None:      # a conditional overwrite: either value may be there
            kind = kind if kind == old.kind else "any"
            sure = old.sure
        changes[out] = FieldInfo(kind, sure)

    decorators: list[str] = []
    init: list[str] = []
    writes_all = False
    if dynamic == "write":
        # an output key built from data: the analyzer must answer "writes every field"
        lines.append(f'out["w" + str({body.num()} % 3)] = {body.value()[0]}')
        for out in ("w0", "w1", "w2"):
            record(out, "any", False)
        reads_all = False
        writes_all = True
    elif dynamic == "read":
        form = draw(st.sampled_from(("items", "iter", "dict")))
        out = target()
        if form == "items":
            lines += ["_acc = 0", "_n = 0", "for _k, _v in row.items():", "    _acc += _num(_v)", "    _n += 1"]
        elif form == "iter":
            lines += ["_acc = 0", "_n = 0", "for _k in row:", "    _acc += _num(row[_k])", "    _n += 1"]
        else:
            lines += ["_copy = dict(row)", "_acc = sum(_num(v) for v in _copy.values())", "_n = len(_copy)"]
        lines.append(f'out["{out}"] = (_acc + _n) % 7')
        record(out, "scalar", True)
        reads_all = True
    elif draw(st.integers(0, 11)) == 0:
        # process() inherited from a base class; the subclass overrides the keys it uses
        base_read, read = draw(st.lists(st.sampled_from(sorted(avail)), min_size=2, max_size=2, unique=True)
                               if len(avail) > 1 else st.just([next(iter(avail))] * 2))
        out = target()
        body.reads.add(read)
        base = ["", f"class {name}Base(Processor):", f'    KEY = "{base_read}"', '    OUT = "o_unused"', "",
                "    def process(self, row, out):",
                "        out[self.OUT] = _mix(_num(row.get(self.KEY)), 1)", "", ""]
        record(out, "scalar", True)
        source = "\n".join([*base, f"class {name}({name}Base):", f'    KEY = "{read}"', f'    OUT = "{out}"'])
        return Proc(name, module.name, set(body.reads), False, writes, source), changes
    elif draw(st.integers(0, 9)) == 0:
        # changes a row value in place (PR209 shared-mutation): never pruned, and run on a private
        # copy of the row, so no other unit, stored output, table or later message sees it
        lists = sorted(f for f, info in avail.items() if info.kind != "scalar")
        read = draw(st.sampled_from(lists or sorted(avail)))
        body.reads.add(read)
        out = target()
        lines += [f'_v = row.get("{read}")', "if isinstance(_v, list):", "    _v.append(1)",
                  "elif isinstance(_v, dict):", '    _v["zz"] = 1', f'out["{out}"] = _num(_v)']
        record(out, "scalar", True)
        reads_all = False
    elif draw(st.integers(0, 19)) == 0:
        # @pure with a memo on self: deterministic, so skipping it is fine
        names = draw(st.lists(st.sampled_from(sorted(avail)), min_size=1, max_size=2, unique=True))
        body.reads.update(names)
        out = target()
        decorators.append("@pure")
        init = ["def __init__(self):", "    self._memo = {}", ""]
        key = ", ".join(f'repr(row.get("{n}"))' for n in names) + ","
        value = " + ".join(f'_num(row.get("{n}"))' for n in names)
        lines += [f"_key = ({key})", "if _key not in self._memo:",
                  f"    self._memo[_key] = ({value}) % 7", f'out["{out}"] = self._memo[_key]']
        record(out, "scalar", True)
        reads_all = False
    else:
        reads_all = False
        for _ in range(draw(st.integers(1, 3))):
            form = draw(st.sampled_from(WRITE_FORMS))
            if form == "loop":
                names = draw(st.lists(st.sampled_from(sorted(avail)), min_size=1, max_size=2, unique=True))
                outs = [f"{n}_n" for n in names]
                if any(o in forbidden or o == "id" for o in outs):
                    continue
                body.reads.update(names)
                keys = ", ".join(f'"{n}"' for n in names) + ("," if len(names) == 1 else "")
                lines += [f"for _f in ({keys}):", '    out[_f + "_n"] = _num(row.get(_f))']
                for o in outs:
                    record(o, "scalar", True)
                continue
            if form == "pick":               # one of two constant keys, chosen by data
                outs = [target(), target()]
                value, kind = body.value()
                lines += [f'_pick = ("{outs[0]}", "{outs[1]}")[{body.num()} % 2]', f"out[_pick] = {value}"]
                for out in outs:
                    record(out, kind, outs[0] == outs[1])
                continue
            out = target()
            value, kind = body.value()
            if form == "set":
                lines.append(f'out["{out}"] = {value}')
            elif form == "const_key":
                module.consts.add(f"K:{out}")
                lines.append(f"out[K_{out}] = {value}")
            elif form == "update":
                lines.append(f'out.update({{"{out}": {value}}})')
            elif form == "setdefault":
                lines.append(f'out.setdefault("{out}", {value})')
            elif form == "if":
                lines += [f"if {body.cond()}:", f'    out["{out}"] = {value}']
                record(out, kind, False)
                continue
            else:
                other, other_kind = body.value()
                lines += [f"if {body.cond()}:", f'    out["{out}"] = {value}', "else:",
                          f'    out["{out}"] = {other}']
                kind = kind if kind == other_kind else "any"
            record(out, kind, True)
        if not writes:
            out = target()
            value, kind = body.value()
            lines.append(f'out["{out}"] = {value}')
            record(out, kind, True)
        if draw(st.integers(0, 7)) == 0:
            decorators.append("@always_run")
        elif body.reads and draw(st.integers(0, 7)) == 0:
            body.reads |= set(draw(st.lists(st.sampled_from(sorted(avail)), max_size=1)))   # over-declared
            declared = sorted(body.reads)
            decorators.append("@reads(" + ", ".join(f'"{r}"' for r in declared) + ")")
            decorators.append("@writes(" + ", ".join(f'"{w}"' for w in sorted(writes)) + ")")
    code = [*body.prelude, *lines]
    if draw(st.integers(0, 5)) == 0:          # the work done in a method: self._work(row, out)
        method = ["def process(self, row, out):", "    self._work(row, out)", "",
                  "def _work(self, row, out):", *(f"    {line}" for line in code)]
    else:
        method = ["def process(self, row, out):", *(f"    {line}" for line in code)]
    source = "\n".join([*decorators, f"class {name}(Processor):",
                        *(f"    {line}" if line else "" for line in [*init, *method])])
    proc = Proc(name, module.name, set(body.reads), reads_all, writes, source, writes_all)
    return proc, changes


def _compiler_order_is_acyclic(procs: list[Proc]) -> bool:
    """The compiler's rule (weld._order) over the true facts."""
    def feeds(w: Proc, r: Proc) -> bool:
        if w.writes_all:
            return r.reads_all or bool(r.reads)
        return bool(w.writes) if r.reads_all else bool(w.writes & r.reads)

    def shares(a: Proc, b: Proc) -> bool:
        return bool(a.writes & b.writes) or ((a.writes_all or b.writes_all) and bool(a.writes and b.writes))

    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(procs)))
    for i, a in enumerate(procs):
        for j, b in enumerate(procs):
            if i == j:
                continue
            if feeds(a, b) or (i < j and shares(a, b) and not feeds(b, a)):
                graph.add_edge(i, j)
    return nx.is_directed_acyclic_graph(graph)


def _render_module(module: Module, common: str) -> str:
    lines = ["from plugin_sdk import UDTF, Processor, always_run, pure, reads, writes",
             f"from {common} import _mix, _num, _s", *sorted(module.imports), ""]
    for c in sorted(module.consts):
        if c.startswith("K:"):
            lines.append(f'K_{c[2:]} = "{c[2:]}"')
        else:
            lines.append(f'F_{c} = "{c}"')
    lines.append("")
    for h in sorted(module.helpers):
        lines += ["", f"def _rd_{h}(r):", f'    return r.get("{h}")', ""]
    for cls in module.classes:
        lines += ["", cls, ""]
    return "\n".join(lines).rstrip() + "\n"


@st.composite
def jobs(draw) -> Job:
    uid = _UID          # replaced by a digest of the job's text at the end
    common = f"{uid}_common"
    lib = Module(f"{uid}_lib")
    items = ("id", *draw(st.lists(st.sampled_from(ITEM_FIELDS), min_size=2, max_size=5, unique=True)))
    extras = (("id", *draw(st.lists(st.sampled_from(EXTRA_FIELDS), min_size=1, max_size=2, unique=True)))
              if draw(st.booleans()) else None)
    domains: dict[tuple[str, str], tuple] = {}
    domain = st.lists(st.sampled_from(SCALARS), min_size=2, max_size=4, unique=True).map(tuple)
    listed: set[str] = set()
    for f in items[1:]:
        if draw(st.integers(0, 4)) == 0:        # a list-valued column (tags): a value a unit may change in place
            domains[("items", f)] = LISTS
            listed.add(f)
        else:
            domains[("items", f)] = draw(domain)
    for f in (extras or ())[1:]:
        domains[("extras", f)] = draw(domain)
    avail: dict[str, FieldInfo] = {f: FieldInfo("any" if f in listed else "scalar", True)
                                   for f in (*items, *(extras or ())[1:])}

    kinds = ["udtf"] * draw(st.integers(1, 3))
    for optional in ("dimjoin", "udaf", "rename", "filter"):
        if draw(st.booleans()):
            kinds.append(optional)
            if optional in ("dimjoin", "udaf") and draw(st.integers(0, 4)) == 0:
                kinds.append(optional)          # a second join on `dims` / aggregate of `parts`
    kinds = draw(st.permutations(kinds))

    steps: list[str] = []
    modules: dict[str, Module] = {}
    procs: list[Proc] = []
    fresh = itertools.count()
    pindex = itertools.count()
    dims = parts = None
    gone: set[str] = set()           # fields a rename took out of the row
    for n, kind in enumerate(kinds):
        if kind == "dimjoin":
            if dims is None:
                dims = ("k", *draw(st.lists(st.sampled_from(DIM_FIELDS), min_size=1, max_size=3, unique=True)))
                for f in dims[1:]:
                    domains[("dims", f)] = draw(domain)
            keys = sorted(f for f, info in avail.items() if info.kind == "scalar")
            on = draw(st.sampled_from(keys))
            if gone - set(avail) and draw(st.integers(0, 5)) == 0:
                on = draw(st.sampled_from(sorted(gone - set(avail))))     # renamed away: never found
            fetch = draw(st.lists(st.sampled_from(dims[1:]), min_size=1, max_size=len(dims) - 1, unique=True))
            steps += [f"  - dimjoin: J{n}", "    table: dims", f"    on: {{{on}: k}}",
                      f"    fields: [{', '.join(fetch)}]"]
            for f in fetch:
                avail[f] = FieldInfo("scalar", True)
        elif kind == "udaf":
            output = "plist2" if parts else "plist"
            if parts is None:
                parts = ("pid", "item_id", *draw(st.lists(st.sampled_from(PART_FIELDS), min_size=1, max_size=2,
                                                          unique=True)))
                for f in parts[2:]:
                    domains[("parts", f)] = draw(domain)
            agg = draw(st.lists(st.sampled_from(parts[1:]), min_size=1, max_size=len(parts) - 1, unique=True))
            steps += [f"  - udaf: A{n}", "    source: parts", "    key: item_id",
                      f"    fields: [{', '.join(agg)}]", f"    output: {output}"]
            avail[output] = FieldInfo("list", True)
        elif kind == "rename":
            old = draw(st.sampled_from(sorted(f for f in avail if f != "id")))
            new = f"r_{old}"
            steps += [f"  - rename: R{n}", f"    fields: {{{old}: {new}}}"]
            avail[new] = avail.pop(old)
            gone.add(old)
        elif kind == "filter":
            module = modules.setdefault(f"{uid}_filt", Module(f"{uid}_filt"))
            body = _Body(draw, avail, module, itertools.count(), frozenset(gone - set(avail)))
            cond = body.cond()
            source = "\n".join(["class Keep(Processor):", "    def process(self, row, out):",
                                *(f"        {line}" for line in body.prelude),
                                f'        out["keep"] = {cond}'])
            module.classes.append(source)
            procs.append(Proc("Keep", module.name, body.reads, False, {"keep"}, source))
            steps += [f"  - filter: F{n}", f"    class: {module.name}.Keep"]
            avail["keep"] = FieldInfo("scalar", True)
        else:
            module = modules.setdefault(f"{uid}_u{n}", Module(f"{uid}_u{n}"))
            count = draw(st.integers(1, 4))
            dynamic = draw(st.sampled_from((None,) * 5 + ("read", "write")))
            local = dict(avail)
            forbidden: set[str] = set()
            made: list[Proc] = []
            for rank in range(count):
                home = lib if draw(st.integers(0, 3)) == 0 else module
                proc, changes = draw(_processor(uid, next(pindex), local, forbidden, home, fresh,
                                                "read" if dynamic == "read" and rank == count - 1 else
                                                "write" if dynamic == "write" and rank == 0 else None,
                                                frozenset(gone)))
                home.classes.append(proc.source)
                if home is lib:
                    module.imports.add(f"from {lib.name} import {proc.name}")
                forbidden |= proc.reads
                local.update(changes)
                made.append(proc)
            avail = local
            declared = draw(st.permutations(made))
            if not _compiler_order_is_acyclic(list(declared)):
                declared = made
            procs += made
            module.classes.append("\n".join([f"class U{n}(UDTF):",
                                             f"    processors = [{', '.join(p.name for p in declared)}]"]))
            steps += [f"  - udtf: U{n}", f"    class: {module.name}.U{n}"]
    sink_pool = sorted(f for f in avail if f != "id")
    sink = ("id", *draw(st.lists(st.sampled_from(sink_pool), min_size=1, max_size=min(6, len(sink_pool)),
                                 unique=True)))
    rendered = {common: COMMON_SOURCE}
    if lib.classes:
        rendered[lib.name] = _render_module(lib, common)
    for name, module in modules.items():
        rendered[name] = _render_module(module, common)
    job = Job(uid, items, extras, dims, parts, domains, steps, rendered, sink, procs)
    # Module names are unique per job content: the engine imports plugins by name via
    # sys.path, and the same name must never stand for other code within one process.
    uid = "oj_" + hashlib.sha256(job.describe().encode()).hexdigest()[:12]
    job.uid = uid
    job.steps = [line.replace(_UID, uid) for line in steps]
    job.modules = {name.replace(_UID, uid): text.replace(_UID, uid) for name, text in rendered.items()}
    for proc in procs:
        proc.module = proc.module.replace(_UID, uid)
        proc.source = proc.source.replace(_UID, uid)
    return job


# ---------------------------------------------------------------------------- CDC streams
def _diff(before: dict, after: dict) -> frozenset[str]:
    return frozenset(f for f in set(before) | set(after) if before.get(f) != after.get(f)
                     or type(before.get(f)) is not type(after.get(f)))


class Stream(list):
    def __repr__(self) -> str:
        return f"Stream({len(self)} changes: see the notes)"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))


@st.composite
def streams(draw, job: Job, max_size: int = 40) -> list[Change]:
    state: dict[str, dict[Any, dict]] = {"items": {}, "extras": {}, "dims": {}, "parts": {}}
    pk = {"items": "id", "extras": "id", "dims": "k", "parts": "pid"}
    row_keys = tuple(draw(st.lists(st.sampled_from(ROW_KEYS), min_size=2, max_size=4, unique=True)))
    keys = {"items": row_keys, "extras": row_keys, "dims": DIM_KEYS, "parts": PART_IDS}
    tables = ["items", "items", "items"]
    if job.extras:
        tables += ["extras", "extras"]
    if job.dims:
        tables += ["dims", "dims"]
    if job.parts:
        tables += ["parts", "parts"]
    fields = {"items": job.items[1:], "extras": (job.extras or ("id",))[1:],
              "dims": (job.dims or ("k",))[1:], "parts": (job.parts or ("pid", "item_id"))[2:]}

    def value(table: str, f: str):
        if f == "item_id":
            return draw(st.sampled_from((*row_keys, 7)))       # 7: an item that never exists
        if f in UNKNOWN_FIELDS:
            return draw(st.integers(0, 2))
        found = draw(st.sampled_from(job.domains[(table, f)]))
        if isinstance(found, _Obj):
            return dict(found)                                 # a fresh object, as a decoder makes
        return list(found) if isinstance(found, tuple) else found      # a fresh list, as a decoder makes

    def image(table: str, key) -> dict:
        row = {pk[table]: key}
        if table == "parts":
            row["item_id"] = value(table, "item_id")
        names = fields[table]
        if table == "extras" and draw(st.integers(0, 3)) == 0:       # a partial row
            names = draw(st.lists(st.sampled_from(names), max_size=len(names), unique=True))
        for f in names:
            row[f] = value(table, f)
        if draw(st.integers(0, 5)) == 0:
            row[draw(st.sampled_from(UNKNOWN_FIELDS))] = value(table, "zz")
        return row

    def modified(table: str, old: dict) -> dict:
        new = dict(old)
        names = list(fields[table]) + list(UNKNOWN_FIELDS) + (["item_id"] if table == "parts" else [])
        for f in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
            if isinstance(old.get(f), dict) and draw(st.booleans()):
                new[f] = dict(reversed(list(old[f].items())))   # the same object, its keys reordered
            else:
                new[f] = value(table, f)
        return new

    changes: list[Change] = []
    for line in range(1, draw(st.integers(1, max_size)) + 1):
        if draw(st.integers(0, 30)) == 0:          # a table the job does not know: ignored
            changes.append(Change(INSERT, "unrelated", None, {"id": 1, "a": 1}, None, line))
            continue
        table = draw(st.sampled_from(tables))
        rows = state[table]
        key_field = pk[table]
        op = draw(st.sampled_from(("insert", "insert", "update", "update", "update", "update",
                                   "delete", "pk", "blind", "dup", "nobefore", "redeliver", "ghost",
                                   "again", "resnap")))
        if f"{table}:{op}" in SKIP_OPS:
            op = "update"
        if op in ("update", "delete", "pk", "dup", "nobefore") and not rows:
            op = "insert" if op != "delete" else "delete_unknown"
        earlier = [c for c in changes if c.table == table] if op in ("redeliver", "again", "resnap") else []
        if op == "resnap":
            earlier = [c for c in earlier if c.after is not None]
        if op in ("redeliver", "again", "resnap") and not earlier:
            op = "insert"
        if op == "again":
            # the table's last message delivered again right away (a consumer restarted before
            # it committed its offset): the commonest at-least-once duplicate
            op, earlier = "redeliver", earlier[-1:]
        if op == "resnap":
            # a snapshot row (Debezium op r) sent again after later changes of the row: an
            # old image that is now an insert of a row the job holds
            old_change = draw(st.sampled_from(earlier))
            changes.append(Change(SNAPSHOT, table, None, old_change.after, None, line))
            rows[old_change.after[key_field]] = old_change.after
            continue
        unseen = [k for k in keys[table] if k not in rows] if op == "ghost" else []
        if op == "ghost" and not unseen:
            op = "update" if rows else "insert"
        if op == "redeliver":
            # an old message of the table delivered again (at-least-once delivery, a replayed
            # topic): its before image and changed fields are not the row the job now holds
            old_change = draw(st.sampled_from(earlier))
            changes.append(Change(old_change.kind, table, old_change.before, old_change.after,
                                  old_change.changed, line))
            if old_change.kind == DELETE:
                rows.pop(old_change.before[key_field], None)
            else:
                if old_change.before is not None and old_change.kind == UPDATE:
                    rows.pop(old_change.before[key_field], None)
                rows[old_change.after[key_field]] = old_change.after
        elif op == "ghost":
            # an update, with a before image, of a row the job never saw (a stream joined
            # mid-way): only some fields are listed as changed
            key = draw(st.sampled_from(unseen))
            before = image(table, key)
            after = modified(table, before)
            changes.append(Change(UPDATE, table, before, after, _diff(before, after), line))
            rows[key] = after
        elif op == "insert":
            key = draw(st.sampled_from(keys[table]))
            after = image(table, key)
            kind = SNAPSHOT if draw(st.integers(0, 5)) == 0 else INSERT
            changes.append(Change(kind, table, None, after, None, line))
            rows[key] = after
        elif op == "delete_unknown":
            key = draw(st.sampled_from(keys[table]))
            before = image(table, key)
            if draw(st.integers(0, 3)) == 0 and f"{table}:keyonly" not in SKIP_OPS:
                before = {key_field: key}
            changes.append(Change(DELETE, table, before, None, None, line))
            rows.pop(key, None)
        elif op == "blind":                 # an update of a key the job may not know: an upsert
            key = draw(st.sampled_from(keys[table]))
            after = image(table, key)
            if key in rows:
                changes.append(Change(UPDATE, table, rows[key], after, _diff(rows[key], after), line))
            else:
                changed = draw(st.none() | st.just(frozenset(after) - {key_field}))
                changes.append(Change(UPDATE, table, None, after, changed, line))
            rows[key] = after
        else:
            key = draw(st.sampled_from(sorted(rows, key=repr)))
            old = rows[key]
            if op == "delete":
                key_only = draw(st.integers(0, 3)) == 0 and f"{table}:keyonly" not in SKIP_OPS
                before = {key_field: key} if key_only else old       # key-only: no REPLICA IDENTITY FULL
                changes.append(Change(DELETE, table, before, None, None, line))
                del rows[key]
            elif op == "dup":
                changes.append(Change(UPDATE, table, old, dict(old), frozenset(), line))
            elif op == "pk":
                new_key = draw(st.sampled_from([k for k in keys[table] if k != key]))
                after = modified(table, old) if draw(st.booleans()) else dict(old)
                after[key_field] = new_key
                changes.append(Change(UPDATE, table, old, after, _diff(old, after), line))
                del rows[key]
                rows[new_key] = after
            else:
                after = modified(table, old)
                if op == "nobefore":
                    changes.append(Change(UPDATE, table, None, after, None, line))
                else:
                    changes.append(Change(UPDATE, table, old, after, _diff(old, after), line))
                rows[key] = after
    return Stream(changes)


# ---------------------------------------------------------------------------- replay
def change_to_json(change: Change) -> dict:
    return {"kind": change.kind, "table": change.table, "before": change.before, "after": change.after,
            "changed": None if change.changed is None else sorted(change.changed)}


def changes_from_json(items: list[dict]) -> list[Change]:
    return [Change(c["kind"], c["table"], c["before"], c["after"],
                   None if c["changed"] is None else frozenset(c["changed"]), i)
            for i, c in enumerate(items, 1)]


def final_snapshot(spec, changes: list[Change]) -> dict[str, dict[tuple, dict]]:
    """The source tables after the stream, by plain CDC semantics (independent of the engine)."""
    pks = {t.name: (spec.sink.primary_key if t in spec.row_sources else t.primary_key)
           for t in (*spec.sources, *spec.dimensions)}
    tables: dict[str, dict[tuple, dict]] = {name: {} for name in pks}
    for c in changes:
        if c.table not in tables:
            continue
        key_of = lambda image: tuple(image[f] for f in pks[c.table])  # noqa: E731
        rows = tables[c.table]
        if c.kind == DELETE:
            rows.pop(key_of(c.before), None)
            continue
        if c.kind == UPDATE and c.before is not None and key_of(c.before) != key_of(c.after):
            rows.pop(key_of(c.before), None)
        rows[key_of(c.after)] = dict(c.after)
    return tables


@dataclass
class OracleRun:
    tables: dict[str, Any]
    stats: dict[str, Any]
    snapshot_rows: list[dict]


def _without(rows: dict, fields) -> dict:
    return {k: {f: v for f, v in row.items() if f not in fields} for k, row in rows.items()}


def run_oracle(spec_path: Path, changes: list[Change], *, plan_build=None, check_steps: bool = True,
               describe: str = "", stores=None, dedups=()) -> OracleRun:
    """Run `changes` in every mode; assert equal sinks, no dead letters, no extra unit runs.

    `stores(spec)`, if given, makes the source-table stores of each pruning engine (the full,
    batch and snapshot engines keep plain dicts, so they stay the reference)."""
    from pruner.compiler import build
    from pruner.runtime.engine import MODES, Engine, SinkTable

    built = plan_build or build(spec_path)
    errors = [d for d in built.diagnostics() if d.severity.value == "error"]
    assert not errors, f"generated job does not compile: {errors}\n{describe}"
    spec, plan = built.spec, built.plan
    engines = {mode: Engine(spec, plan, mode, stores=stores(spec) if stores and mode in ("pruned", "stateless") else None)
               for mode in MODES}
    assert engines["pruned"].prune and engines["stateless"].prune, "plan judged stale: nothing pruned"
    sinks = {mode: SinkTable(spec.sink.fields, spec.sink.primary_key) for mode in MODES}
    for n, dedup in enumerate(dedups):               # pruned + dedup: exact, after every message
        engines[f"dedup{n}"] = Engine(spec, plan, "pruned", dedup=dedup)
        sinks[f"dedup{n}"] = SinkTable(spec.sink.fields, spec.sink.primary_key)
    # Compiled work (pruner.runtime.codegen) against the walker it replaces: the pruning engines
    # compile each piece of work at its first use, a twin of each never compiles, and both emit
    # exactly the same records after every message.
    walkers = {}
    for mode in ("pruned", "stateless"):
        engines[mode].COMPILE_AFTER = 1
        walkers[mode] = Engine(spec, plan, mode, compiled=False,
                               stores=stores(spec) if stores else None)
    for i, change in enumerate(changes):
        for mode, engine in engines.items():
            result = engine.process(change)
            assert not isinstance(result, DeadLetter), \
                f"{mode}: dead letter on change {i} {change}: {result.reason}\n{describe}"
            sinks[mode].apply_all(result)
            if mode in walkers:
                walked = walkers[mode].process(change)
                assert walked == result, (f"{mode}: compiled work != the walker on change {i} {change}\n"
                                          f"compiled: {result}\nwalker: {walked}\n{describe}")
        if check_steps:
            for mode in ("pruned", "stateless"):
                assert sinks[mode].rows == sinks["full"].rows, (
                    f"{mode} != full after change {i}: {change}\n{mode}: {sinks[mode].rows}\n"
                    f"full: {sinks['full'].rows}\n{describe}")
        for n, dedup in enumerate(dedups):
            got, want = _without(sinks[f"dedup{n}"].rows, dedup.ignore), _without(sinks["full"].rows, dedup.ignore)
            assert got == want, (f"pruned + {dedup} != full after change {i}: {change}\n"
                                 f"dedup: {got}\nfull: {want}\n{describe}")
    for n in range(len(dedups)):
        engines.pop(f"dedup{n}")
        sinks.pop(f"dedup{n}")
    for mode, engine in engines.items():
        sinks[mode].apply_all(engine.finish())
    # batch over the final snapshot, computed without the engine's bookkeeping of the stream
    snapshot = Engine(spec, plan, "batch")
    snapshot_sink = SinkTable(spec.sink.fields, spec.sink.primary_key)
    for table, rows in final_snapshot(spec, changes).items():
        for row in rows.values():
            result = snapshot.process(Change(INSERT, table, None, row, None, 0))
            assert not isinstance(result, DeadLetter), result
    snapshot_sink.apply_all(snapshot.finish())
    expected = sinks["full"].sorted_rows()
    for mode in MODES:
        assert sinks[mode].sorted_rows() == expected, (
            f"{mode} != full at the end\n{mode}: {sinks[mode].sorted_rows()}\nfull: {expected}\n{describe}")
    assert snapshot_sink.sorted_rows() == expected, (
        f"batch over the final snapshot != full\nsnapshot: {snapshot_sink.sorted_rows()}\n"
        f"full: {expected}\n{describe}")
    for mode in ("pruned", "stateless"):
        assert engines[mode].stats.units == walkers[mode].stats.units, f"{mode}: compiled work counted otherwise"
        for unit, (run, _) in engines[mode].stats.units.items():
            assert run <= engines["full"].stats.units[unit][0], \
                f"{mode} ran {unit} {run} times, full only {engines['full'].stats.units[unit][0]}"
    return OracleRun(sinks, {m: e.stats for m, e in engines.items()}, snapshot_sink.sorted_rows())


def forget_modules(prefix: str, folder: Path | None = None) -> None:
    """Drop generated plugin modules and their sys.path entry (keeps import state clean)."""
    for name in [m for m in sys.modules if m.startswith(prefix)]:
        del sys.modules[name]
    if folder is not None:
        path = str(folder.resolve())
        while path in sys.path:
            sys.path.remove(path)


def save_fixture(job_dir: Path, changes: list[Change], dest: Path) -> None:
    """Write a counterexample as tests/runtime/fixtures/oracle/<name>/ (job.yaml, plugins/, stream.json)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(job_dir / "job.yaml", dest / "job.yaml")
    shutil.copytree(job_dir / "plugins", dest / "plugins", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "stream.json").write_text(json.dumps([change_to_json(c) for c in changes], indent=1) + "\n")


# ---------------------------------------------------------------------------- failures as replayable folders
_DEBEZIUM_OPS = {INSERT: "c", SNAPSHOT: "r", UPDATE: "u", DELETE: "d"}
_MAXWELL_TYPES = {INSERT: "insert", SNAPSHOT: "bootstrap-insert", UPDATE: "update", DELETE: "delete"}

REPRODUCE_SH = '''\
#!/bin/sh
# Replays {stream} through the job in every mode with `pruner replay` and compares the final
# sink tables. Run it from the repository root: sh {folder}/reproduce.sh
d=$(dirname "$0"); pruner=${{PRUNER:-.venv/bin/pruner}}
$pruner compile "$d/job.yaml" -o "$d/job.plan" --no-cache || exit 1
status=0
for m in full pruned stateless batch; do
    $pruner replay "$d/job.yaml" --plan "$d/job.plan" --input "$d/{stream}" --format {fmt} --mode $m \\
        --quiet --sink-out "$d/sink.$m.jsonl" --dead-letter "$d/dead-letters.$m.jsonl" || status=1
    if [ -s "$d/dead-letters.$m.jsonl" ]; then echo "$m: dead letters, see $d/dead-letters.$m.jsonl"; status=1; fi
done
for m in pruned stateless batch; do
    if ! cmp -s "$d/sink.full.jsonl" "$d/sink.$m.jsonl"; then
        echo "final sink: $m != full"; diff "$d/sink.full.jsonl" "$d/sink.$m.jsonl"; status=1
    fi
done
if [ $status = 0 ]; then
    echo "final sinks equal in every mode (the oracle also compares after every message: see README.md)"
fi
exit $status
'''


def cdc_lines(changes: list[Change], fmt: str) -> list[str]:
    """The stream as CDC messages of `fmt` (debezium-json or maxwell-json), one per line."""
    lines = []
    for c in changes:
        if fmt == "debezium-json":
            message = {"op": _DEBEZIUM_OPS[c.kind], "before": c.before, "after": c.after,
                       "source": {"db": "oracle", "table": c.table}}
        else:
            image = c.before if c.kind == DELETE else c.after
            message = {"database": "oracle", "table": c.table, "type": _MAXWELL_TYPES[c.kind], "data": image}
            if c.kind == UPDATE and c.changed is not None:
                message["old"] = {f: (c.before or {}).get(f) for f in sorted(c.changed)}
        lines.append(json.dumps(message, sort_keys=True))
    return lines


def _mismatches(changes: list[Change], lines: list[str], fmt: str) -> list[str]:
    """Where decoding `lines` does not give back `changes` exactly (kind, table, images, changed)."""
    from pruner.cdc import decode
    from pruner.cdc.message import same_value

    decoded = list(decode(lines, fmt))
    if len(decoded) != len(changes):
        return [f"{len(decoded)} changes decoded, {len(changes)} in the stream"]
    found = []
    for i, (want, got) in enumerate(zip(changes, decoded), 1):
        if isinstance(got, DeadLetter):
            found.append(f"line {i}: a dead letter ({got.reason})")
            continue
        for name in ("kind", "table", "before", "after", "changed"):
            a, b = getattr(want, name), getattr(got, name)
            same = a == b if name in ("kind", "table", "changed") else same_value(a, b)
            if not same:
                found.append(f"line {i}: {name} {json.dumps(_jsonable(a))} becomes {json.dumps(_jsonable(b))}")
    return found


def _jsonable(value: Any) -> Any:
    return sorted(value) if isinstance(value, frozenset) else value


def write_replay_files(dest: Path, changes: list[Change], *, failure: str = "", message: str = "",
                       check: bool = True) -> str:
    """Add what `pruner replay` needs to a fixture folder: the stream as CDC messages (the
    format that gives back the stream exactly, if one does), reproduce.sh and README.md.
    With `check`, run reproduce.sh once and record what it says. Returns the README text."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    options = []
    for fmt in ("debezium-json", "maxwell-json"):
        lines = cdc_lines(changes, fmt)
        options.append((len(_mismatches(changes, lines, fmt)), fmt, lines))
    _, fmt, lines = min(options, key=lambda o: o[0])
    mismatches = _mismatches(changes, lines, fmt)
    stream = f"stream.{fmt.split('-')[0]}.jsonl"
    (dest / stream).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    try:
        shown = dest.resolve().relative_to(root)
    except ValueError:
        shown = dest.resolve()
    (dest / "reproduce.sh").write_text(REPRODUCE_SH.format(stream=stream, fmt=fmt, folder=shown), encoding="utf-8")
    said = ""
    if check:
        env = dict(os.environ, PRUNER=f"{sys.executable} -m pruner")
        try:
            run = subprocess.run(["sh", str(dest / "reproduce.sh")], cwd=root, env=env, capture_output=True,
                                 text=True, timeout=600)
            said = (run.stdout + run.stderr).strip() or f"(exit status {run.returncode}, no output)"
        except (OSError, subprocess.SubprocessError) as error:
            said = f"could not run it: {error}"
    name = dest.name
    shown_message = []
    for line in message.splitlines():
        if line.startswith("name: ") and shown_message:        # the job's text follows: it is in the folder
            shown_message.append("(then the job: job.yaml, plugins/)")
            break
        shown_message.append(line)
    text = "\n".join([
        f"# Oracle failure: {failure or name}",
        "",
        "```",
        *(shown_message[:60] or ["(no message)"]),
        "```",
        "",
        f"- `job.yaml`, `plugins/`: the job; `stream.json`: the stream as the oracle replays it "
        "(`tests/runtime/test_oracle.py::test_fixture`);",
        f"- `{stream}`: the same stream as {fmt} messages, for `pruner replay`"
        + (" (decoded, it gives back the stream exactly)." if not mismatches else
           "; decoded, it differs from the stream here (the format cannot carry it exactly):"),
        *(f"  - {m}" for m in mismatches[:20]),
        "",
        "Reproduce with `pruner replay` (every mode, final sink tables compared), from the repository root:",
        "",
        f"    sh {shown}/reproduce.sh",
        "",
        "Reproduce with the oracle (every mode, compared after every message): keep it as a regression example,",
        "",
        f"    mkdir -p tests/runtime/fixtures/oracle/{name} && cp -r {shown}/job.yaml {shown}/plugins "
        f"{shown}/stream.json tests/runtime/fixtures/oracle/{name}/ && "
        f".venv/bin/python -m pytest tests/runtime/test_oracle.py -k '{name}'",
        "",
        *(["When it was written, reproduce.sh said:", "", "```", *said.splitlines()[:40], "```", ""] if check else []),
    ])
    (dest / "README.md").write_text(text + "\n", encoding="utf-8")
    return text
