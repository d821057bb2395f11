"""Hypothesis strategies that build random plugin modules with known read/write facts.

A generated module has string constants (and aliases of them), constant tuples/lists and
a ``{field: field}`` dict, module-level helpers (``def`` and lambda, identity helpers,
nested helpers, closure factories), a same-module ``Base(Processor)`` with class
constants and (static) helper methods, and 1-3 Processors whose ``process`` bodies are
random statement sequences; some get a subclass that overrides methods ``process`` calls
and/or extends ``process`` through ``super().process(row, out)``. The generator records,
by construction, the fields each Processor reads and writes (over *all* syntactic paths,
since the analyzer is path-insensitive; ``self.m(...)`` is resolved per class), and
whether an opaque pattern (one the analyzer must answer with reads_all / writes_all) or a
"loose" one (sound answer required, exact or "all") was used.

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
    # A pattern outside the supported subset whose keys are nevertheless known (a local
    # container changed after it is built): the analyzer must be sound, either exactly or
    # with reads_all / writes_all.
    loose_reads: bool = False
    loose_writes: bool = False
    # `self.<method>(...)` calls, resolved per class (a subclass may override the method):
    # (method name, key values of its parameters)
    calls: list[tuple[str, dict[str, frozenset[str]]]] = field(default_factory=list)

    def add(self, other: "Truth") -> "Truth":
        self.reads |= other.reads
        self.writes |= other.writes
        self.opaque_reads |= other.opaque_reads
        self.opaque_writes |= other.opaque_writes
        self.loose_reads |= other.loose_reads
        self.loose_writes |= other.loose_writes
        self.calls += other.calls
        return self

    def resolve(self, methods: dict[str, "Helper"]) -> "Truth":
        """The facts once every `self.m(...)` is bound to the class's `m`."""
        result = Truth(set(self.reads), set(self.writes), self.opaque_reads, self.opaque_writes,
                       self.loose_reads, self.loose_writes)
        for name, args in self.calls:
            result.add(methods[name].effect(args).resolve(methods))
        return result


@dataclass(frozen=True)
class Key:
    code: str
    values: frozenset[str]


