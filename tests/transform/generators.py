"""Hypothesis strategies that build random plugin modules with known read/write facts.

A generated module has string constants, constant tuples/lists, module-level helper
functions, a same-module ``Base(Processor)`` with helper methods, and 1-3 Processors whose
``process`` bodies are random statement sequences. The generator records, by
construction, the fields each Processor reads and writes (over *all* syntactic paths,
since the analyzer is path-insensitive) and whether an opaque pattern (one the analyzer
must answer with reads_all / writes_all) was used.

Every supported pattern is written so that a flow-insensitive analyzer can be exact:
each binding gets a fresh name (no name is ever rebound to a different value), loops only
run over non-empty constant sequences, and every function defined is called.

The generated code must also run (the execution oracle calls ``process``): a row holds
every name of ``FIELDS`` (plus ``EXTRA_FIELDS``) with values from ``ROW_VALUES``, and the
only thing the code does with row values is test their truth, compare them, ``str()``
them, or store them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from hypothesis import strategies as st

FIELDS = ("a", "b", "c", "price", "qty", "name", "o1", "band")
EXTRA_FIELDS = ("extra_1", "extra_2")       # in the runtime row, never named in the source
ROW_VALUES = (0, 1, "", "s", None)
UNKNOWN_MODULE = "opaque_ext"                # `from opaque_ext import unknown_fn`

MAX_DEPTH = 2


# ---------------------------------------------------------------------------- facts
@dataclass
class Truth:
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    opaque_reads: bool = False
    opaque_writes: bool = False

    def add(self, other: "Truth") -> "Truth":
        self.reads |= other.reads
        self.writes |= other.writes
        self.opaque_reads |= other.opaque_reads
        self.opaque_writes |= other.opaque_writes
        return self


@dataclass(frozen=True)
class Key:
    code: str
    values: frozenset[str]


@dataclass
class Helper:
    """A module-level function or a method, with a truth function over its key arguments.

    roles: per parameter, "row", "out", "key" (one field name), "keys" (a constant tuple)
    or "val" (any value, has a default).
    """

    name: str
    params: tuple[str, ...]
    roles: tuple[str, ...]
    body: list[str]
    effect: Callable[[dict[str, frozenset[str]]], Truth]
    is_method: bool = False
    opaque_reads: bool = False
    opaque_writes: bool = False
    defaults: dict[str, str] = field(default_factory=dict)

    def render(self) -> list[str]:
        params = []
        if self.is_method:
            params.append("self")
        for p in self.params:
            params.append(f"{p}={self.defaults[p]}" if p in self.defaults else p)
        return [f"def {self.name}({', '.join(params)}):", *("    " + line for line in self.body)]


@dataclass
class Scope:
    """What a statement may refer to at its position (block-local, extended immutably)."""

    loop_keys: tuple[Key, ...] = ()
    rows: tuple[str, ...] = ("row",)
    outs: tuple[str, ...] = ("out",)

    def with_key(self, key: Key) -> "Scope":
        return Scope(self.loop_keys + (key,), self.rows, self.outs)

    def with_row(self, name: str) -> "Scope":
        return Scope(self.loop_keys, self.rows + (name,), self.outs)

    def with_out(self, name: str) -> "Scope":
        return Scope(self.loop_keys, self.rows, self.outs + (name,))


@dataclass
class ProcessorSpec:
    name: str
    truth: Truth
    base: str | None = None        # set for `class Q(P): pass`


@dataclass
class GeneratedModule:
    source: str
    processors: list[ProcessorSpec]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.processors]


class _Module:
    """Mutable state while one module is drawn."""

    def __init__(self) -> None:
        self.counter = 0
        self.consts: dict[str, str] = {}
        self.seqs: dict[str, tuple[frozenset[str], bool]] = {}   # name -> (values, is_tuple)
        self.helpers: list[Helper] = []
        self.methods: list[Helper] = []   # methods callable via self for the class being drawn

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter}"


# ---------------------------------------------------------------------------- keys
def _draw_key(draw, mod: _Module, scope: Scope | None) -> Key:
    options = ["literal"]
    if mod.consts:
        options.append("const")
    if scope is not None and scope.loop_keys:
        options.append("loop")
    kind = draw(st.sampled_from(options))
    if kind == "const":
        name = draw(st.sampled_from(sorted(mod.consts)))
        return Key(name, frozenset({mod.consts[name]}))
    if kind == "loop":
        return draw(st.sampled_from(scope.loop_keys))
    name = draw(st.sampled_from(FIELDS))
    return Key(repr(name), frozenset({name}))


def _draw_seq(draw, mod: _Module, scope: Scope | None, *, tuples_only: bool = False) -> Key:
    """A non-empty constant sequence of field names: a module constant or a literal."""
    names = sorted(n for n, (_, is_tuple) in mod.seqs.items() if is_tuple or not tuples_only)
    if names and draw(st.booleans()):
        name = draw(st.sampled_from(names))
        return Key(name, mod.seqs[name][0])
    keys = draw(st.lists(_key_strategy(mod, scope), min_size=1, max_size=3))
    values = frozenset().union(*(k.values for k in keys))
    inner = ", ".join(k.code for k in keys)
    if tuples_only or draw(st.booleans()):
        return Key(f"({inner},)", values)
    return Key(f"[{inner}]", values)


def _key_strategy(mod: _Module, scope: Scope | None):
    return st.composite(lambda draw: _draw_key(draw, mod, scope))()


# ---------------------------------------------------------------------------- helpers
def _reads(*keys: frozenset[str]) -> Truth:
    return Truth(reads=set().union(*keys))


def _draw_helper(draw, mod: _Module, name: str, *, is_method: bool, opaque_ok: bool) -> Helper:
    kinds = ["read_key", "read_get", "read_in", "write_key", "copy", "read_fixed", "read_keys",
             "write_keys", "update_fixed", "alias_inside"]
    callable_pool = [h for h in mod.helpers + (mod.methods if is_method else [])
                     if not (h.opaque_reads or h.opaque_writes) or opaque_ok]
    if callable_pool:
        kinds.append("nested")
    if opaque_ok:
        kinds += ["op_unknown", "op_iter", "op_items", "op_dynwrite", "op_unknown_out"]
    kind = draw(st.sampled_from(kinds))
    if kind == "read_key":
        return Helper(name, ("r", "k"), ("row", "key"), ["return r[k]"],
                      lambda a: _reads(a["k"]), is_method)
    if kind == "read_get":
        return Helper(name, ("r", "k", "default"), ("row", "key", "val"),
                      ["return r.get(k, default)"], lambda a: _reads(a["k"]), is_method,
                      defaults={"default": "None"})
    if kind == "read_in":
        return Helper(name, ("r", "k"), ("row", "key"), ["return k in r"],
                      lambda a: _reads(a["k"]), is_method)
    if kind == "alias_inside":
        return Helper(name, ("r", "k"), ("row", "key"), ["rr = r", "return rr.get(k)"],
                      lambda a: _reads(a["k"]), is_method)
    if kind == "read_fixed":
        key = _draw_key(draw, mod, None)
        return Helper(name, ("r",), ("row",),
                      [f"if {key.code} in r:", f"    return r[{key.code}]", "return None"],
                      lambda a, v=key.values: _reads(v), is_method)
    if kind == "read_keys":
        if draw(st.booleans()):
            body = ["return [r.get(k) for k in keys]"]
        else:
            body = ["found = []", "for k in keys:", "    found.append(r[k])", "return found"]
        return Helper(name, ("r", "keys"), ("row", "keys"), body,
                      lambda a: _reads(a["keys"]), is_method)
    if kind == "write_key":
        return Helper(name, ("o", "k", "v"), ("out", "key", "val"), ["o[k] = v"],
                      lambda a: Truth(writes=set(a["k"])), is_method, defaults={"v": "0"})
    if kind == "write_keys":
        return Helper(name, ("o", "keys"), ("out", "keys"), ["for k in keys:", "    o[k] = 1"],
                      lambda a: Truth(writes=set(a["keys"])), is_method)
    if kind == "copy":
        return Helper(name, ("r", "o", "src", "dst"), ("row", "out", "key", "key"),
                      ["o[dst] = r.get(src, 0)"],
                      lambda a: Truth(reads=set(a["src"]), writes=set(a["dst"])), is_method)
    if kind == "update_fixed":
        keys = draw(st.lists(_key_strategy(mod, None), min_size=1, max_size=3))
        items = ", ".join(f"{k.code}: {i}" for i, k in enumerate(keys))
        written = frozenset().union(*(k.values for k in keys))
        return Helper(name, ("o",), ("out",), [f"o.update({{{items}}})"],
                      lambda a, w=written: Truth(writes=set(w)), is_method)
    if kind == "nested":
        inner = draw(st.sampled_from(callable_pool))
        forward = draw(st.booleans())
        params, roles, fixed_args = [], [], {}
        call_parts, values = [], {}
        for p, role in zip(inner.params, inner.roles):
            if role in ("row", "out") or forward:
                params.append(p)
                roles.append(role)
                call_parts.append((p, p))
            elif role == "key":
                key = _draw_key(draw, mod, None)
                fixed_args[p] = key.values
                call_parts.append((p, key.code))
            elif role == "keys":
                seq = _draw_seq(draw, mod, None, tuples_only=True)
                fixed_args[p] = seq.values
                call_parts.append((p, seq.code))
            # "val" params keep their defaults
        callee = f"self.{inner.name}" if inner.is_method else inner.name
        args = _render_args(draw, call_parts)
        defaults = {p: inner.defaults[p] for p in params if p in inner.defaults}

        def effect(a, inner=inner, fixed=fixed_args):
            return inner.effect({**fixed, **a})

        return Helper(name, tuple(params), tuple(roles), [f"return {callee}({args})"], effect,
                      is_method, inner.opaque_reads, inner.opaque_writes, defaults)
    # opaque helpers
    if kind == "op_unknown":
        return Helper(name, ("r",), ("row",), ["return unknown_fn(r)"],
                      lambda a: Truth(opaque_reads=True), is_method, opaque_reads=True)
    if kind == "op_iter":
        return Helper(name, ("r",), ("row",), ["return [k for k in r]"],
                      lambda a: Truth(opaque_reads=True), is_method, opaque_reads=True)
    if kind == "op_items":
        return Helper(name, ("r",), ("row",), ["return list(r.items())"],
                      lambda a: Truth(opaque_reads=True), is_method, opaque_reads=True)
    if kind == "op_dynwrite":
        return Helper(name, ("o",), ("out",), ["o['k' + str(len(o))] = 1"],
                      lambda a: Truth(opaque_writes=True), is_method, opaque_writes=True)
    assert kind == "op_unknown_out"
    return Helper(name, ("o",), ("out",), ["unknown_fn(o)"],
                  lambda a: Truth(opaque_writes=True), is_method, opaque_writes=True)


def _render_args(draw, parts: list[tuple[str, str]]) -> str:
    """Positional for a prefix, keywords (in any order) for the rest."""
    n_pos = draw(st.integers(0, len(parts)))
    positional = [code for _, code in parts[:n_pos]]
    keyword = [f"{p}={code}" for p, code in parts[n_pos:]]
    if len(keyword) > 1:
        keyword = draw(st.permutations(keyword))
    return ", ".join([*positional, *keyword])


def _draw_call(draw, mod: _Module, scope: Scope, helper: Helper,
               extra_key: Key | None = None) -> tuple[str, Truth]:
    """Render a call of `helper` from a process body; `extra_key` is used for one key param."""
    parts, values = [], {}
    used_extra = False
    for p, role in zip(helper.params, helper.roles):
        if role == "row":
            parts.append((p, draw(st.sampled_from(scope.rows))))
        elif role == "out":
            parts.append((p, draw(st.sampled_from(scope.outs))))
        elif role == "key":
            if extra_key is not None and not used_extra:
                key, used_extra = extra_key, True
            else:
                key = _draw_key(draw, mod, scope)
            parts.append((p, key.code))
            values[p] = key.values
        elif role == "keys":
            seq = _draw_seq(draw, mod, scope, tuples_only=True)
            parts.append((p, seq.code))
            values[p] = seq.values
        elif role == "val":
            if draw(st.booleans()):
                parts.append((p, draw(st.sampled_from(["0", "1", "'x'"]))))
            else:
                break  # omit this and every later (defaulted) parameter
    callee = f"self.{helper.name}" if helper.is_method else helper.name
    truth = helper.effect(values)
    truth.opaque_reads |= helper.opaque_reads
    truth.opaque_writes |= helper.opaque_writes
    return f"{callee}({_render_args(draw, parts)})", truth


# ---------------------------------------------------------------------------- statements
SUPPORTED = ["read_sub", "read_get", "write_sub", "read_in", "copy", "write_update",
             "alias_row", "alias_out", "read_comp", "write_comp", "call", "call_comp",
             "lambda", "closure_fn", "closure_block", "if", "for"]
OPAQUE_READ = ["dyn_read_len", "dyn_read_str", "row_items", "row_iter", "dict_row",
               "unknown_row"]
OPAQUE_WRITE = ["dyn_write_len", "dyn_write_str", "unknown_out", "update_unknown"]


def _value(draw, mod: _Module, scope: Scope) -> tuple[str, Truth]:
    kind = draw(st.sampled_from(["const", "get", "sub"]))
    if kind == "const":
        return draw(st.sampled_from(["0", "1", "'x'", "None"])), Truth()
    row = draw(st.sampled_from(scope.rows))
    key = _draw_key(draw, mod, scope)
    if kind == "get":
        return f"{row}.get({key.code}, 0)", _reads(key.values)
    return f"{row}[{key.code}]", _reads(key.values)


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _draw_block(draw, mod: _Module, scope: Scope, depth: int, opaque_r: bool, opaque_w: bool,
                min_size: int = 1, max_size: int = 3) -> tuple[list[str], Truth]:
    n = draw(st.integers(min_size, max_size))
    lines: list[str] = []
    truth = Truth()
    for _ in range(n):
        new_lines, t, scope = _draw_statement(draw, mod, scope, depth, opaque_r, opaque_w)
        lines += new_lines
        truth.add(t)
    return (lines or ["pass"]), truth


def _draw_statement(draw, mod: _Module, scope: Scope, depth: int, opaque_r: bool,
                    opaque_w: bool) -> tuple[list[str], Truth, Scope]:
    kinds = list(SUPPORTED)
    if depth >= MAX_DEPTH:
        kinds = [k for k in kinds if k not in ("if", "for", "closure_block")]
    if opaque_r:
        kinds += OPAQUE_READ
    if opaque_w:
        kinds += OPAQUE_WRITE
    kind = draw(st.sampled_from(kinds))
    row = draw(st.sampled_from(scope.rows))
    out = draw(st.sampled_from(scope.outs))
    v = mod.fresh("v")

    if kind == "read_sub":
        key = _draw_key(draw, mod, scope)
        return [f"{v} = {row}[{key.code}]"], _reads(key.values), scope
    if kind == "read_get":
        key = _draw_key(draw, mod, scope)
        default = draw(st.sampled_from(["None", "0", "''"]))
        if draw(st.booleans()):
            return [f"{v} = {row}.get({key.code}, {default})"], _reads(key.values), scope
        return [f"{v} = {row}.get({key.code})"], _reads(key.values), scope
    if kind == "read_in":
        key = _draw_key(draw, mod, scope)
        op = draw(st.sampled_from(["in", "not in"]))
        return [f"{v} = {key.code} {op} {row}"], _reads(key.values), scope
    if kind == "write_sub":
        key = _draw_key(draw, mod, scope)
        value, t = _value(draw, mod, scope)
        t.writes |= key.values
        return [f"{out}[{key.code}] = {value}"], t, scope
    if kind == "copy":
        src, dst = _draw_key(draw, mod, scope), _draw_key(draw, mod, scope)
        return ([f"{out}[{dst.code}] = {row}.get({src.code}, 0)"],
                Truth(reads=set(src.values), writes=set(dst.values)), scope)
    if kind == "write_update":
        entries = draw(st.integers(1, 3))
        truth, items = Truth(), []
        for _ in range(entries):
            key = _draw_key(draw, mod, scope)
            value, t = _value(draw, mod, scope)
            truth.add(t)
            truth.writes |= key.values
            items.append(f"{key.code}: {value}")
        return [f"{out}.update({{{', '.join(items)}}})"], truth, scope
    if kind == "alias_row":
        name = mod.fresh("r")
        return [f"{name} = {row}"], Truth(), scope.with_row(name)
    if kind == "alias_out":
        name = mod.fresh("o")
        return [f"{name} = {out}"], Truth(), scope.with_out(name)
    if kind == "read_comp":
        seq = _draw_seq(draw, mod, scope)
        c = mod.fresh("c")
        form = draw(st.sampled_from(["list", "dict", "gen"]))
        if form == "list":
            line = f"{v} = [{row}[{c}] for {c} in {seq.code}]"
        elif form == "dict":
            line = f"{v} = {{{c}: {row}.get({c}) for {c} in {seq.code}}}"
        else:
            line = f"{v} = list({row}.get({c}, 0) for {c} in {seq.code})"
        return [line], _reads(seq.values), scope
    if kind == "write_comp":
        seq = _draw_seq(draw, mod, scope)
        c = mod.fresh("c")
        return [f"{out}.update({{{c}: 0 for {c} in {seq.code}}})"], Truth(writes=set(seq.values)), scope
    if kind in ("call", "call_comp"):
        pool = [h for h in mod.helpers + mod.methods
                if (opaque_r or not h.opaque_reads) and (opaque_w or not h.opaque_writes)]
        if kind == "call_comp":
            pool = [h for h in pool if "key" in h.roles]
        if not pool:
            return ["pass"], Truth(), scope
        helper = draw(st.sampled_from(pool))
        if kind == "call":
            call, truth = _draw_call(draw, mod, scope, helper)
            if draw(st.booleans()):
                return [call], truth, scope
            return [f"{v} = {call}"], truth, scope
        seq = _draw_seq(draw, mod, scope)
        c = mod.fresh("c")
        call, truth = _draw_call(draw, mod, scope, helper, extra_key=Key(c, seq.values))
        return [f"{v} = [{call} for {c} in {seq.code}]"], truth, scope
    if kind == "lambda":
        g = mod.fresh("g")
        form = draw(st.sampled_from(["param_key", "param_row", "captured", "writer"]))
        if form == "param_key":
            keys = draw(st.lists(_key_strategy(mod, scope), min_size=1, max_size=2))
            lines = [f"{g} = lambda k: {row}.get(k, 0)"]
            lines += [f"{mod.fresh('v')} = {g}({k.code})" for k in keys]
            return lines, _reads(*(k.values for k in keys)), scope
        if form == "param_row":
            key = _draw_key(draw, mod, scope)
            return ([f"{g} = lambda rr, k: rr[k]", f"{v} = {g}({row}, {key.code})"],
                    _reads(key.values), scope)
        if form == "captured":
            key = _draw_key(draw, mod, scope)
            return [f"{g} = lambda: {row}[{key.code}]", f"{v} = {g}()"], _reads(key.values), scope
        key = _draw_key(draw, mod, scope)
        return ([f"{g} = lambda k, val=1: {out}.update({{k: val}})", f"{g}({key.code})"],
                Truth(writes=set(key.values)), scope)
    if kind == "closure_fn":
        fn = mod.fresh("inner")
        if draw(st.booleans()):
            key = _draw_key(draw, mod, scope)
            return ([f"def {fn}(k):", f"    return {row}.get(k, None)", f"{v} = {fn}({key.code})"],
                    _reads(key.values), scope)
        key = _draw_key(draw, mod, scope)
        value, t = _value(draw, mod, scope)
        t.writes |= key.values
        return [f"def {fn}(v):", f"    {out}[{key.code}] = v", f"{fn}({value})"], t, scope
    if kind == "closure_block":
        fn = mod.fresh("inner")
        body, truth = _draw_block(draw, mod, scope, depth + 1, opaque_r, opaque_w)
        return [f"def {fn}():", *_indent(body), f"{fn}()"], truth, scope
    if kind == "if":
        key = _draw_key(draw, mod, scope)
        form = draw(st.sampled_from(["get", "in", "eq", "not"]))
        cond = {"get": f"{row}.get({key.code}, 0)",
                "in": f"{key.code} in {row}",
                "eq": f"{row}.get({key.code}) == 's'",
                "not": f"not {row}.get({key.code})"}[form]
        truth = _reads(key.values)
        body, t = _draw_block(draw, mod, scope, depth + 1, opaque_r, opaque_w)
        lines = [f"if {cond}:", *_indent(body)]
        truth.add(t)
        if draw(st.booleans()):
            orelse, t = _draw_block(draw, mod, scope, depth + 1, opaque_r, opaque_w)
            lines += ["else:", *_indent(orelse)]
            truth.add(t)
        return lines, truth, scope
    if kind == "for":
        seq = _draw_seq(draw, mod, scope)
        f = mod.fresh("f")
        body, truth = _draw_block(draw, mod, scope.with_key(Key(f, seq.values)), depth + 1,
                                  opaque_r, opaque_w)
        return [f"for {f} in {seq.code}:", *_indent(body)], truth, scope

    # ---- opaque reads
    if kind == "dyn_read_len":
        return [f"{v} = {row}.get('k' + str(len({out})), None)"], Truth(opaque_reads=True), scope
    if kind == "dyn_read_str":
        key = _draw_key(draw, mod, scope)
        t = _reads(key.values)
        t.opaque_reads = True
        return [f"{v} = {row}.get(str({row}.get({key.code}, '')).upper(), None)"], t, scope
    if kind == "row_items":
        k, x = mod.fresh("k"), mod.fresh("x")
        return [f"for {k}, {x} in {row}.items():", "    pass"], Truth(opaque_reads=True), scope
    if kind == "row_iter":
        k = mod.fresh("k")
        return [f"for {k} in {row}:", "    pass"], Truth(opaque_reads=True), scope
    if kind == "dict_row":
        return [f"{v} = dict({row})"], Truth(opaque_reads=True), scope
    if kind == "unknown_row":
        return [f"unknown_fn({row})"], Truth(opaque_reads=True), scope
    # ---- opaque writes
    if kind == "dyn_write_len":
        return [f"{out}['k' + str(len({out}))] = 1"], Truth(opaque_writes=True), scope
    if kind == "dyn_write_str":
        key = _draw_key(draw, mod, scope)
        t = _reads(key.values)
        t.opaque_writes = True
        return [f"{out}[str({row}.get({key.code}, '')).strip() + '_x'] = 1"], t, scope
    if kind == "unknown_out":
        return [f"unknown_fn({out})"], Truth(opaque_writes=True), scope
    assert kind == "update_unknown"
    return [f"{out}.update(unknown_fn(None))"], Truth(opaque_writes=True), scope


# ---------------------------------------------------------------------------- modules
@st.composite
def modules(draw, max_processors: int = 3) -> GeneratedModule:
    mod = _Module()
    lines = ["from plugin_sdk import Processor", f"from {UNKNOWN_MODULE} import unknown_fn", ""]
    for _ in range(draw(st.integers(0, 3))):
        name = mod.fresh("K").upper()
        value = draw(st.sampled_from(FIELDS))
        mod.consts[name] = value
        lines.append(f"{name} = {value!r}")
    for _ in range(draw(st.integers(0, 2))):
        is_tuple = draw(st.booleans())
        name = mod.fresh("T" if is_tuple else "L").upper()
        keys = draw(st.lists(_key_strategy(mod, None), min_size=1, max_size=4))
        inner = ", ".join(k.code for k in keys)
        lines.append(f"{name} = ({inner},)" if is_tuple else f"{name} = [{inner}]")
        mod.seqs[name] = (frozenset().union(*(k.values for k in keys)), is_tuple)
    lines.append("")

    opaque_helpers = draw(st.booleans())
    for _ in range(draw(st.integers(0, 4))):
        helper = _draw_helper(draw, mod, mod.fresh("h"), is_method=False, opaque_ok=opaque_helpers)
        mod.helpers.append(helper)
        lines += ["", *helper.render(), ""]

    base_methods: list[Helper] = []
    lines += ["", "class Base(Processor):"]
    for _ in range(draw(st.integers(0, 3))):
        mod.methods = base_methods
        method = _draw_helper(draw, mod, mod.fresh("_m"), is_method=True, opaque_ok=opaque_helpers)
        base_methods.append(method)
        lines += _indent(method.render())
    if not base_methods:
        lines.append("    pass")

    specs: list[ProcessorSpec] = []
    for i in range(draw(st.integers(1, max_processors))):
        cls = f"P{i}"
        on_base = draw(st.booleans())
        own: list[Helper] = []
        mod.methods = list(base_methods) if on_base else []
        lines += ["", "", f"class {cls}({'Base' if on_base else 'Processor'}):"]
        for _ in range(draw(st.integers(0, 2))):
            method = _draw_helper(draw, mod, mod.fresh("_own"), is_method=True,
                                  opaque_ok=opaque_helpers)
            own.append(method)
            mod.methods.append(method)
            lines += _indent(method.render())
        opaque_r, opaque_w = draw(st.booleans()), draw(st.booleans())
        body, truth = _draw_block(draw, mod, Scope(), 0, opaque_r, opaque_w, max_size=6)
        lines += _indent(["def process(self, row, out):", *_indent(body)])
        specs.append(ProcessorSpec(cls, truth))
        if draw(st.integers(0, 4)) == 0:
            sub = f"{cls}Sub"
            lines += ["", "", f"class {sub}({cls}):", "    pass"]
            specs.append(ProcessorSpec(sub, truth, base=cls))
    return GeneratedModule("\n".join(lines) + "\n", specs)