@dataclass
class Helper:
    """A module-level function or a method, with a truth function over its key arguments.

    roles: per parameter, "row", "out", "key" (one field name), "keys" (a constant tuple),
    "val" (any value, has a default) or "any" (the row or `out`; identity helpers).
    `opaque_reads` / `opaque_writes` say whether a call *may* use an opaque pattern (used
    to keep opaque patterns out of exact Processors); the facts come from `effect`.
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
    is_static: bool = False
    identity: bool = False     # returns its "any" argument (an alias of the row or out)
    lambda_body: str | None = None                     # `name = lambda params: body`
    default_keys: dict[str, frozenset[str]] = field(default_factory=dict)   # "key_opt" params

    def render(self) -> list[str]:
        if self.lambda_body is not None:
            params = [f"{p}={self.defaults[p]}" if p in self.defaults else p for p in self.params]
            return [f"{self.name} = lambda {', '.join(params)}: {self.lambda_body}"]
        params = []
        if self.is_method and not self.is_static:
            params.append("self")
        for p in self.params:
            params.append(f"{p}={self.defaults[p]}" if p in self.defaults else p)
        decorator = ["@staticmethod"] if self.is_static else []
        return [*decorator, f"def {self.name}({', '.join(params)}):",
                *("    " + line for line in self.body)]


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
    truth: Truth                   # resolved against the class's own methods
    base: str | None = None        # set for `class Q(P)` subclasses of a generated Processor


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
        self.dicts: dict[str, dict[str, str]] = {}        # module-level {field: field} constants
        self.class_consts: dict[str, str] = {}            # "self.F_1" / "Base.F_1" -> field
        self.factories: list[tuple[str, str]] = []        # (name, "read" | "write")

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
    if scope is not None and mod.class_consts:
        options.append("class_const")
    if mod.dicts:
        options.append("dict_lookup")
    kind = draw(st.sampled_from(options))
    if kind == "class_const":
        code = draw(st.sampled_from(sorted(mod.class_consts)))
        return Key(code, frozenset({mod.class_consts[code]}))
    if kind == "dict_lookup":
        name = draw(st.sampled_from(sorted(mod.dicts)))
        k = draw(st.sampled_from(sorted(mod.dicts[name])))
        return Key(f"{name}[{k!r}]", frozenset({mod.dicts[name][k]}))
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


def _draw_helper(draw, mod: _Module, name: str, *, is_method: bool, opaque_ok: bool,
                 is_static: bool = False) -> Helper:
    kinds = ["read_key", "read_get", "read_in", "write_key", "copy", "read_fixed", "read_keys",
             "write_keys", "update_fixed", "alias_inside"]
    # A method may call module helpers and (unless static) earlier methods through self.
    callable_pool = [h for h in mod.helpers + (mod.methods if is_method and not is_static else [])
                     if not (h.opaque_reads or h.opaque_writes) or opaque_ok]
    if callable_pool:
        kinds.append("nested")
    if not is_method:
        kinds += ["identity", "lambda_read", "lambda_write"]
    kinds.append("default_key")
    if opaque_ok:
        kinds += ["op_unknown", "op_iter", "op_items", "op_dynwrite", "op_unknown_out"]
    kind = draw(st.sampled_from(kinds))

    def make(params, roles, body, effect, **kw) -> Helper:
        return Helper(name, params, roles, body, effect, is_method, is_static=is_static, **kw)

    if kind == "read_key":
        return make(("r", "k"), ("row", "key"), ["return r[k]"], lambda a: _reads(a["k"]))
    if kind == "read_get":
        return make(("r", "k", "default"), ("row", "key", "val"), ["return r.get(k, default)"],
                    lambda a: _reads(a["k"]), defaults={"default": "None"})
    if kind == "read_in":
        return make(("r", "k"), ("row", "key"), ["return k in r"], lambda a: _reads(a["k"]))
    if kind == "alias_inside":
        return make(("r", "k"), ("row", "key"), ["rr = r", "return rr.get(k)"],
                    lambda a: _reads(a["k"]))
    if kind == "read_fixed":
        key = _draw_key(draw, mod, None)
        return make(("r",), ("row",),
                    [f"if {key.code} in r:", f"    return r[{key.code}]", "return None"],
                    lambda a, v=key.values: _reads(v))
    if kind == "read_keys":
        if draw(st.booleans()):
            body = ["return [r.get(k) for k in keys]"]
        else:
            body = ["found = []", "for k in keys:", "    found.append(r[k])", "return found"]
        return make(("r", "keys"), ("row", "keys"), body, lambda a: _reads(a["keys"]))
    if kind == "write_key":
        return make(("o", "k", "v"), ("out", "key", "val"), ["o[k] = v"],
                    lambda a: Truth(writes=set(a["k"])), defaults={"v": "0"})
    if kind == "write_keys":
        return make(("o", "keys"), ("out", "keys"), ["for k in keys:", "    o[k] = 1"],
                    lambda a: Truth(writes=set(a["keys"])))
    if kind == "copy":
        return make(("r", "o", "src", "dst"), ("row", "out", "key", "key"),
                    ["o[dst] = r.get(src, 0)"],
                    lambda a: Truth(reads=set(a["src"]), writes=set(a["dst"])))
    if kind == "update_fixed":
        keys = draw(st.lists(_key_strategy(mod, None), min_size=1, max_size=3))
        items = ", ".join(f"{k.code}: {i}" for i, k in enumerate(keys))
        written = frozenset().union(*(k.values for k in keys))
        return make(("o",), ("out",), [f"o.update({{{items}}})"],
                    lambda a, w=written: Truth(writes=set(w)))
    if kind == "lambda_read":
        return make(("r", "k"), ("row", "key"), [], lambda a: _reads(a["k"]),
                    lambda_body="r.get(k, 0)")
    if kind == "lambda_write":
        return make(("o", "k", "v"), ("out", "key", "val"), [],
                    lambda a: Truth(writes=set(a["k"])), lambda_body="o.update({k: v})",
                    defaults={"v": "1"})
    if kind == "default_key":
        key = _draw_key(draw, mod, None)
        return make(("r", "k"), ("row", "key_opt"), ["return r[k]"], lambda a: _reads(a["k"]),
                    defaults={"k": key.code}, default_keys={"k": key.values})
    if kind == "identity":
        return make(("x",), ("any",), ["return x"], lambda a: Truth(), identity=True)
    if kind == "nested":
        inner = draw(st.sampled_from(callable_pool))
        forward = draw(st.booleans())
        params, roles, fixed_args, call_parts = [], [], {}, []
        for p, role in zip(inner.params, inner.roles):
            if role in ("row", "out", "any") or forward:
                params.append(p)
                roles.append(role)
                call_parts.append((p, p))
            elif role in ("key", "key_opt"):
                key = _draw_key(draw, mod, None)
                fixed_args[p] = key.values
                call_parts.append((p, key.code))
            elif role == "keys":
                seq = _draw_seq(draw, mod, None, tuples_only=True)
                fixed_args[p] = seq.values
                call_parts.append((p, seq.code))
            # "val" parameters keep their defaults
        callee = f"self.{inner.name}" if inner.is_method else inner.name
        args = _render_args(draw, call_parts)
        defaults = {p: inner.defaults[p] for p in params if p in inner.defaults}
        if inner.is_method:   # dispatched on the class of `self`: resolved per Processor
            def effect(a, inner=inner, fixed=fixed_args):
                return Truth(calls=[(inner.name, {**fixed, **a})])
        else:
            def effect(a, inner=inner, fixed=fixed_args):
                return inner.effect({**fixed, **a})
        return make(tuple(params), tuple(roles), [f"return {callee}({args})"], effect,
                    opaque_reads=inner.opaque_reads, opaque_writes=inner.opaque_writes,
                    defaults=defaults, identity=inner.identity and "any" in roles,
                    default_keys={p: v for p, v in inner.default_keys.items() if p in params})
    # opaque helpers
    if kind == "op_unknown":
        return make(("r",), ("row",), ["return unknown_fn(r)"],
                    lambda a: Truth(opaque_reads=True), opaque_reads=True)
    if kind == "op_iter":
        return make(("r",), ("row",), ["return [k for k in r]"],
                    lambda a: Truth(opaque_reads=True), opaque_reads=True)
    if kind == "op_items":
        return make(("r",), ("row",), ["return list(r.items())"],
                    lambda a: Truth(opaque_reads=True), opaque_reads=True)
    if kind == "op_dynwrite":
        return make(("o",), ("out",), ["o['k' + str(len(o))] = 1"],
                    lambda a: Truth(opaque_writes=True), opaque_writes=True)
    assert kind == "op_unknown_out"
    return make(("o",), ("out",), ["unknown_fn(o)"],
                lambda a: Truth(opaque_writes=True), opaque_writes=True)


def _draw_override(draw, mod: _Module, method: Helper) -> Helper:
    """A subclass's version of `method`: same parameters, different (supported) body."""
    body: list[str] = []
    row = next((p for p, r in zip(method.params, method.roles) if r == "row"), None)
    out = next((p for p, r in zip(method.params, method.roles) if r == "out"), None)
    keys = [p for p, r in zip(method.params, method.roles) if r in ("key", "key_opt")]
    seqs = [p for p, r in zip(method.params, method.roles) if r == "keys"]
    read_params: list[str] = []
    write_params: list[str] = []
    fixed = Truth()
    if row is not None:
        for k in keys:
            if out is None or draw(st.booleans()):
                body.append(f"x_{k} = {row}.get({k})")
                read_params.append(k)
        for k in seqs:
            body.append(f"xs_{k} = [{row}[e] for e in {k}]")
            read_params.append(k)
        if draw(st.booleans()):
            key = _draw_key(draw, mod, None)
            body.append(f"y = {key.code} in {row}")
            fixed.reads |= key.values
    if out is not None:
        for k in keys:
            if k not in read_params or draw(st.booleans()):
                body.append(f"{out}[{k}] = 2")
                write_params.append(k)
        for k in seqs:
            body.append(f"{out}.update({{e: 2 for e in {k}}})")
            write_params.append(k)
        key = _draw_key(draw, mod, None)
        body.append(f"{out}[{key.code}] = 3")
        fixed.writes |= key.values
    if method.identity:
        body.append(f"return {method.params[0]}")
    body = body or ["pass"]

    def effect(a, reads=tuple(read_params), writes=tuple(write_params), fixed=fixed):
        t = Truth(set(fixed.reads), set(fixed.writes))
        for p in reads:
            t.reads |= a[p]
        for p in writes:
            t.writes |= a[p]
        return t

    return Helper(method.name, method.params, method.roles, body, effect, True,
                  defaults=dict(method.defaults), is_static=method.is_static,
                  identity=method.identity, default_keys=dict(method.default_keys))


def _render_args(draw, parts: list[tuple[str, str]]) -> str:
    """Positional for a prefix, keywords (in any order) for the rest."""
    n_pos = draw(st.integers(0, len(parts)))
    positional = [code for _, code in parts[:n_pos]]
    keyword = [f"{p}={code}" for p, code in parts[n_pos:]]
    if len(keyword) > 1:
        keyword = draw(st.permutations(keyword))
    return ", ".join([*positional, *keyword])


def _draw_call(draw, mod: _Module, scope: Scope, helper: Helper,
               extra_key: Key | None = None, any_value: str | None = None) -> tuple[str, Truth]:
    """Render a call of `helper` from a process body; `extra_key` is used for one key param."""
    parts, values = [], {}
    used_extra = False
    for p, role in zip(helper.params, helper.roles):
        if role == "row":
            parts.append((p, draw(st.sampled_from(scope.rows))))
        elif role == "out":
            parts.append((p, draw(st.sampled_from(scope.outs))))
        elif role == "any":
            parts.append((p, any_value or draw(st.sampled_from(scope.rows + scope.outs))))
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
        elif role == "key_opt":
            if draw(st.booleans()):
                key = _draw_key(draw, mod, scope)
                parts.append((p, key.code))
                values[p] = key.values
            else:
                values[p] = helper.default_keys[p]
                break  # omit this and every later (defaulted) parameter
        elif role == "val":
            if draw(st.booleans()):
                parts.append((p, draw(st.sampled_from(["0", "1", "'x'"]))))
            else:
                # omit this and every later (defaulted) parameter
                for q, r in zip(helper.params, helper.roles):
                    if r == "key_opt" and q not in values:
                        values[q] = helper.default_keys[q]
                break
    callee = f"self.{helper.name}" if helper.is_method else helper.name
    if helper.is_method:
        truth = Truth(calls=[(helper.name, values)])
    else:
        truth = helper.effect(values)
    return f"{callee}({_render_args(draw, parts)})", truth


# ---------------------------------------------------------------------------- statements
SUPPORTED = ["read_sub", "read_get", "write_sub", "read_in", "copy", "write_update",
             "alias_row", "alias_out", "read_comp", "write_comp", "call", "call_comp",
             "alias_call", "unpack", "lambda", "factory", "closure_fn", "closure_block", "if",
             "for", "for_pairs", "try", "early_return"]
OPAQUE_READ = ["dyn_read_len", "dyn_read_str", "row_items", "row_iter", "dict_row",
               "unknown_row", "mutated_list_read"]
OPAQUE_WRITE = ["dyn_write_len", "dyn_write_str", "unknown_out", "update_unknown",
                "mutated_dict_write", "mutated_list_write"]


def _value(draw, mod: _Module, scope: Scope) -> tuple[str, Truth]:
    kind = draw(st.sampled_from(["const", "get", "sub", "ifexp"]))
    if kind == "const":
        return draw(st.sampled_from(["0", "1", "'x'", "None"])), Truth()
    row = draw(st.sampled_from(scope.rows))
    key = _draw_key(draw, mod, scope)
    if kind == "ifexp":
        test = _draw_key(draw, mod, scope)
        return (f"({row}.get({key.code}, 0) if {test.code} in {row} else 1)",
                _reads(key.values, test.values))
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
        kinds = [k for k in kinds if k not in ("if", "for", "for_pairs", "closure_block", "try")]
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
    if kind == "alias_call":
        identities = [h for h in mod.helpers + mod.methods if h.identity]
        if not identities:
            return ["pass"], Truth(), scope
        helper = draw(st.sampled_from(identities))
        if draw(st.booleans()):
            name = mod.fresh("r")
            call, truth = _draw_call(draw, mod, scope, helper, any_value=row)
            return [f"{name} = {call}"], truth, scope.with_row(name)
        name = mod.fresh("o")
        call, truth = _draw_call(draw, mod, scope, helper, any_value=out)
        return [f"{name} = {call}"], truth, scope.with_out(name)
    if kind == "unpack":
        k1, k2 = _draw_key(draw, mod, scope), _draw_key(draw, mod, scope)
        w = mod.fresh("v")
        return ([f"{v}, {w} = {row}[{k1.code}], {row}.get({k2.code}, 0)"],
                _reads(k1.values, k2.values), scope)
    if kind == "factory":
        if not mod.factories:
            return ["pass"], Truth(), scope
        name, what = draw(st.sampled_from(mod.factories))
        key = _draw_key(draw, mod, scope)
        args = f"{row}" if what == "read" else f"{out}, 1"
        truth = _reads(key.values) if what == "read" else Truth(writes=set(key.values))
        if draw(st.booleans()):
            return [f"{name}({key.code})({args})"], truth, scope
        g = mod.fresh("g")
        return [f"{g} = {name}({key.code})", f"{g}({args})"], truth, scope
    if kind == "for_pairs":
        a, b = mod.fresh("f"), mod.fresh("f")
        forms = ["zip", "enumerate", "pairs"] + (["dict_items", "dict_keys", "dict_values"]
                                                 if mod.dicts else [])
        form = draw(st.sampled_from(forms))
        if form == "zip":
            n = draw(st.integers(1, 3))
            first = [_draw_key(draw, mod, scope) for _ in range(n)]
            second = [_draw_key(draw, mod, scope) for _ in range(n)]
            header = (f"for {a}, {b} in zip(({', '.join(k.code for k in first)},), "
                      f"[{', '.join(k.code for k in second)}]):")
            keys = [Key(a, frozenset().union(*(k.values for k in first))),
                    Key(b, frozenset().union(*(k.values for k in second)))]
        elif form == "enumerate":
            seq = _draw_seq(draw, mod, scope)
            header = f"for {a}, {b} in enumerate({seq.code}):"
            keys = [Key(b, seq.values)]
        elif form == "pairs":
            n = draw(st.integers(1, 3))
            first = [_draw_key(draw, mod, scope) for _ in range(n)]
            pairs = ", ".join(f"({k.code}, {i})" for i, k in enumerate(first))
            header = f"for {a}, {b} in ({pairs},):"
            keys = [Key(a, frozenset().union(*(k.values for k in first)))]
        else:
            name = draw(st.sampled_from(sorted(mod.dicts)))
            mapping = mod.dicts[name]
            if form == "dict_items":
                header = f"for {a}, {b} in {name}.items():"
                keys = [Key(a, frozenset(mapping)), Key(b, frozenset(mapping.values()))]
            elif form == "dict_keys":
                header = f"for {a} in {name}:"
                keys = [Key(a, frozenset(mapping))]
            else:
                header = f"for {b} in {name}.values():"
                keys = [Key(b, frozenset(mapping.values()))]
        inner = scope
        for k in keys:
            inner = inner.with_key(k)
        body, truth = _draw_block(draw, mod, inner, depth + 1, opaque_r, opaque_w)
        return [header, *_indent(body)], truth, scope
    if kind == "early_return":
        key = _draw_key(draw, mod, scope)
        return [f"if not {row}.get({key.code}):", "    return"], _reads(key.values), scope
    if kind == "try":
        body, truth = _draw_block(draw, mod, scope, depth + 1, opaque_r, opaque_w)
        handler, t = _draw_block(draw, mod, scope, depth + 1, opaque_r, opaque_w, min_size=0)
        truth.add(t)
        return ["try:", *_indent(body), "except KeyError:", *_indent(handler)], truth, scope
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
            key2 = _draw_key(draw, mod, scope)
            truth.reads |= key2.values
            body, t = _draw_block(draw, mod, scope, depth + 1, opaque_r, opaque_w)
            lines += [f"elif {key2.code} not in {row}:", *_indent(body)]
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

    # ---- local containers changed after they are built (sound answers only)
    if kind in ("mutated_list_read", "mutated_list_write"):
        first, second = _draw_key(draw, mod, scope), _draw_key(draw, mod, scope)
        ks, f = mod.fresh("ks"), mod.fresh("f")
        change = draw(st.sampled_from([f"{ks}.append({second.code})",
                                       f"{ks}.extend([{second.code}])",
                                       f"{ks}.insert(0, {second.code})",
                                       f"{ks}[0] = {second.code}"]))
        # after `ks[0] = ...` only the second key is left
        keys = second.values if "[0] =" in change else first.values | second.values
        lines = [f"{ks} = [{first.code}]", change, f"for {f} in {ks}:"]
        if kind == "mutated_list_read":
            return lines + [f"    {v} = {row}.get({f})"], Truth(reads=set(keys), loose_reads=True), scope
        return lines + [f"    {out}[{f}] = 1"], Truth(writes=set(keys), loose_writes=True), scope
    if kind == "mutated_dict_write":
        first, second = _draw_key(draw, mod, scope), _draw_key(draw, mod, scope)
        d = mod.fresh("d")
        change = draw(st.sampled_from([f"{d}[{second.code}] = 2",
                                       f"{d}.update({{{second.code}: 2}})",
                                       f"{d}.setdefault({second.code}, 2)"]))
        return ([f"{d} = {{{first.code}: 1}}", change, f"{out}.update({d})"],
                Truth(writes=set(first.values | second.values), loose_writes=True), scope)
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
        if mod.consts and draw(st.integers(0, 3)) == 0:    # K_2 = K_1
            other = draw(st.sampled_from(sorted(mod.consts)))
            mod.consts[name] = mod.consts[other]
            lines.append(f"{name} = {other}")
            continue
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
    for _ in range(draw(st.integers(0, 1))):
        name = mod.fresh("M").upper()
        mapping = draw(st.dictionaries(st.sampled_from(FIELDS), st.sampled_from(FIELDS),
                                       min_size=1, max_size=3))
        mod.dicts[name] = mapping
        lines.append(f"{name} = {mapping!r}")
    lines.append("")

    for _ in range(draw(st.integers(0, 2))):
        name = mod.fresh("make")
        what, form = draw(st.sampled_from([("read", "lambda"), ("read", "def"),
                                           ("write", "def")]))
        mod.factories.append((name, what))
        if form == "lambda":
            lines += ["", f"def {name}(k):", "    return lambda r: r.get(k)", ""]
        elif what == "read":
            lines += ["", f"def {name}(k):", "    def get(r):", "        return r[k]",
                      "    return get", ""]
        else:
            lines += ["", f"def {name}(k):", "    def put(o, v):", "        o[k] = v",
                      "    return put", ""]

    opaque_helpers = draw(st.booleans())
    for _ in range(draw(st.integers(0, 4))):
        helper = _draw_helper(draw, mod, mod.fresh("h"), is_method=False, opaque_ok=opaque_helpers)
        mod.helpers.append(helper)
        lines += ["", *helper.render(), ""]

    def draw_methods(prefix: str, table: dict[str, Helper], count: int) -> list[str]:
        rendered = []
        for _ in range(count):
            mod.methods = list(table.values())
            method = _draw_helper(draw, mod, mod.fresh(prefix), is_method=True,
                                  opaque_ok=opaque_helpers, is_static=draw(st.integers(0, 3)) == 0)
            table[method.name] = method
            rendered += _indent(method.render())
        return rendered

    def draw_class_consts(owner: str) -> list[str]:
        rendered = []
        for _ in range(draw(st.integers(0, 2))):
            name = mod.fresh("F").upper()
            value = draw(st.sampled_from(FIELDS))
            rendered.append(f"    {name} = {value!r}")
            mod.class_consts[f"self.{name}"] = value
            mod.class_consts[f"{owner}.{name}"] = value
        return rendered

    base_table: dict[str, Helper] = {}
    lines += ["", "class Base(Processor):"]
    base_consts = draw_class_consts("Base")
    base_class_consts = dict(mod.class_consts)
    body = base_consts + draw_methods("_m", base_table, draw(st.integers(0, 3)))
    lines += body or ["    pass"]

    specs: list[ProcessorSpec] = []
    for i in range(draw(st.integers(1, max_processors))):
        cls = f"P{i}"
        on_base = draw(st.booleans())
        table = dict(base_table) if on_base else {}
        lines += ["", "", f"class {cls}({'Base' if on_base else 'Processor'}):"]
        mod.class_consts = dict(base_class_consts) if on_base else {}
        lines += draw_class_consts(cls)
        lines += draw_methods("_own", table, draw(st.integers(0, 2)))
        mod.methods = list(table.values())
        opaque_r, opaque_w = draw(st.booleans()), draw(st.booleans())
        body, truth = _draw_block(draw, mod, Scope(), 0, opaque_r, opaque_w, max_size=6)
        lines += _indent(["def process(self, row, out):", *_indent(body)])
        specs.append(ProcessorSpec(cls, truth.resolve(table)))
        if draw(st.integers(0, 2)) == 0:
            # A subclass: may override methods `process` calls, and extend process via super().
            sub = f"{cls}Sub"
            sub_table = dict(table)
            sub_lines: list[str] = []
            for name in draw(st.lists(st.sampled_from(sorted(table)), unique=True, max_size=2)
                             if table else st.just([])):
                override = _draw_override(draw, mod, table[name])
                sub_table[name] = override
                sub_lines += _indent(override.render())
            sub_truth = Truth().add(truth)
            if draw(st.booleans()):
                mod.methods = list(sub_table.values())
                extra, t = _draw_block(draw, mod, Scope(), 1, opaque_r, opaque_w)
                sub_truth.add(t)
                head = ["super().process(row, out)"]
                process = head + extra if draw(st.booleans()) else extra + head
                sub_lines += _indent(["def process(self, row, out):", *_indent(process)])
            lines += ["", "", f"class {sub}({cls}):", *(sub_lines or ["    pass"])]
            specs.append(ProcessorSpec(sub, sub_truth.resolve(sub_table), base=cls))
    return GeneratedModule("\n".join(lines) + "\n", specs)
