"""Resolve: interpret one Processor's ``process`` over abstract values to find its reads/writes.

The interpreter is flow-insensitive (a name may hold any value it is ever assigned) and
context-sensitive for calls (a helper is analyzed once per distinct binding of its
parameters), which makes it exact on ordinary code and sound everywhere else:

- every expression that may evaluate to the row, ``out`` or ``self`` has its *use* looked
  at: a constant-key subscript, ``.get``, ``in`` is an exact read; passing it on (an alias,
  a return, ``x or {}``, an argument to a helper the analyzer follows) is fine; any other
  use makes the analyzer assume the worst, with a diagnostic;
- a function value that escapes to code the analyzer cannot see is analyzed with unknown
  arguments (it may be called), so closures over the row are never missed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import (
    BuiltinAssignment,
    ClassScope,
    ComprehensionScope,
    ExpressionContext,
    FunctionScope,
    GlobalScope,
)

from pruner import diagnostics as dx
from pruner.transform import purity
from pruner.transform.collect import BindingSource, ClassInfo, FunctionNode
from pruner.transform.program import Program, imported_qualified_names
from pruner.transform.values import (
    EMPTY,
    MAX_STRINGS,
    FOREIGN,
    GLOBAL_STATE,
    ITERATOR,
    OPAQUE,
    OPAQUE_VALUE,
    OUT,
    ROW,
    SELF,
    SELF_STATE,
    Attr,
    Builtin,
    Cls,
    STATE_MARKERS,
    Env,
    Ext,
    Fresh,
    Func,
    Int,
    Map,
    Marker,
    Member,
    Method,
    Mod,
    Obj,
    Seq,
    Str,
    Super,
    from_strings,
    strings,
    widen,
)

STEP_BUDGET = 200_000          # evaluations per Processor before the analyzer gives up (soundly)
RECURSION_WIDEN_DEPTH = 8      # a function active this many times gets its constants forgotten

_ROW_KEY_METHODS = frozenset({"get", "__getitem__", "__contains__"})
_ROW_WHOLE_METHODS = frozenset({"keys", "items", "values", "copy", "__iter__", "__len__", "__eq__"})
_ROW_WRITE_METHODS = frozenset({"update", "setdefault", "pop", "popitem", "clear",
                                "__setitem__", "__delitem__"})
_OUT_KEY_WRITES = frozenset({"setdefault", "pop", "__setitem__", "__delitem__"})
_OUT_READS = frozenset({"get", "keys", "items", "values", "copy", "__contains__",
                        "__getitem__", "__len__", "__iter__"})
_HARMLESS_BUILTINS = frozenset({"isinstance", "type", "id", "callable", "issubclass"})
_ROW_WHOLE_BUILTINS = frozenset({"dict", "list", "tuple", "set", "frozenset", "sorted", "len",
                                 "iter", "enumerate", "zip", "reversed", "str", "repr", "sum",
                                 "any", "all", "min", "max", "map", "filter", "vars", "hash",
                                 "print", "format", "bool", "next"})
_SELF_SAFE_BUILTINS = frozenset({"isinstance", "type", "id", "getattr", "hasattr", "repr", "super",
                                 "str", "callable", "issubclass"})
_STR_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "title",
                          "casefold", "capitalize", "swapcase"})
_SIMPLE_DECORATORS = frozenset({"staticmethod", "classmethod", "property"})
# What an expression evaluates to while it is being evaluated (a cycle: `x = x.strip()`):
# plain data, like OPAQUE, but calling it is not unknown code (the callee is judged on its
# own, once evaluated).
CYCLE = Marker("CYCLE")
_CYCLE_VALUE = frozenset({OPAQUE, CYCLE})
# A constant index past the end of a sequence of known length: evaluating it raises, so it
# is no key (`fields[0]` at the bottom of a recursion over a constant tuple).
RAISES = Marker("RAISES")
# A value read from the process environment (also at import time).
ENV = Marker("ENV")
# Hooks that change what creating an object, or looking up or storing its attributes, does.
_OBJECT_HOOKS = frozenset({"__new__", "__init_subclass__", "__class_getitem__", "__getattr__",
                           "__getattribute__", "__setattr__", "__delattr__", "__set_name__"})
# Special methods that Python runs only when the code says so (followed as such).
_PLAIN_SPECIALS = frozenset({"__init__", "__post_init__", "__call__", "__doc__",
                             "__slots__", "__module__", "__qualname__", "__annotations__",
                             "__dataclass_fields__", "__match_args__"})
# Callees that never call, index or read attributes of what they are given.
_NON_CALLING = frozenset({"follow", "isinstance", "issubclass", "super", "type", "id", "callable"})
_BUILTIN_CONSTANTS = frozenset({"None", "True", "False", "Ellipsis", "NotImplemented", "__debug__",
                                "__name__", "__file__", "__doc__", "__package__", "__spec__",
                                "__loader__", "__builtins__"})


class _OverBudget(Exception):
    """Internal: the Processor is too complex to analyze within the step budget."""


@dataclass
class Facts:
    """What one Processor's analysis found (mutable while the analysis runs)."""

    reads: dict[str, cst.CSTNode] = field(default_factory=dict)   # field -> first site
    writes: dict[str, cst.CSTNode] = field(default_factory=dict)
    must_writes: set[str] = field(default_factory=set)   # written on every normal return (_must_function)
    removed: set[str] = field(default_factory=set)       # deleted from out somewhere
    reads_all: bool = False
    writes_all: bool = False
    unprunable: bool = False
    diagnostics: dict[tuple[str, str, int, int], dx.Diagnostic] = field(default_factory=dict)


class ProcessorAnalyzer:
    """Analyze ``process`` of one Processor class, given its linearized bases (MRO)."""

    def __init__(self, program: Program, mro: list[ClassInfo], *, has_unknown_bases: bool) -> None:
        self.index = program
        self.mro = mro
        self.has_unknown_bases = has_unknown_bases
        self.facts = Facts()
        self._eval_memo: dict[tuple[int, Env | None], frozenset] = {}
        self._eval_active: set[tuple[int, Env | None]] = set()
        self._summaries: dict[tuple[int, Env], frozenset] = {}
        self._active: dict[tuple[int, Env], int] = {}
        self._active_functions: dict[int, int] = {}
        self._escaped: set[tuple[int, Env | None]] = set()
        self._cycle_hits = 0
        self._steps = 0
        self._importing: set[str] = set()
        self.process_node: cst.FunctionDef | None = None
        # For must-writes: per (statement line, activation) the keys it certainly writes to
        # `out`, and the followed calls made at a certain place in it.
        self._line_writes: dict[tuple[int, Env | None], set[str]] = {}
        self._line_calls: dict[tuple[int, Env | None], dict[int, list[tuple[FunctionNode, Env]]]] = {}
        self._must_memo: dict[tuple[int, Env], frozenset[str]] = {}
        self._cached: set[int] = set()     # functions under functools.cache/lru_cache
        self._generators: dict[int, bool] = {}

    # ------------------------------------------------------------------ entry
    def run(self, process: FunctionNode) -> Facts:
        self.process_node = process if isinstance(process, cst.FunctionDef) else None
        anchor = process.name if isinstance(process, cst.FunctionDef) else process
        params = process.params
        positional = [*params.posonly_params, *params.params]
        decorators = {_decorator_name(d) for d in getattr(process, "decorators", ())}
        if len(positional) < 3 or decorators & {"staticmethod", "classmethod"}:
            self._report("bad-process-signature", anchor,
                         "process() should be `def process(self, row, out)`; "
                         "treated as reading and writing every field")
            self.facts.reads_all = self.facts.writes_all = True
            return self.facts
        binding = [(positional[0].name.value, frozenset({SELF})),
                   (positional[1].name.value, frozenset({ROW})),
                   (positional[2].name.value, frozenset({OUT}))]
        for extra in positional[3:]:
            binding.append((extra.name.value, OPAQUE_VALUE))
        env = Env(id(process), tuple(binding), None)
        try:
            self.analyze_function(process, env)
            if isinstance(process, cst.FunctionDef):
                self.facts.must_writes = set(self._must_function(process, env, frozenset()))
        except (_OverBudget, RecursionError):
            self._report("row-escapes", anchor,
                         "process() is too complex to analyze within the step budget; "
                         "treated as reading and writing every field, never pruned")
            self.facts.reads_all = self.facts.writes_all = True
            self.facts.unprunable = True
        return self.facts

    # ------------------------------------------------------------------ functions
    def analyze_function(self, fn: FunctionNode, env: Env) -> frozenset:
        """Walk the nodes `fn` owns under `env`; return the union of what it may return."""
        key = (id(fn), env)
        if key in self._summaries:
            return self._summaries[key]
        if key in self._active:
            self._cycle_hits += 1
            return OPAQUE_VALUE
        self._tick()
        self._active[key] = 1
        self._active_functions[id(fn)] = self._active_functions.get(id(fn), 0) + 1
        hits_before = self._cycle_hits
        returns: set = set()
        try:
            if isinstance(fn, cst.Lambda):
                returns |= self.eval(fn.body, env)
            for node in self.index.owned.get(id(fn), ()):
                self._inspect(node, env, returns)
        finally:
            del self._active[key]
            self._active_functions[id(fn)] -= 1
        result = frozenset(returns)
        if self._cycle_hits == hits_before:
            self._summaries[key] = result
        return result

    def _call_function(self, fn: FunctionNode, defining_env: Env | None, call: cst.Call | None,
                       call_env: Env | None, self_value: frozenset | None) -> frozenset:
        binding = self._bind(fn, defining_env, call, call_env, self_value)
        if self._active_functions.get(id(fn), 0) >= RECURSION_WIDEN_DEPTH:
            binding = tuple((name, widen(value)) for name, value in binding)
        # A call made while module-level code runs (or inside such a call) makes an activation
        # whose variables outlive every message: closures over them are state.
        outlives = bool((defining_env is not None and defining_env.outlives)
                        or (call_env is not None and call_env.outlives)
                        or (call is not None and call_env is None))   # (module, class body, __init__ store)
        env = Env(id(fn), binding, defining_env, outlives)
        if call is not None:
            self._note_call(call, call_env, fn, env)
        result = self.analyze_function(fn, env)
        if id(fn) not in self._generators:      # (per analysis: node ids are reused after it)
            self._generators[id(fn)] = is_generator(fn)
        if self._generators[id(fn)]:
            return frozenset({Seq(None, OPAQUE_VALUE), Fresh(ITERATOR)})
        return result

    def _escape_function(self, atom: Func | Method) -> None:
        """A function value reached code we cannot see: it may be called with anything."""
        defining_env = atom.env if isinstance(atom, Func) else None
        key = (atom.node_id, defining_env)
        if key in self._escaped:
            return
        self._escaped.add(key)
        self_value = self._method_self(atom) if isinstance(atom, Method) else None
        self._call_function(atom.node, defining_env, None, None, self_value)

    def _method_self(self, atom: Method) -> frozenset | None:
        """What a method's first parameter is bound to when it is called."""
        if atom.kind == "bound":
            return atom.bound
        if atom.kind == "instance":
            return frozenset({SELF})
        if atom.kind == "class":
            first = self.mro[0]
            return frozenset({Cls(first.module, first.name)})
        return None

    def _bind(self, fn: FunctionNode, defining_env: Env | None, call: cst.Call | None,
              call_env: Env | None, self_value: frozenset | None) -> tuple[tuple[str, frozenset], ...]:
        params = fn.params
        positional = [*params.posonly_params, *params.params]
        args = call.args if call is not None else ()
        pos_args = [a for a in args if not a.keyword and not a.star]
        keywords = {a.keyword.value: a for a in args if a.keyword is not None}
        starred = [a for a in args if a.star == "*"]
        double_starred = [a for a in args if a.star == "**"]
        unknown_extra = OPAQUE_VALUE if call is None or starred or double_starred else EMPTY
        binding: list[tuple[str, frozenset]] = []
        if self_value is not None and positional:
            binding.append((positional[0].name.value, self_value))
            positional = positional[1:]
        i = 0
        for param in positional:
            name = param.name.value
            if i < len(pos_args):
                value = self.eval(pos_args[i].value, call_env)
                i += 1
            elif name in keywords:
                value = self.eval(keywords[name].value, call_env)
            elif param.default is not None:   # made once, shared by every call
                value = self.eval(param.default, defining_env) | unknown_extra | {GLOBAL_STATE}
            else:
                value = OPAQUE_VALUE
            binding.append((name, value | unknown_extra if call is None else value))
        if isinstance(params.star_arg, cst.Param):
            extra = frozenset().union(*(self.eval(a.value, call_env) for a in pos_args[i:]))
            binding.append((params.star_arg.name.value, frozenset({Seq(None, extra | unknown_extra)})))
        for param in params.kwonly_params:
            name = param.name.value
            if name in keywords:
                value = self.eval(keywords[name].value, call_env)
            elif param.default is not None:
                value = self.eval(param.default, defining_env) | unknown_extra | {GLOBAL_STATE}
            else:
                value = OPAQUE_VALUE
            binding.append((name, value))
        if isinstance(params.star_kwarg, cst.Param):
            # (a keyword named like a positional-only parameter lands in **kwargs)
            used = {p.name.value for p in (*params.params, *params.kwonly_params)}
            extra_kw = {k: a for k, a in keywords.items() if k not in used}
            kvalues = frozenset().union(*(self.eval(a.value, call_env) for a in extra_kw.values()))
            keys = from_strings(set(extra_kw)) | unknown_extra
            binding.append((params.star_kwarg.name.value,
                            frozenset({Map(None, keys, kvalues | unknown_extra)})))
        return tuple(binding)

    # ------------------------------------------------------------------ the walk
    def _inspect(self, node: cst.CSTNode, env: Env, returns: set) -> None:
        self._tick()
        index = self.index
        if isinstance(node, cst.Return):
            if node.value is not None:
                returns |= self.eval(node.value, env)
            return
        if isinstance(node, cst.Global):
            self._unprunable("global-mutation", node,
                             "`global` rebinds module state while processing; never pruned")
            return
        if isinstance(node, cst.Nonlocal):
            outer = env.parent
            while outer is not None and not outer.outlives:
                outer = outer.parent
            if outer is not None or env.parent is None:
                self._unprunable("global-mutation", node, "`nonlocal` rebinds a variable of a closure "
                                 "made outside this message (at import time), which keeps its value "
                                 "between messages; never pruned")
            return
        if isinstance(node, cst.AugAssign):
            self._check_aug_assign(node, env)
            return
        if isinstance(node, cst.ClassDef):
            for statement in node.body.body:
                if isinstance(statement, cst.FunctionDef):
                    self._escape_function(Func(statement, id(statement), env))
            return
        if isinstance(node, cst.FunctionDef):
            if any(_decorator_name(d) not in _SIMPLE_DECORATORS for d in node.decorators):
                self._escape_function(Func(node, id(node), env))
            # its defaults are evaluated where the def runs, in this activation
            params = node.params
            for param in (*params.posonly_params, *params.params, *params.kwonly_params):
                if param.default is not None:
                    for inner in _tracked_nodes(param.default):
                        self._inspect(inner, env, set())
            return
        if isinstance(node, cst.Call):
            self._check_call_effects(node, env)
        if isinstance(node, (cst.Subscript, cst.Attribute)):
            ctx = index.context(node)
            if ctx in (ExpressionContext.STORE, ExpressionContext.DEL):
                self._check_store(node, env)
                return
        if isinstance(node, cst.Name) and id(node) not in index.accesses:
            return
        if isinstance(node, cst.Comparison):
            return
        value = self.eval(node, env)
        self._check_value_use(node, env, value)
        self._check_nested(node, env, value)
        for atom in value:
            if atom is ROW:
                self._use_row(node, env)
            elif atom is OUT:
                self._use_out(node, env)
            elif atom is SELF:
                self._use_self(node, env)
            elif isinstance(atom, (Func, Method)):
                self._use_function(node, env, atom)

    def _check_value_use(self, node: cst.CSTNode, env: Env, value: frozenset) -> None:
        """Effects of using a value, not only of calling it: indexing or iterating an object
        made by unknown code, consuming a long-lived iterator, reading the environment, a
        mutating method of shared state handed to other code."""
        if ENV in value:
            self._unprunable("environment-read", node, f"{_describe(node)} comes from the process "
                             "environment (read at import time), which can differ between runs; "
                             "never pruned (declare @pure if it is fixed for the job's life)")
        interesting = FOREIGN in value or any(isinstance(a, (Ext, Attr, Fresh, Builtin, Cls, Obj)) for a in value)
        if not interesting:
            return
        kind, info = self._context(node)
        state = value & STATE_MARKERS
        for atom in value:
            if isinstance(atom, Ext) and purity.effect_of(atom.qname) == "env":
                self._unprunable("environment-read", node, f"{atom.qname} is the process "
                                 "environment, which can differ between runs; never pruned "
                                 "(declare @pure if it is fixed for the job's life)")
        if kind == "call-func":
            return        # judged by _check_call_effects
        if FOREIGN in value and kind not in ("propagate", "discard", "identity", "container",
                                             "stored", "attribute"):
            if not (kind == "arg" and self._callee_verdict(info[1], env) == "follow"):
                self._unknown_use(node, "an object made by code the analyzer cannot see is used "
                                        f"({_describe_context(kind)}), which runs that code")
        consuming = kind in ("iterate", "unpack", "method") or (
            kind == "arg" and self._callee_verdict(info[1], env) != "follow")
        if consuming and state and any(isinstance(a, Fresh) and a.qname == ITERATOR for a in value):
            self._check_mutation(state, node, f"consuming {_describe(node)} (an iterator kept "
                                              "between messages)")
        if kind == "arg" and self._callee_verdict(info[1], env) not in _NON_CALLING:
            for atom in value:
                self._check_handed_on(atom, node)
        if kind in ("iterate", "unpack", "other", "truth", "compare", "contains") or (
                kind == "arg" and self._callee_verdict(info[1], env) not in _NON_CALLING):
            for atom in value:
                if isinstance(atom, Obj):    # {**obj}, for x in obj, str(obj): its methods may run
                    self._escape_methods(atom, value & STATE_MARKERS)
        if kind == "subscript" and state and self.index.context(info) is ExpressionContext.LOAD \
                and any(isinstance(a, Fresh) and a.qname == "collections.defaultdict" for a in value):
            self._check_mutation(state, node, f"indexing the defaultdict {_describe(node)}")
        if kind not in ("attribute", "discard"):
            for atom in value:
                if not isinstance(atom, Attr):
                    continue
                # a bound method handed on (map(SEEN.append, xs)): it may be called
                if atom.name in purity.MUTATING_METHODS:
                    self._check_mutation(state | frozenset(
                        a for a in atom.receiver if a is OPAQUE or a in STATE_MARKERS), node,
                        f"{_describe(node)}, handed on,")
                elif FOREIGN in atom.receiver:
                    self._unknown_use(node, f"{_describe(node)} is an attribute of an object made by "
                                            "code the analyzer cannot see")

    def _check_nested(self, node: cst.CSTNode, env: Env, value: frozenset) -> None:
        """The row, out or self held inside a container (`*args`, `**kwargs`): moving the
        container around or taking its elements is followed; any other use of the container
        (`str(args)`, `args == x`, passing it to unknown code) uses what it holds as a whole."""
        if not any(isinstance(a, (Seq, Map)) for a in value):
            return
        nested = _nested_markers(value) - value
        if not nested:
            return
        kind, info = self._context(node)
        if kind in ("propagate", "discard", "identity", "subscript", "iterate", "unpack", "container"):
            return
        if kind == "arg" and self._callee_verdict(info[1], env) == "follow":
            return
        if kind == "method" and info[0] in _STRUCTURAL_METHODS:
            return
        what = _describe_context(kind)
        if ROW in nested:
            self._read_all("row-escapes", node, f"a container holding the row is used as a whole ({what})")
        if OUT in nested:
            self._write_all("out-escapes", node, f"a container holding `out` is used as a whole ({what})")
        if SELF in nested:
            self._unprunable("self-escapes", node, f"a container holding `self` is used as a whole "
                                                   f"({what}); never pruned")

    def _check_handed_on(self, atom: object, node: cst.CSTNode) -> None:
        """A callable handed to code that may call it (map(print, xs), defaultdict(f),
        json.dumps(cls=C), partial(f)): judged as if it were called there."""
        shown = _describe(node)
        if isinstance(atom, Builtin):
            if atom.name in purity.PURE_BUILTINS or atom.name in purity.EXCEPTION_BUILTINS \
                    or atom.name in _BUILTIN_CONSTANTS:
                return
            if atom.name in purity.IO_BUILTINS:
                self._unprunable("io-call", node, f"{shown} is handed on to be called: I/O; never pruned")
            else:
                self._unknown_use(node, f"{shown} is handed on to be called, and it is not pure")
        elif isinstance(atom, Ext):
            last = atom.qname.rpartition(".")[2]
            if purity.function_kind(atom.qname) in ("pure", "fresh") or atom.qname in purity.PURE_CONSTANTS \
                    or (last.isupper() and purity.effect_of(atom.qname) is None):
                return        # (ROUND_HALF_UP, re.IGNORECASE: constants, not code)
            effect = purity.effect_of(atom.qname)
            if effect == "io":
                self._unprunable("io-call", node, f"{shown} is handed on to be called: I/O; never pruned")
            elif effect in ("clock", "random"):
                self._unprunable("nondeterministic-call", node, f"{shown} is handed on to be called: "
                                 "a clock or randomness; never pruned")
            elif effect == "env":
                self._unprunable("environment-read", node, f"{shown} is handed on: it reads the environment")
            else:
                self._unknown_use(node, f"{shown} is handed on to be called, and it is not on the "
                                        "allow-list")
        elif isinstance(atom, Cls):
            self._unknown_use(node, f"the class {atom.name} is handed to code that may create it "
                                    "and call its methods")
        elif isinstance(atom, Obj) and self._has_code_attributes(atom):
            self._unknown_use(node, f"{shown}, an object with properties or methods, is handed to "
                                    "code that may run them")
        elif isinstance(atom, Attr) and atom.name not in purity.PURE_METHODS \
                and atom.name not in purity.MUTATING_METHODS:
            self._unknown_use(node, f"{shown}, a method the analyzer does not know, is handed on")

    def _escape_methods(self, atom: Obj, state: frozenset) -> None:
        info = self._class_info(atom)
        if info is None:
            return
        for cls in self.index.mro(info)[0]:
            for method in cls.methods.values():
                if not any(_decorator_name(d) == "staticmethod" for d in method.decorators):
                    self._escape_function(Method(method, id(method), "bound", frozenset({atom}) | state))

    def _has_code_attributes(self, atom: Obj, name: str | None = None) -> bool:
        """Whether reading (or storing) attribute `name` (any, when None) of the instance may
        run code: a property, a decorated method, a descriptor."""
        info = self._class_info(atom)
        if info is None:
            return True
        mro, _, unknown = self.index.mro(info)
        if unknown:
            return True
        for cls in mro:
            for method_name, method in cls.methods.items():
                if name is not None and method_name != name:
                    continue
                if any(_decorator_name(d) not in ("staticmethod", "classmethod") for d in method.decorators):
                    return True
            if name is not None and name in cls.methods:
                return False
        return False

    def _unknown_use(self, node: cst.CSTNode, message: str) -> None:
        self._unprunable("unknown-call", node, f"{message}: it may have effects, so the Processor "
                         "is never pruned (declare @pure on it if it is pure)")

    # ------------------------------------------------------------------ uses
    def _use_row(self, node: cst.CSTNode, env: Env) -> None:
        kind, info = self._context(node)
        if kind in ("propagate", "discard", "identity"):
            return
        if kind == "subscript":
            if self.index.context(info) is not ExpressionContext.LOAD:
                return  # a store into the row: reported by _check_store
            key = _subscript_key(info)
            self._read_key(key, env, node)
            return
        if kind == "method":
            name, call = info
            if name in _ROW_KEY_METHODS:
                first = _first_arg(call)
                self._read_key(first, env, node)
            elif name in _ROW_WHOLE_METHODS:
                self._read_all("row-iteration", node, f"row.{name}() touches every field")
            elif name in _ROW_WRITE_METHODS:
                self._report("row-write", node, f"row.{name}() changes the row, which is read-only; "
                                                "write outputs to `out`")
            else:
                self._read_all("row-escapes", node, f"row.{name}(...) is not a mapping read the analyzer knows")
            return
        if kind == "contains":
            self._read_key(info, env, node)
            return
        if kind == "arg":
            arg, call = info
            if arg.star:
                self._read_all("row-iteration", node, f"`{arg.star}row` unpacks every field")
                return
            verdict = self._callee_verdict(call, env)
            if verdict == "follow":
                return
            if verdict in _HARMLESS_BUILTINS:
                return
            if verdict in _ROW_WHOLE_BUILTINS:
                self._read_all("row-iteration", node, f"{verdict}(row) touches every field")
                return
            self._read_all("row-escapes", node, f"the row is passed to {_describe(call.func)}, "
                                                "which the analyzer cannot follow")
            return
        if kind in ("iterate", "unpack"):
            self._read_all("row-iteration", node, "iterating or unpacking the row touches every field")
            return
        self._read_all("row-escapes", node, "the row is used in a way the analyzer cannot follow "
                                            f"({_describe_context(kind)})")

    def _use_out(self, node: cst.CSTNode, env: Env) -> None:
        kind, info = self._context(node)
        if kind in ("propagate", "discard", "identity", "contains", "iterate", "subscript"):
            return  # stores through subscripts are handled by _check_store
        if kind == "method":
            name, call = info
            if name in _OUT_READS:
                return
            if name == "update":
                self._write_update(call, env, node)
                return
            if name in _OUT_KEY_WRITES:
                removes = name in ("pop", "__delitem__")
                self._write_key(_first_arg(call), env, node, removes=removes)
                return
            self._write_all("out-escapes", node, f"out.{name}() may write any field")
            return
        if kind == "arg":
            arg, call = info
            verdict = self._callee_verdict(call, env)
            if verdict == "follow" or verdict in _HARMLESS_BUILTINS:
                return
            if verdict in _ROW_WHOLE_BUILTINS and not arg.star:
                return  # dict(out), len(out): reads its own outputs
            self._write_all("out-escapes", node, f"`out` is passed to {_describe(call.func)}, "
                                                 "which the analyzer cannot follow")
            return
        self._write_all("out-escapes", node, "`out` is used in a way the analyzer cannot follow "
                                             f"({_describe_context(kind)})")

    def _use_self(self, node: cst.CSTNode, env: Env) -> None:
        kind, info = self._context(node)
        if kind in ("propagate", "discard", "identity", "contains", "attribute", "method",
                    "subscript", "compare"):
            return
        if kind == "arg":
            arg, call = info
            verdict = self._callee_verdict(call, env)
            if verdict == "follow" or verdict in _SELF_SAFE_BUILTINS:
                return
            if verdict in ("setattr", "delattr"):
                self._unprunable("self-mutation", node, f"{verdict}(self, ...) changes the Processor's "
                                                        "state across messages; never pruned")
                return
            self._unprunable("self-escapes", node, f"`self` is passed to {_describe(call.func)}, "
                                                   "which may change its state; never pruned")
            return
        self._unprunable("self-escapes", node, "`self` is used in a way the analyzer cannot follow "
                                               f"({_describe_context(kind)}); never pruned")

    def _use_function(self, node: cst.CSTNode, env: Env, atom: Func | Method) -> None:
        kind, info = self._context(node)
        if kind in ("propagate", "discard", "call-func", "identity", "attribute"):
            return
        if kind == "arg":
            arg, call = info
            verdict = self._callee_verdict(call, env)
            if verdict == "follow":
                return
            position = [a for a in call.args if a.keyword is None and not a.star].index(arg) \
                if arg.keyword is None and not arg.star else None
            keyword = arg.keyword.value if arg.keyword is not None else None
            if (verdict in ("map", "filter") and position == 0) or (
                    verdict in ("sorted", "min", "max") and keyword == "key") or (
                    verdict == "functools.reduce" and position == 0):
                return        # followed with the elements it is called on (_apply)
        self._escape_function(atom)

    def _callee_verdict(self, call: cst.Call, env: Env) -> str:
        """'follow' when every possible callee is analyzable code, a builtin's name, or 'unknown'."""
        callee = _without_markers(self.eval(call.func, env))
        if callee and all(isinstance(a, (Func, Method)) for a in callee):
            return "follow"
        if len(callee) == 1:
            (atom,) = callee
            if isinstance(atom, Builtin):
                return atom.name
            if isinstance(atom, Ext) and atom.qname == "functools.reduce":
                return atom.qname
        return "unknown"

    # ------------------------------------------------------------------ reads and writes
    def _read_key(self, key_node: cst.BaseExpression | None, env: Env, site: cst.CSTNode) -> None:
        if key_node is not None and self.eval(key_node, env) == frozenset({RAISES}):
            return
        keys = strings(self.eval(key_node, env)) if key_node is not None else None
        if keys is None:
            what = _describe(key_node) if key_node is not None else "a slice"
            self._read_all("dynamic-read-key", site, f"row key {what} is not a constant")
            return
        for key in keys:
            self.facts.reads.setdefault(key, site)

    def _write_key(self, key_node: cst.BaseExpression | None, env: Env, site: cst.CSTNode,
                   *, removes: bool = False) -> None:
        if key_node is not None and self.eval(key_node, env) == frozenset({RAISES}):
            return
        keys = strings(self.eval(key_node, env)) if key_node is not None else None
        if keys is None:
            what = _describe(key_node) if key_node is not None else "a slice"
            self._write_all("dynamic-write-key", site, f"output key {what} is not a constant")
            return
        for key in keys:
            self.facts.writes.setdefault(key, site)
        if removes:
            self.facts.removed |= keys
        elif len(keys) == 1 and self._certainly_out(site, env):
            self._note_certain(site, env, keys)

    def _certainly_out(self, site: cst.CSTNode, env: Env) -> bool:
        """Whether the container written at `site` is always the real `out` (not `out if c
        else {}`, not a name also bound to another dict)."""
        base = site.value if isinstance(site, cst.Subscript) else site
        return _without_markers(self.eval(base, env)) == frozenset({OUT})

    def _write_update(self, call: cst.Call, env: Env, site: cst.CSTNode) -> None:
        unconditional = self._certainly_out(site, env)
        for arg in call.args:
            if arg.keyword is not None:
                self.facts.writes.setdefault(arg.keyword.value, site)
                if unconditional:
                    self._note_certain(site, env, {arg.keyword.value})
                continue
            value = self.eval(arg.value, env)
            keys = _map_keys(value)
            if keys is None and not arg.star:
                pairs = _pairs(value)        # out.update(zip(NAMES, values)), a list of pairs
                keys = strings(pairs[0]) if pairs is not None and pairs[0] else None
            if keys is None:
                self._write_all("dynamic-write-key", site,
                                f"out.update({_describe(arg.value)}) writes keys the analyzer cannot see")
                return
            for key in keys:
                self.facts.writes.setdefault(key, site)
            if unconditional:
                self._note_certain(site, env, _exact_map_keys(value))

    # ------------------------------------------------------------------ must-writes
    def _line_of(self, site: cst.CSTNode) -> cst.CSTNode | None:
        """The statement line that surely evaluates `site` when it runs, or None when `site`
        sits in a branch of a conditional expression, a lambda or a comprehension."""
        node = site
        while True:
            parent = self.index.parent(node)
            if parent is None:
                return None
            if isinstance(parent, cst.IfExp) and parent.test is not node:
                return None
            if isinstance(parent, cst.BooleanOperation) and parent.left is not node:
                return None
            if isinstance(parent, (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp,
                                   cst.GeneratorExp, cst.BaseCompoundStatement)):
                return None
            if isinstance(parent, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                return parent
            node = parent

    def _note_certain(self, site: cst.CSTNode, env: Env, keys) -> None:
        line = self._line_of(site)
        if line is not None and keys:
            self._line_writes.setdefault((id(line), env), set()).update(keys)

    def _note_call(self, call: cst.Call, call_env: Env | None, fn: FunctionNode, env: Env) -> None:
        line = self._line_of(call)
        if line is not None:
            calls = self._line_calls.setdefault((id(line), call_env), {})
            calls.setdefault(id(call), []).append((fn, env))

    def _must_function(self, fn: FunctionNode, env: Env, active: frozenset) -> frozenset[str]:
        """Keys `fn` (in activation `env`) writes to `out` on every normal return."""
        key = (id(fn), env)
        if key in self._must_memo:
            return self._must_memo[key]
        if key in active or not isinstance(fn, cst.FunctionDef) or fn.asynchronous is not None:
            return frozenset()
        body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else [fn.body]
        fall, returns = self._must_block(body, env, frozenset(), active | {key})
        ends = returns + ([fall] if fall is not None else [])
        result = frozenset.intersection(*ends) if ends else frozenset()
        self._must_memo[key] = result
        return result

    def _must_line(self, line: cst.CSTNode, env: Env, active: frozenset) -> frozenset[str]:
        keys = set(self._line_writes.get((id(line), env), ()))
        for activations in self._line_calls.get((id(line), env), {}).values():
            musts = [self._must_function(fn, fenv, active) for fn, fenv in activations]
            if musts:
                keys |= frozenset.intersection(*musts)
        return frozenset(keys)

    def _must_block(self, statements, env: Env, before: frozenset,
                    active: frozenset) -> tuple[frozenset | None, list[frozenset]]:
        """(keys certainly written when the block falls through, or None when it cannot;
        the keys certainly written at each `return` inside it). Raising paths do not count:
        they are no normal return."""
        returns: list[frozenset] = []
        current: frozenset | None = before
        for statement in statements:
            if current is None:
                break
            if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                current = current | self._must_line(statement, env, active)
                small = statement.body
                if any(isinstance(s, cst.Return) for s in small):
                    returns.append(current)
                    current = None
                elif any(isinstance(s, cst.Raise) for s in small):
                    current = None
            elif isinstance(statement, cst.If):
                body_fall, body_returns = self._must_suite(statement.body, env, current, active)
                if statement.orelse is None:
                    else_fall, else_returns = current, []
                elif isinstance(statement.orelse, cst.If):
                    else_fall, else_returns = self._must_block([statement.orelse], env, current, active)
                else:
                    else_fall, else_returns = self._must_suite(statement.orelse.body, env, current, active)
                returns += body_returns + else_returns
                falls = [f for f in (body_fall, else_fall) if f is not None]
                current = frozenset.intersection(*falls) if falls else None
            elif isinstance(statement, cst.Try):
                body_fall, body_returns = self._must_suite(statement.body, env, current, active)
                returns += body_returns
                falls = []
                if body_fall is not None:
                    if statement.orelse is not None:
                        body_fall, else_returns = self._must_suite(statement.orelse.body, env, body_fall, active)
                        returns += else_returns
                    if body_fall is not None:
                        falls.append(body_fall)
                for handler in statement.handlers:     # the body may stop anywhere: from `current`
                    handler_fall, handler_returns = self._must_suite(handler.body, env, current, active)
                    returns += handler_returns
                    if handler_fall is not None:
                        falls.append(handler_fall)
                current = frozenset.intersection(*falls) if falls else None
                if statement.finalbody is not None and current is not None:
                    final_fall, final_returns = self._must_suite(statement.finalbody.body, env, current, active)
                    returns += final_returns
                    current = final_fall
            elif isinstance(statement, cst.Match):
                falls = []
                exhaustive = False
                for case in statement.cases:
                    case_fall, case_returns = self._must_suite(case.body, env, current, active)
                    returns += case_returns
                    if case_fall is not None:
                        falls.append(case_fall)
                    if case.guard is None and isinstance(case.pattern, cst.MatchAs) and case.pattern.pattern is None:
                        exhaustive = True
                if not exhaustive:
                    falls.append(current)
                current = frozenset.intersection(*falls) if falls else None
            elif isinstance(statement, (cst.For, cst.While, cst.With)):
                # the body may run no time, or (a with) be cut short by a suppressed exception
                _, body_returns = self._must_suite(statement.body, env, current, active)
                returns += body_returns
                orelse = getattr(statement, "orelse", None)
                if orelse is not None:
                    _, else_returns = self._must_suite(orelse.body, env, current, active)
                    returns += else_returns
            # (def, class and other statements write nothing to out)
        return current, returns

    def _must_suite(self, suite, env: Env, before: frozenset,
                    active: frozenset) -> tuple[frozenset | None, list[frozenset]]:
        statements = suite.body if isinstance(suite, cst.IndentedBlock) else [suite]
        return self._must_block(statements, env, before, active)

    def _check_store(self, node: cst.Subscript | cst.Attribute, env: Env) -> None:
        base = self.eval(node.value, env)
        if ROW in base:
            self._report("row-write", node, "the row is read-only; write outputs to `out`")
        if OUT in base:
            if isinstance(node, cst.Subscript):
                self._write_key(_subscript_key(node), env, node,
                                removes=self.index.context(node) is ExpressionContext.DEL)
            else:
                self._write_all("out-escapes", node, f"setting out.{node.attr.value} is not a field write")
        if SELF in base or SELF_STATE in base:
            self._unprunable("self-mutation", node, f"{_describe(node)} changes the Processor's "
                                                    "state across messages; never pruned")
        if GLOBAL_STATE in base or any(isinstance(a, (Cls, Func, Method, Mod, Ext)) for a in base):
            self._unprunable("global-mutation", node, f"{_describe(node)} changes module-level "
                                                      "state (a class, function or module attribute); "
                                                      "never pruned")
        if isinstance(node, cst.Attribute):
            for atom in base:
                if isinstance(atom, Obj) and self._has_code_attributes(atom, node.attr.value):
                    self._unknown_use(node, f"{_describe(node)} = ... runs a property setter or "
                                            "descriptor of the instance")
        stateful = SELF in base or bool(base & STATE_MARKERS) or any(
            isinstance(a, (Cls, Func, Method, Mod, Ext)) for a in base)
        if not stateful and (OPAQUE in base or FOREIGN in base or any(isinstance(a, Attr) for a in base)):
            self._unprunable("shared-mutation", node, f"{_describe(node)} changes a value this call "
                                                      "did not create (a row value, an element, an "
                                                      "argument); never pruned")
        # Evaluate the base as a use too (e.g. `helper(row)[k] = v` still follows the helper).
        for inner in (node.value,):
            if isinstance(inner, cst.Call):
                self.eval(inner, env)

    def _check_aug_assign(self, node: cst.AugAssign, env: Env) -> None:
        if isinstance(node.target, cst.Name):
            value = self._eval_name(node.target, env)
            if OUT in value and isinstance(node.operator, cst.BitOrAssign):
                keys = _map_keys(self.eval(node.value, env))   # out |= {...}: a dict update
                if keys is None:
                    self._write_all("dynamic-write-key", node, f"`out |= {_describe(node.value)}` "
                                    "writes keys the analyzer cannot see")
                for key in keys or ():
                    self.facts.writes.setdefault(key, node)
            elif OUT in value:
                self._write_all("out-escapes", node, "augmented assignment to `out` may write any field")
            if ROW in value:
                self._report("row-write", node, "the row is read-only; write outputs to `out`")
            # `tags += [...]`, `xs *= 2`, `known |= {...}` change a list/set/dict in place: judge
            # the object the name held before (its other bindings), not the new value.
            before = self._value_before_aug(node.target, env)
            operand = self.eval(node.value, env)
            numeric_or_text = operand and all(isinstance(a, (Int, Str)) for a in operand)
            in_place = not (numeric_or_text and not isinstance(node.operator, cst.MultiplyAssign))
            if in_place and not (OUT in value or ROW in value):
                mutable = frozenset(a for a in before if not isinstance(a, (Int, Str)))
                self._check_mutation(mutable, node, f"{_describe(node)}")

    def _value_before_aug(self, name: cst.Name, env: Env) -> frozenset:
        """What the name may hold before an augmented assignment: its non-augmented bindings."""
        scope = self.index.scopes.get(name)
        try:
            assignments = scope[name.value] if scope is not None else ()
        except Exception:
            return OPAQUE_VALUE
        result: set = set()
        for assignment in assignments:
            node = getattr(assignment, "node", None)
            source = self.index.bindings.get(id(node)) if isinstance(node, cst.Name) else None
            if source is not None and source.kind == "aug":
                continue
            result |= self._eval_assignment(assignment, env)
        return frozenset(result) or OPAQUE_VALUE

    def _check_call_effects(self, call: cst.Call, env: Env) -> None:
        """The purity model, applied to one call: it is allowed only when every callee it may
        be is followed plugin code or listed in purity.py; anything else is unknown code."""
        callee = self.eval(call.func, env)
        name = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        state = frozenset(a for a in callee if a in STATE_MARKERS)
        # a generator kept between messages (module-level or on self) advances on every draw
        if state and any(isinstance(a, Attr) and a.name != "getstate" and any(
                isinstance(r, Fresh) and r.qname == "random.Random" for r in a.receiver) for a in callee):
            self._check_mutation(state, call, f"{_describe(call.func)}(...) (a random generator kept "
                                              "between messages)")
        if name is not None and name in purity.MUTATING_METHODS and state:
            self._check_mutation(state, call, f"{_describe(call.func)}(...)")
            callee = callee - {a for a in callee if isinstance(a, Attr)}   # reported as state
        for atom in callee:
            if isinstance(atom, (Func, Method)) or atom in STATE_MARKERS or atom is CYCLE \
                    or (atom is OPAQUE and CYCLE in callee):
                continue
            if isinstance(atom, Builtin):
                self._check_builtin(atom.name, call, env)
            elif isinstance(atom, Ext):
                self._check_external(atom.qname, call, env)
            elif isinstance(atom, Attr):
                self._check_method(atom, call)
            elif isinstance(atom, Cls):
                continue          # instantiation: checked where it is evaluated (_instantiate)
            elif isinstance(atom, Obj):
                continue          # calling an instance: its __call__ is followed or unknown
            elif isinstance(atom, Fresh) and atom.qname in purity.CALLABLE_RESULTS:
                continue
            else:
                self._unknown_call(call, f"{_describe(call.func)} is a value the analyzer cannot "
                                         "resolve to code it knows")
        self.eval(call, env)

    def _check_builtin(self, name: str, call: cst.Call, env: Env) -> None:
        if name in purity.IO_BUILTINS:
            self._unprunable("io-call", call, f"{name}() performs I/O, an effect that skipping "
                             "would lose; never pruned")
        elif name in purity.DYNAMIC_BUILTINS:
            self._unprunable("dynamic-code", call, f"{name}() can read and write anything; "
                             "treated as reading and writing every field, never pruned")
            self.facts.reads_all = self.facts.writes_all = True
        elif name in purity.NONDETERMINISTIC_BUILTINS:
            self._unprunable("nondeterministic-call", call, f"{name}() differs between processes "
                             "(salted hashes, addresses); never pruned")
        elif name in purity.BUILTIN_MUTATES_FIRST_ARGUMENT:
            first = _first_arg(call)
            self._check_mutation(self.eval(first, env) if first is not None else OPAQUE_VALUE,
                                 call, f"{name}()")
        elif name not in purity.PURE_BUILTINS and name not in purity.EXCEPTION_BUILTINS:
            self._unknown_call(call, f"the builtin {name}() is not one the analyzer knows to be pure")

    def _check_external(self, qname: str, call: cst.Call, env: Env) -> None:
        kind = purity.function_kind(qname)
        if kind in ("pure", "fresh"):
            return
        if kind == "mutates-first":
            first = _first_arg(call)
            self._check_mutation(self.eval(first, env) if first is not None else OPAQUE_VALUE,
                                 call, f"{qname}()")
            return
        if kind == "random-seeded":
            seeds = [self.eval(a.value, env) for a in call.args if a.keyword is None and not a.star]
            if not seeds or any(not v or not all(isinstance(a, (Int, Str)) or a in STATE_MARKERS for a in v)
                                for v in seeds):
                self._unprunable("nondeterministic-call", call, f"{qname}() without a seed is "
                                 "random; never pruned (seed it, or declare @pure)")
            return
        effect = purity.effect_of(qname)
        shown = qname.removeprefix("builtins.")
        if effect == "env":
            self._unprunable("environment-read", call, f"{shown} reads the process environment, "
                             "which can differ between runs; never pruned (declare @pure if it "
                             "is fixed for the job's life)")
        elif effect in ("clock", "random"):
            self._unprunable("nondeterministic-call", call, f"{shown}() makes the result depend "
                             "on more than the row; never pruned")
        elif effect == "io":
            self._unprunable("io-call", call, f"{shown}() performs I/O, an effect that skipping "
                             "would lose; never pruned")
        elif effect == "dynamic":
            self._unprunable("dynamic-code", call, f"{shown}() can read and write anything; "
                             "treated as reading and writing every field, never pruned")
            self.facts.reads_all = self.facts.writes_all = True
        else:
            self._unknown_call(call, f"{shown}() is outside the plugin files and not on the "
                                     "analyzer's list of pure functions")

    def _check_method(self, atom: Attr, call: cst.Call) -> None:
        name = atom.name
        for receiver in atom.receiver:
            if receiver is FOREIGN:
                self._unknown_call(call, f"{_describe(call.func)}(...) is a method of an object made "
                                         "by code the analyzer cannot see")
                continue
            if name in purity.PURE_METHODS or receiver is ROW or receiver is OUT:
                continue          # (uses of the row and out are judged by _use_row/_use_out)
            if isinstance(receiver, Fresh) and receiver.qname == "random.Random" and name == "seed" \
                    and not call.args:
                self._unprunable("nondeterministic-call", call, f"{_describe(call.func)}() seeds from "
                                 "the operating system; never pruned")
                continue
            if isinstance(receiver, Fresh) and (receiver.qname == "random.Random"
                                                or name in purity.MUTATING_METHODS):
                continue          # a new object of this call's own: changing it is local
            if isinstance(receiver, (Seq, Map)) and name in purity.MUTATING_METHODS:
                continue          # a container this call built (module/self ones carry a marker)
            if name in purity.MUTATING_METHODS:
                self._unprunable("shared-mutation", call, f"{_describe(call.func)}(...) changes a "
                                 "value this call did not create (a row value, an element, an "
                                 "argument); never pruned")
                continue
            self._unknown_call(call, f"{_describe(call.func)}(...) is a method the analyzer does "
                                     "not know to be pure on this value")

    def _check_mutation(self, value: frozenset, site: cst.CSTNode, what: str) -> None:
        """`what` changes `value` in place: fine on what this call made, an effect otherwise."""
        for atom in value:
            if atom is SELF_STATE or atom is SELF:
                self._unprunable("self-mutation", site, f"{what} changes the Processor's state "
                                 "across messages; never pruned")
            elif atom is GLOBAL_STATE:
                self._unprunable("global-mutation", site, f"{what} changes module-level state; "
                                 "never pruned")
            elif atom is ROW:
                self._report("row-write", site, "the row is read-only; write outputs to `out`")
            elif atom is OUT:
                self._write_all("out-escapes", site, f"{what} changes `out` in a way the analyzer "
                                "cannot follow")
            elif atom is OPAQUE or isinstance(atom, (Attr, Cls, Mod, Ext, Builtin, Func, Method)):
                self._unprunable("shared-mutation", site, f"{what} changes a value this call did "
                                 "not create; never pruned")

    def _unknown_call(self, call: cst.Call, message: str) -> None:
        self._unprunable("unknown-call", call, f"{message}: it may have effects, so the Processor "
                         "is never pruned (declare @pure on it if the call is pure)")

    # ------------------------------------------------------------------ contexts
    def _context(self, node: cst.CSTNode) -> tuple[str, object]:
        index = self.index
        parent = index.parent(node)
        if isinstance(parent, cst.Subscript) and parent.value is node:
            return "subscript", parent
        if isinstance(parent, cst.Attribute) and parent.value is node:
            grand = index.parent(parent)
            if isinstance(grand, cst.Call) and grand.func is parent:
                return "method", (parent.attr.value, grand)
            return "attribute", parent
        if isinstance(parent, cst.Call) and parent.func is node:
            return "call-func", parent
        if isinstance(parent, cst.Arg):
            call = index.parent(parent)
            if isinstance(call, cst.Call) and parent.value is node:
                return "arg", (parent, call)
            return "other", None
        if isinstance(parent, cst.ComparisonTarget) and parent.comparator is node:
            comparison = index.parent(parent)
            assert isinstance(comparison, cst.Comparison)
            position = comparison.comparisons.index(parent)
            left = comparison.left if position == 0 else comparison.comparisons[position - 1].comparator
            if position + 1 < len(comparison.comparisons) and not isinstance(
                    comparison.comparisons[position + 1].operator, (cst.Is, cst.IsNot)):
                return "compare", None      # also the left side of the next comparison
            if isinstance(parent.operator, (cst.In, cst.NotIn)):
                return "contains", left
            if isinstance(parent.operator, (cst.Is, cst.IsNot)):
                return "identity", None
            return "compare", None
        if isinstance(parent, cst.Comparison) and parent.left is node:
            first = parent.comparisons[0].operator
            if isinstance(first, (cst.Is, cst.IsNot)):
                return "identity", None
            return "compare", None
        if isinstance(parent, cst.BooleanOperation):
            return "propagate", None
        if isinstance(parent, cst.IfExp):
            return ("truth", None) if parent.test is node else ("propagate", None)
        if isinstance(parent, cst.NamedExpr) and parent.value is node:
            return "propagate", None
        if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node:
            targets = ([t.target for t in parent.targets] if isinstance(parent, cst.Assign)
                       else [parent.target])
            if all(isinstance(t, cst.Name) and not self._is_global_name(t) for t in targets):
                return "propagate", None
            if any(isinstance(t, (cst.Tuple, cst.List)) for t in targets):
                return "unpack", None
            return "stored", None
        if isinstance(parent, cst.Return):
            return "propagate", None
        if isinstance(parent, cst.Lambda) and parent.body is node:
            return "propagate", None
        if isinstance(parent, cst.Expr):
            return "discard", None
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
            return "iterate", None
        if isinstance(parent, (cst.StarredDictElement, cst.StarredElement)):
            return "iterate", None
        if isinstance(parent, (cst.If, cst.While, cst.Assert, cst.CompIf)) or (
                isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not)):
            return "truth", None
        if isinstance(parent, (cst.Element, cst.DictElement)):
            return "container", None
        return "other", None

    def _is_global_name(self, name: cst.Name) -> bool:
        scope = self.index.scopes.get(name)
        if scope is None or isinstance(scope, GlobalScope):
            return isinstance(scope, GlobalScope)
        return any(isinstance(a.scope, GlobalScope) for a in scope[name.value]
                   if not isinstance(a, BuiltinAssignment))

    # ------------------------------------------------------------------ evaluation
    def eval(self, node: cst.CSTNode | None, env: Env | None) -> frozenset:
        if node is None:
            return OPAQUE_VALUE
        key = (id(node), env)
        cached = self._eval_memo.get(key)
        if cached is not None:
            return cached
        if key in self._eval_active:
            self._cycle_hits += 1
            return _CYCLE_VALUE
        self._tick()
        self._eval_active.add(key)
        hits_before = self._cycle_hits
        try:
            value = self._eval(node, env)
        finally:
            self._eval_active.discard(key)
        if not value:
            value = OPAQUE_VALUE
        if self._cycle_hits == hits_before:
            self._eval_memo[key] = value
        return value

    def _eval(self, node: cst.CSTNode, env: Env | None) -> frozenset:
        if isinstance(node, cst.SimpleString):
            try:
                text = node.evaluated_value
            except (SyntaxError, ValueError):  # an escape CPython rejects
                return OPAQUE_VALUE
            return frozenset({Str(text)}) if isinstance(text, str) else OPAQUE_VALUE
        if isinstance(node, cst.ConcatenatedString):
            return _concat(self.eval(node.left, env), self.eval(node.right, env))
        if isinstance(node, cst.FormattedString):
            return self._eval_fstring(node, env)
        if isinstance(node, cst.Integer):
            try:
                return frozenset({Int(int(node.evaluated_value))})
            except (ValueError, TypeError):
                return OPAQUE_VALUE
        if isinstance(node, cst.Name):
            return self._eval_name(node, env)
        if isinstance(node, cst.Attribute):
            return self._eval_attribute(node, env)
        if isinstance(node, cst.Call):
            return self._eval_call(node, env)
        if isinstance(node, cst.Subscript):
            return self._eval_subscript(node, env)
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            return self._eval_sequence(node, env)
        if isinstance(node, cst.Dict):
            return self._eval_dict(node, env)
        if isinstance(node, (cst.ListComp, cst.SetComp)):
            return frozenset({Seq(None, self.eval(node.elt, env))})
        if isinstance(node, cst.GeneratorExp):
            return frozenset({Seq(None, self.eval(node.elt, env)), Fresh(ITERATOR)})
        if isinstance(node, cst.DictComp):
            return frozenset({Map(None, self.eval(node.key, env), self.eval(node.value, env))})
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return _add(self.eval(node.left, env), self.eval(node.right, env))
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
            return _percent(self.eval(node.left, env), self.eval(node.right, env))
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            operand = self.eval(node.expression, env)
            if operand and all(isinstance(a, Int) for a in operand):
                return frozenset(Int(-a.value) for a in operand)
            return OPAQUE_VALUE
        if isinstance(node, cst.BooleanOperation):
            return self.eval(node.left, env) | self.eval(node.right, env)
        if isinstance(node, cst.IfExp):
            return self.eval(node.body, env) | self.eval(node.orelse, env)
        if isinstance(node, cst.NamedExpr):
            return self.eval(node.value, env)
        if isinstance(node, cst.Lambda):
            return frozenset({Func(node, id(node), env)})
        return OPAQUE_VALUE

    def _eval_fstring(self, node: cst.FormattedString, env: Env | None) -> frozenset:
        if node.prefix.lower() not in ("f", "rf", "fr"):
            return OPAQUE_VALUE
        results: set[str] = {""}
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                results = {r + part.value for r in results}
                continue
            if part.conversion is not None or part.format_spec is not None or part.equal is not None:
                return OPAQUE_VALUE   # (`{x=}` puts the expression's text and repr in the string)
            options = _texts(self.eval(part.expression, env))
            if options is None:
                return OPAQUE_VALUE
            results = {r + o for r in results for o in options}
            if len(results) > 256:
                return OPAQUE_VALUE
        if "{" in "".join(results) or "\\" in "".join(results):
            return OPAQUE_VALUE  # escaped braces or escapes in raw text: don't guess
        return from_strings(results)

    def _eval_name(self, node: cst.Name, env: Env | None) -> frozenset:
        scope = self.index.scopes.get(node)
        if scope is None:
            return OPAQUE_VALUE
        try:
            assignments = scope[node.value]
        except Exception:  # LibCST raises on some malformed scopes; stay sound
            return OPAQUE_VALUE
        if not assignments:
            return OPAQUE_VALUE
        result: set = set()
        for assignment in assignments:
            result |= self._eval_assignment(assignment, env)
        return frozenset(result)

    def _eval_assignment(self, assignment: object, env: Env | None) -> frozenset:
        if isinstance(assignment, BuiltinAssignment):
            if assignment.name in _BUILTIN_CONSTANTS:
                return OPAQUE_VALUE       # None, True, __name__, ...: plain data
            return frozenset({Builtin(assignment.name)})
        node = getattr(assignment, "node", None)
        scope = getattr(assignment, "scope", None)
        scope_env = self._env_for_scope(scope, env)
        if isinstance(node, cst.Name):
            source = self.index.bindings.get(id(node))
            if source is None:
                return OPAQUE_VALUE
            unsafe = (id(scope), node.value) in self.index.unsafe_names
            if isinstance(scope, GlobalScope):
                if unsafe:       # changed in place (or rebound elsewhere: anything at all)
                    value = _loosen(self._eval_source(source, None)) | {GLOBAL_STATE}
                    if (self.index.module_of(node).module, node.value) in self.index.externally_changed:
                        value |= {OPAQUE}
                    return value
                return self._eval_source(source, None) | {GLOBAL_STATE}
            if scope_env is None and isinstance(scope, (FunctionScope, ComprehensionScope)):
                return OPAQUE_VALUE
            value = self._eval_source(source, scope_env)
            if scope_env is not None and scope_env.outlives:
                value = value | {GLOBAL_STATE}    # a closure variable made at import time
            if unsafe:
                return _loosen(value)     # changed in ways not modelled: keep only what it holds
            additions = self.index.container_additions.get((id(scope), node.value))
            if additions:
                value = self._with_additions(value, additions, scope_env)
            return value
        if isinstance(node, cst.Param):
            owner = self.index.param_owner.get(id(node))
            found = env.lookup(id(owner)) if env is not None and owner is not None else None
            value = found.get(node.name.value) if found is not None else None
            return value if value is not None else OPAQUE_VALUE
        if isinstance(node, cst.FunctionDef):
            if isinstance(scope, (FunctionScope, ComprehensionScope)) and scope_env is None:
                return OPAQUE_VALUE
            if any(_decorator_name(d) not in _SIMPLE_DECORATORS for d in node.decorators):
                return self._decorated_value(node, scope_env)
            return frozenset({Func(node, id(node), scope_env)})
        if isinstance(node, cst.ClassDef):
            home = self.index.module_of(node)
            info = home.classes.get(node.name.value)
            if info is not None and info.node is node:
                return frozenset({Cls(home.module, info.name)})
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            home = self.index.module_of(node)
            result: set = set()
            for qname in imported_qualified_names(home.import_base, node, assignment.name):
                result |= self._eval_qualified(qname)
            return frozenset(result) or OPAQUE_VALUE
        return OPAQUE_VALUE

    def _decorated_value(self, node: cst.FunctionDef, env: Env | None) -> frozenset:
        """What a decorated `def` binds: each decorator applied as a call, bottom-up. A
        decorator in the plugin files is followed like any call; an allow-listed one
        (functools.lru_cache, wraps) keeps the function; any other is unknown code."""
        value = frozenset({Func(node, id(node), env)})
        for decorator in reversed(node.decorators):
            if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value in _SIMPLE_DECORATORS:
                continue
            result: set = set()
            for atom in self.eval(decorator.decorator, env):
                if isinstance(atom, Func):
                    # applied when the `def` runs: at import time for a module-level one
                    outlives = env is None or env.outlives or bool(atom.env and atom.env.outlives)
                    binding = self._bind_values(atom.node, atom.env, [value])
                    result |= self.analyze_function(atom.node, Env(id(atom.node), binding, atom.env, outlives))
                elif isinstance(atom, (Ext, Fresh)) and atom.qname in purity.FUNCTION_DECORATORS:
                    if atom.qname in ("functools.lru_cache", "functools.cache"):
                        self._cached.update(a.node_id for a in value if isinstance(a, Func))
                    result |= value
                else:
                    result.add(FOREIGN)   # calling the result is unknown code
            value = frozenset(result)
        return value

    def _bind_values(self, fn: FunctionNode, defining_env: Env | None, values: list[frozenset],
                     self_value: frozenset | None = None) -> tuple[tuple[str, frozenset], ...]:
        """Parameters bound to `values` by position; the rest to their defaults or anything."""
        params = fn.params
        binding: list[tuple[str, frozenset]] = []
        if self_value is not None:
            values = [self_value, *values]
        for i, param in enumerate([*params.posonly_params, *params.params, *params.kwonly_params]):
            if i < len(values) and param in (*params.posonly_params, *params.params):
                binding.append((param.name.value, values[i]))
            elif param.default is not None:
                binding.append((param.name.value, self.eval(param.default, defining_env) | {GLOBAL_STATE}))
            else:
                binding.append((param.name.value, OPAQUE_VALUE))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                binding.append((star.name.value, OPAQUE_VALUE))
        return tuple(binding)

    def _eval_qualified(self, qname: str) -> frozenset:
        """The value of a dotted name: one of the analyzed modules, or a global in one."""
        program = self.index
        if qname in self._importing:
            self._cycle_hits += 1
            return OPAQUE_VALUE
        module = program.find_module(qname)
        if module is not None:
            return frozenset({Mod(module.module)})
        if program.is_package(qname):
            return frozenset({Mod(qname)})
        module_name, _, name = qname.rpartition(".")
        module = program.find_module(module_name) if module_name else None
        if module is None:
            parts = qname.split(".")
            if any(program.find_module(".".join(parts[:i])) is not None
                   or program.is_package(".".join(parts[:i])) for i in range(1, len(parts))):
                return OPAQUE_VALUE       # a name the analyzed modules should hold but do not
            if module_name == "builtins":
                return frozenset({Builtin(name)})
            return frozenset({Ext(qname)})   # outside the plugin files: judged by purity.py
        self._importing.add(qname)
        try:
            return self._global_value(module.module, name)
        finally:
            self._importing.discard(qname)

    def _global_value(self, module_name: str, name: str) -> frozenset:
        program = self.index
        module = program.find_module(module_name)
        if module is None:
            return self._eval_qualified(f"{module_name}.{name}") if program.is_package(
                f"{module_name}.{name}") else OPAQUE_VALUE
        assignments = program.global_assignments(module, name)
        if not assignments:
            submodule = f"{module.module}.{name}"
            if program.find_module(submodule) is not None or program.is_package(submodule):
                return frozenset({Mod(submodule)})
            return OPAQUE_VALUE
        result: set = set()
        for assignment in assignments:
            result |= self._eval_assignment(assignment, None)
        return frozenset(result)

    def _env_for_scope(self, scope: object, env: Env | None) -> Env | None:
        while isinstance(scope, (ComprehensionScope, ClassScope)) and not isinstance(scope, FunctionScope):
            if isinstance(scope, ClassScope):
                return None
            scope = scope.parent
        if isinstance(scope, FunctionScope) and env is not None:
            return env.lookup(id(scope.node))
        return None

    def _with_additions(self, value: frozenset, additions: list[cst.CSTNode], env: Env | None) -> frozenset:
        """A local container's value plus what the function adds to it (`d[k] = v`,
        `keys.append(k)`, `d.update(...)`, `d.setdefault(k, v)`), wherever it does."""
        keys: set = set()
        values: set = set()
        for node in additions:
            if isinstance(node, cst.Subscript):
                key_node = _subscript_key(node)
                keys |= self.eval(key_node, env) if key_node is not None else OPAQUE_VALUE
                assign = self.index.parent(self.index.parent(node))
                values |= self.eval(assign.value, env) if isinstance(assign, cst.Assign) else OPAQUE_VALUE
                continue
            call = self.index.parent(node)
            if not isinstance(node, cst.Attribute) or not isinstance(call, cst.Call):
                keys.add(OPAQUE)
                values.add(OPAQUE)
                continue
            name = node.attr.value
            args = [self.eval(a.value, env) if not a.star and a.keyword is None else OPAQUE_VALUE
                    for a in call.args]
            if name in ("append", "add", "appendleft"):
                values |= args[0] if args else OPAQUE_VALUE
            elif name == "extend":
                values |= _iterate(args[0]) if args else OPAQUE_VALUE
            elif name == "setdefault":
                keys |= args[0] if args else OPAQUE_VALUE
                values |= args[1] if len(args) > 1 else frozenset({OPAQUE})
            elif name == "update":
                for arg, value_of in zip(call.args, args):
                    if arg.keyword is not None:
                        keys.add(Str(arg.keyword.value))
                        values |= self.eval(arg.value, env)
                        continue
                    more_keys, more_values = _map_parts(value_of)
                    keys |= more_keys
                    values |= more_values
            else:
                keys.add(OPAQUE)
                values.add(OPAQUE)
        result: set = set()
        for atom in value:
            if isinstance(atom, Seq):
                result.add(Seq(None, atom.elem | values | keys))
            elif isinstance(atom, Map):
                result.add(Map(None, atom.keys | keys, atom.values | values))
            else:
                result.add(atom)
        return frozenset(result)

    def _iterate_value(self, value: frozenset) -> frozenset:
        """_iterate, plus the members of Enum classes."""
        classes = [a for a in value if isinstance(a, Cls)]
        if not classes:
            return _iterate(value)
        rest = value - set(classes)
        result: set = set(_iterate(rest)) if rest else set()
        for atom in classes:
            members = self._all_members(atom)
            result |= members if members else OPAQUE_VALUE
        return frozenset(result)

    def _eval_source(self, source: BindingSource, env: Env | None) -> frozenset:
        if source.kind == "expr":
            value = self.eval(source.node, env)
        elif source.kind == "iter":
            value = self._iterate_value(self.eval(source.node, env))
        else:
            return OPAQUE_VALUE
        for position in source.path:
            value = _unpack(value, position)
        return value

    def _eval_attribute(self, node: cst.Attribute, env: Env | None) -> frozenset:
        receiver = self.eval(node.value, env)
        name = node.attr.value
        result: set = set()
        for atom in receiver:
            if atom is SELF:
                result |= self._self_attribute(name)
            elif atom is SELF_STATE or atom is GLOBAL_STATE:
                result.add(atom)
            elif isinstance(atom, Cls):
                result |= self._class_attribute(atom, name)
            elif isinstance(atom, Mod):
                result |= self._global_value(atom.name, name)
            elif isinstance(atom, Super):
                result |= self._super_attribute(atom, name)
            elif isinstance(atom, Obj):
                # an instance kept on self or at module level: its methods change that state
                result |= self._obj_attribute(atom, name, receiver & STATE_MARKERS)
            elif isinstance(atom, Member):
                if name == "value":
                    result |= atom.value
                elif name == "name":
                    result.add(Str(atom.name))
                else:
                    result.add(OPAQUE)
            elif isinstance(atom, Builtin) and atom.name not in _BUILTIN_CONSTANTS:
                result.add(Ext(f"builtins.{atom.name}.{name}"))   # dict.fromkeys, str.lower
            elif isinstance(atom, Ext):
                result.add(Ext(f"{atom.qname}.{name}"))
            elif isinstance(atom, (Str, Seq, Map, Int, Fresh)) or atom in (OPAQUE, ROW, OUT, FOREIGN, CYCLE):
                result.add(Attr(frozenset({atom}), name))
            else:
                result.add(OPAQUE)
        return frozenset(result) or OPAQUE_VALUE

    def _self_attribute(self, name: str) -> frozenset:
        result: set = set()
        if self.has_unknown_bases or any(name in c.changed_class_attrs or c.dynamic_attrs
                                         or c.class_dynamic for c in self.mro):
            result |= {OPAQUE, SELF_STATE}
        stores = [entry for cls in self.mro for entry in cls.instance_stores.get(name, ())]
        if stores:
            # Set only in __init__ (before any message) to values it can see: those values.
            # Set anywhere else, or to something unknown: anything.
            if all(function.name.value == "__init__" and source is not None for function, source in stores):
                for function, source in stores:
                    # the engine makes each Processor with cls(): __init__'s defaults hold
                    binding = self._bind_values(function, None, [], self_value=frozenset({SELF}))
                    result |= self._eval_source(source, Env(id(function), binding, None, True))
                result.add(SELF_STATE)
            else:
                result |= {OPAQUE, SELF_STATE}
        elif any(name in cls.instance_attrs for cls in self.mro):
            result |= {OPAQUE, SELF_STATE}
        for cls in self.mro:
            if name in cls.conditional_methods:
                return frozenset(result | {OPAQUE, SELF_STATE})
            if name in cls.methods:
                method = cls.methods[name]
                decorators = {_decorator_name(d) for d in method.decorators}
                if decorators - _SIMPLE_DECORATORS:
                    self._escape_function(Method(method, id(method), "instance"))
                    return frozenset(result | {FOREIGN})     # what an unknown decorator made
                if "property" in decorators:
                    return frozenset(result) | self._property_value(method)
                kind = "static" if "staticmethod" in decorators else (
                    "class" if "classmethod" in decorators else "instance")
                return frozenset(result | {Method(method, id(method), kind)})
            if name in cls.body_values:
                value = set(self._body_value(cls, name))
                value = {Method(a.node, a.node_id, "instance") if isinstance(a, Func) else a for a in value}
                if any(name in c.aliased_attrs for c in self.mro) and not _immutable_value(value):
                    value |= _loosen(frozenset(value)) | {OPAQUE}   # handed on, maybe changed there
                return frozenset(result | value | {SELF_STATE})
        if stores:
            if any(name in c.aliased_attrs for c in self.mro) and not _immutable_value(result):
                result |= _loosen(frozenset(result)) | {OPAQUE}
            return frozenset(result)
        return frozenset(result | {OPAQUE, SELF_STATE})

    def _super_attribute(self, atom: Super, name: str) -> frozenset:
        """`super().name`: the first class after `atom`'s class in the Processor's MRO."""
        position = next((i for i, c in enumerate(self.mro)
                         if c.module == atom.module and c.name == atom.name), None)
        if position is None:
            return OPAQUE_VALUE
        for cls in self.mro[position + 1:]:
            if name in cls.methods:
                method = cls.methods[name]
                decorators = {_decorator_name(d) for d in method.decorators}
                if decorators - _SIMPLE_DECORATORS or "property" in decorators:
                    return OPAQUE_VALUE
                kind = "static" if "staticmethod" in decorators else (
                    "class" if "classmethod" in decorators else "instance")
                return frozenset({Method(method, id(method), kind)})
            if name in cls.body_values:
                return self._self_attribute(name)
        return OPAQUE_VALUE

    def _property_value(self, method: cst.FunctionDef) -> frozenset:
        return self._call_function(method, None, None, None, frozenset({SELF}))

    def _class_attribute(self, atom: Cls, name: str) -> frozenset:
        home = self.index.modules.get(atom.module)
        info = home.classes.get(atom.name) if home is not None else None
        if info is None:
            return OPAQUE_VALUE
        mro, _, unknown = self.index.mro(info)
        if unknown or any(name in c.changed_class_attrs or c.class_dynamic for c in mro):
            return frozenset({OPAQUE, GLOBAL_STATE})
        if self.index.is_enum(info) and name in info.body_values and name not in info.methods:
            return self._enum_members(info, [name])
        for cls in mro:
            if name in cls.conditional_methods:
                return frozenset({OPAQUE, GLOBAL_STATE})
            if name in cls.methods:
                method = cls.methods[name]
                decorators = {_decorator_name(d) for d in method.decorators}
                if decorators - _SIMPLE_DECORATORS:
                    return OPAQUE_VALUE
                if "classmethod" in decorators:
                    return frozenset({Method(method, id(method), "bound", frozenset({atom}))})
                return frozenset({Func(method, id(method), None)})
            if name in cls.body_values:
                return self._body_value(cls, name) | {GLOBAL_STATE}
        return frozenset({OPAQUE, GLOBAL_STATE})

    def _eval_call(self, node: cst.Call, env: Env | None) -> frozenset:
        callee = self.eval(node.func, env)
        result: set = set()
        for atom in callee:
            if isinstance(atom, Func):
                result |= self._call_function(atom.node, atom.env, node, env, None)
                if atom.node_id in self._cached:   # the same object on every call with these arguments
                    result.add(GLOBAL_STATE)
            elif isinstance(atom, Method):
                result |= self._call_function(atom.node, None, node, env, self._method_self(atom))
            elif isinstance(atom, Builtin):
                result |= self._call_builtin(atom.name, node, env)
            elif isinstance(atom, Attr):
                result |= self._call_constant_method(atom, node, env)
            elif isinstance(atom, Ext):
                if atom.qname == "functools.reduce" and node.args and not node.args[0].star:
                    items = _iterate(self.eval(node.args[1].value, env)) if len(node.args) > 1 else OPAQUE_VALUE
                    start = self.eval(node.args[2].value, env) if len(node.args) > 2 else EMPTY
                    accumulated = self._apply(self.eval(node.args[0].value, env),
                                              [items | start | {OPAQUE}, items], node, env)
                    result |= accumulated | start | items
                    continue
                if atom.qname == "builtins.dict.fromkeys" and node.args and not node.args[0].star:
                    keys = self._iterate_value(self.eval(node.args[0].value, env))
                    default = self.eval(node.args[1].value, env) if len(node.args) > 1 else OPAQUE_VALUE
                    result.add(Map(None, keys, default))
                    continue
                result |= _external_result(atom.qname, node)
            elif isinstance(atom, Cls):
                result |= self._instantiate(atom, node, env)
            elif isinstance(atom, Obj):
                result |= self._call_instance(atom, node, env)
            elif isinstance(atom, Fresh) and atom.qname in purity.CALLABLE_RESULTS:
                result.add(Fresh(""))        # a namedtuple, an itemgetter's pick
            elif atom is SELF_STATE or atom is GLOBAL_STATE:
                result.add(atom)  # a method of state returns (maybe) state; OPAQUE comes with it
            elif atom is CYCLE or (atom is OPAQUE and CYCLE in callee):
                result |= _CYCLE_VALUE
            else:
                result.add(FOREIGN)
        return frozenset(result)

    def _apply(self, functions: frozenset, arguments: list[frozenset], call: cst.Call,
               env: Env | None) -> frozenset:
        """A builtin calls the plugin functions in `functions` with elements of `arguments`
        (map, filter, sorted's key, functools.reduce): follow those calls as such."""
        result: set = set()
        for atom in functions:
            if isinstance(atom, Func):
                binding = self._bind_values(atom.node, atom.env, list(arguments))
                outlives = bool(atom.env is not None and atom.env.outlives)
                result |= self.analyze_function(atom.node, Env(id(atom.node), binding, atom.env, outlives))
            elif isinstance(atom, Method):
                binding = self._bind_values(atom.node, None, list(arguments),
                                            self_value=self._method_self(atom))
                result |= self.analyze_function(atom.node, Env(id(atom.node), binding, None))
        return frozenset(result)

    def _class_of(self, atom: object) -> frozenset:
        """`type(x)` for one atom of x."""
        if atom is SELF:
            first = self.mro[0]
            return frozenset({Cls(first.module, first.name)})
        if isinstance(atom, Obj):
            return frozenset({Cls(atom.module, atom.name)})
        if atom in STATE_MARKERS:
            return frozenset({atom})
        return OPAQUE_VALUE

    def _instantiate(self, atom: Cls, call: cst.Call, env: Env | None) -> frozenset:
        """`C(...)` for an analyzed class C: its __init__/__post_init__ are followed with a new
        instance as `self`; a class whose construction the analyzer cannot see is unknown code."""
        info = self._class_info(atom)
        if info is None:
            return OPAQUE_VALUE
        if self.index.is_enum(info):     # Kind(value): a member looked up by its value
            members = self._all_members(atom)
            return members if members else OPAQUE_VALUE
        mro, _, unknown = self.index.mro(info)
        reason = None
        if unknown:
            reason = f"{atom.name} inherits from a class outside the plugin files"
        for cls in mro:
            for decorator in cls.node.decorators:
                if not self._known_class_decorator(decorator):
                    reason = f"{cls.name} has the decorator {_describe(decorator.decorator)}"
            for keyword in cls.node.keywords:
                reason = f"{cls.name} has the class keyword {keyword.keyword.value}="
            hooks = sorted(_OBJECT_HOOKS & (set(cls.methods) | set(cls.body_values)))
            if hooks:
                reason = f"{cls.name} defines {', '.join(hooks)}"
            if any(n.startswith("__") and n.endswith("__") for n in cls.body_values if n not in _PLAIN_SPECIALS):
                reason = f"{cls.name} binds a special method by assignment"
            for store_name in cls.body_values:
                for store in cls.body_values[store_name]:
                    source = self.index.bindings.get(id(store))
                    if source is not None and source.kind == "expr" and isinstance(source.node, cst.Call) \
                            and any(a.keyword is not None and a.keyword.value == "default_factory"
                                    for a in source.node.args):
                        reason = f"{cls.name}.{store_name} has a default_factory, run by __init__"
        if reason is not None:
            if isinstance(self.index.owner.get(id(call)), (cst.FunctionDef, cst.Lambda)):
                self._unknown_call(call, f"creating {atom.name}: {reason}")
            return frozenset({FOREIGN})
        instance = Obj(atom.module, atom.name)
        # Python runs special methods on its own (truth, len, str, ==, hash, iteration,
        # indexing, arithmetic, with, del): each is analyzed as if called with anything, with
        # the instance as self (carrying the state of an instance made at import time).
        outlives = env is None or env.outlives
        bound = frozenset({instance}) | ({GLOBAL_STATE} if outlives else frozenset())
        for cls in mro:
            for name, method in cls.methods.items():
                if name.startswith("__") and name.endswith("__") and name not in _PLAIN_SPECIALS:
                    self._escape_function(Method(method, id(method), "bound", bound))
        for special in ("__init__", "__post_init__"):
            method = _find_method(mro, special)
            if method is None:
                continue
            if special in info.conditional_methods or any(
                    _decorator_name(d) not in _SIMPLE_DECORATORS for d in method.decorators):
                self._unknown_call(call, f"{atom.name}.{special} is decorated or defined conditionally")
                return OPAQUE_VALUE
            self._call_function(method, None, call if special == "__init__" else None,
                                env, frozenset({instance}))
        return frozenset({instance})

    def _call_instance(self, atom: Obj, call: cst.Call, env: Env | None) -> frozenset:
        method = self._obj_attribute(atom, "__call__")
        callable_ = [a for a in method if isinstance(a, (Func, Method))]
        if not callable_:
            self._unknown_call(call, f"an instance of {atom.name} is called, and it has no __call__ "
                                     "the analyzer can follow")
            return OPAQUE_VALUE
        return self._eval_call_atoms(callable_, call, env)

    def _eval_call_atoms(self, atoms, call: cst.Call, env: Env | None) -> frozenset:
        result: set = set()
        for atom in atoms:
            if isinstance(atom, Func):
                result |= self._call_function(atom.node, atom.env, call, env, None)
            elif isinstance(atom, Method):
                result |= self._call_function(atom.node, None, call, env, self._method_self(atom))
        return frozenset(result)

    def _known_class_decorator(self, decorator: cst.Decorator) -> bool:
        expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
        names = self.index.qnames(expr)
        return bool(names) and all(n in purity.CLASS_DECORATORS or n.split(".")[0] == "plugin_sdk"
                                   for n in names)

    def _class_info(self, atom: Cls | Obj) -> ClassInfo | None:
        home = self.index.modules.get(atom.module)
        return home.classes.get(atom.name) if home is not None else None

    def _body_value(self, cls: ClassInfo, name: str) -> frozenset:
        """A class attribute as its class body binds it; loosened when the body changes it
        after binding it (`FIELDS.append("b")` in the class body)."""
        value: set = set()
        for store in cls.body_values[name]:
            source = self.index.bindings.get(id(store))
            value |= self._eval_source(source, None) if source is not None else OPAQUE_VALUE
            scope = self.index.scopes.get(store)
            if scope is not None and ((id(scope), name) in self.index.unsafe_names
                                      or (id(scope), name) in self.index.container_additions):
                value |= _loosen(frozenset(value)) | {OPAQUE}
        return frozenset(value)

    def _enum_members(self, info: ClassInfo, names: list[str]) -> frozenset:
        is_str = any(self.index.qnames(b) & {"enum.StrEnum"} for b in info.bases)
        members: set = set()
        for name in names:
            value: set = set()
            for store in info.body_values[name]:
                source = self.index.bindings.get(id(store))
                value |= self._eval_source(source, None) if source is not None else OPAQUE_VALUE
            members.add(Member(info.module, info.name, name, frozenset(value), is_str))
        return frozenset(members)

    def _all_members(self, atom: Cls) -> frozenset | None:
        """Iterating an Enum class: its members (names bound in its body, not methods)."""
        info = self._class_info(atom)
        if info is None or not self.index.is_enum(info) or info.class_dynamic or info.changed_class_attrs:
            return None
        names = [n for n in info.body_values if n not in info.methods and not n.startswith("_")]
        return self._enum_members(info, names)

    def _obj_attribute(self, atom: Obj, name: str, state: frozenset = frozenset()) -> frozenset:
        """An attribute of an instance made in this call: its methods bound to it, what its
        methods store under that name (evaluated without their arguments), or class data."""
        info = self._class_info(atom)
        if info is None:
            return OPAQUE_VALUE
        mro, _, unknown = self.index.mro(info)
        result: set = set()
        if unknown or any(c.dynamic_attrs or c.class_dynamic or name in c.changed_class_attrs for c in mro):
            result.add(OPAQUE)
        stores = [entry for cls in mro for entry in cls.instance_stores.get(name, ())]
        for _, source in stores:
            result |= self._eval_source(source, None) if source is not None else OPAQUE_VALUE
        for cls in mro:
            if name in cls.conditional_methods:
                return frozenset(result | {OPAQUE})
            if name in cls.methods:
                method = cls.methods[name]
                decorators = {_decorator_name(d) for d in method.decorators}
                if decorators - _SIMPLE_DECORATORS:
                    return frozenset(result | {OPAQUE})
                if "property" in decorators:
                    return frozenset(result) | self._call_function(method, None, None, None,
                                                                    frozenset({atom}) | state)
                if "staticmethod" in decorators:
                    return frozenset(result | {Method(method, id(method), "static")})
                bound = (frozenset({Cls(atom.module, atom.name)}) if "classmethod" in decorators
                         else frozenset({atom}) | state)
                return frozenset(result | {Method(method, id(method), "bound", bound)})
            if name in cls.body_values:
                value = self._class_attribute(Cls(cls.module, cls.name), name)
                return frozenset(result) | frozenset(
                    Method(a.node, a.node_id, "bound", frozenset({atom}) | state) if isinstance(a, Func) else a
                    for a in value)
        return frozenset(result | state) if stores else frozenset(result | {OPAQUE} | state)

    def _call_builtin(self, name: str, call: cst.Call, env: Env | None) -> frozenset:
        args = [a for a in call.args if a.keyword is None and not a.star]
        if any(a.star for a in call.args):
            return OPAQUE_VALUE
        values = [self.eval(a.value, env) for a in args]
        keywords = {a.keyword.value: a for a in call.args if a.keyword is not None}
        if name in ("sorted", "min", "max") and "key" in keywords:
            self._apply(self.eval(keywords["key"].value, env), [_iterate(values[0])] if values else [], call, env)
        if name in ("list", "tuple", "sorted", "set", "frozenset"):
            if not values:
                return frozenset({Seq((), EMPTY)})
            if name in ("list", "tuple"):
                return frozenset({_copy_sequence(values[0])})
            return frozenset({Seq(None, _iterate(values[0]))})
        if name in ("next", "min", "max") and values:
            default = self.eval(keywords["default"].value, env) if "default" in keywords else EMPTY
            if name == "next" and len(values) > 1:
                default |= values[1]
            chosen = _iterate(values[0]) if len(values) == 1 or name == "next" else frozenset().union(*values)
            return chosen | default | (values[0] & STATE_MARKERS)
        if name == "reversed" and values:
            return frozenset({_reversed(values[0]), Fresh(ITERATOR)})
        if name == "iter" and values:
            return frozenset({Seq(None, _iterate(values[0])), Fresh(ITERATOR)})
        if name == "range" and values:
            return frozenset({_range(values)})
        if name in ("map", "filter") and values:
            iterables = [_iterate(v) for v in values[1:]]
            results = self._apply(values[0], iterables[:1] if name == "filter" else iterables, call, env)
            elem = (frozenset().union(*iterables) if name == "filter" and iterables
                    else results if results else OPAQUE_VALUE)
            return frozenset({Seq(None, elem), Fresh(ITERATOR)})
        if name == "type" and len(values) == 1:
            return frozenset().union(*(self._class_of(a) for a in values[0]))
        if name == "enumerate" and values:
            elem = _iterate(values[0])
            pair = Seq((OPAQUE_VALUE, elem), OPAQUE_VALUE | elem)
            return frozenset({Seq(None, frozenset({pair})), Fresh(ITERATOR)})
        if name == "zip" and values:
            elements = tuple(_iterate(v) for v in values)
            return frozenset({Seq(None, frozenset({Seq(elements, frozenset().union(*elements))})),
                              Fresh(ITERATOR)})
        if name == "dict":
            keys = from_strings(set(keywords)) if keywords else EMPTY
            kvals = frozenset().union(*(self.eval(a.value, env) for a in keywords.values()))
            if not values:
                return frozenset({Map(None, keys, kvals)})
            pairs = _pairs(values[0])
            if pairs is not None:
                return frozenset({Map(None, pairs[0] | keys, pairs[1] | kvals)})
            return frozenset({Fresh("")})        # a new dict of unknown keys
        if name == "str" and values and strings(values[0]) is not None:
            return values[0]
        if name == "str" and values and values[0] and all(isinstance(a, Int) for a in values[0]):
            return frozenset(Str(str(a.value)) for a in values[0])
        if name in ("bytearray", "object"):
            return frozenset({Fresh("")})
        if name in ("property", "classmethod", "staticmethod"):
            return frozenset({FOREIGN})     # a descriptor made by a call: its use runs code
        if name == "super" and len(values) == 2:
            classes = [a for a in values[0] if isinstance(a, Cls)]
            if len(classes) == len(values[0]) == 1 and (SELF in values[1] or any(
                    isinstance(a, Obj) for a in values[1])):
                return frozenset({Super(classes[0].module, classes[0].name)})
            return OPAQUE_VALUE
        if name == "super" and not values:
            function = self.index.owner.get(id(call))
            while isinstance(function, cst.Lambda):
                function = self.index.owner.get(id(function))
            first = _first_param_name(function) if isinstance(function, cst.FunctionDef) else None
            activation = env.lookup(id(function)) if env is not None and function is not None else None
            bound = activation.get(first) if activation is not None and first is not None else None
            if bound is None or SELF not in bound or len(_without_markers(bound)) != 1:
                return OPAQUE_VALUE       # super() of a helper object: its own MRO, not followed
            info = self.index.method_class.get(id(function)) if function is not None else None
            return frozenset({Super(info.module, info.name)}) if info is not None else OPAQUE_VALUE
        if name == "getattr" and len(values) >= 2 and SELF in values[0]:
            names = strings(values[1])
            if names is not None:
                return frozenset().union(*(self._self_attribute(n) for n in names))
        return OPAQUE_VALUE

    def _call_constant_method(self, atom: Attr, call: cst.Call, env: Env | None) -> frozenset:
        result: set = set()
        for receiver in atom.receiver:
            if isinstance(receiver, Map):
                if atom.name == "items":
                    if receiver.items is not None:
                        pairs = frozenset(Seq((k, v), k | v) for k, v in receiver.items)
                    else:
                        pairs = frozenset({Seq((receiver.keys, receiver.values),
                                               receiver.keys | receiver.values)})
                    result.add(Seq(None, pairs))
                elif atom.name in ("keys", "__iter__"):
                    result.add(Seq(None, receiver.keys))
                elif atom.name == "values":
                    result.add(Seq(None, receiver.values))
                elif atom.name in ("get", "__getitem__"):
                    names = strings(self.eval(call.args[0].value, env)) if call.args else None
                    if receiver.items is not None and names is not None and all(
                            strings(k) is not None for k, _ in receiver.items):
                        present = set()
                        for k, v in receiver.items:
                            if strings(k) & names:
                                result |= v
                                present |= strings(k) & names
                        if present == names and atom.name == "get":
                            continue      # every key asked for is there: no default
                    else:
                        result |= receiver.values
                    if atom.name == "get":
                        result |= self.eval(call.args[1].value, env) if len(call.args) > 1 else OPAQUE_VALUE
                elif atom.name == "copy":
                    result.add(receiver)
                elif atom.name in ("pop", "setdefault", "popitem"):
                    result |= receiver.values | ({OPAQUE} if atom.name == "popitem" else set())
                else:
                    result.add(OPAQUE)
            elif isinstance(receiver, Seq) and atom.name == "copy":
                result.add(receiver)
            elif isinstance(receiver, Seq) and atom.name == "pop":
                result |= receiver.elem or OPAQUE_VALUE
            elif isinstance(receiver, Str) and atom.name in _STR_METHODS and not call.args:
                result.add(Str(getattr(receiver.value, atom.name)()))
            elif isinstance(receiver, Str) and atom.name in ("format", "join", "replace", "removeprefix",
                                                             "removesuffix", "strip", "lstrip", "rstrip",
                                                             "split", "rsplit", "partition", "rpartition"):
                result |= self._string_method(receiver.value, atom.name, call, env)
            elif FOREIGN in atom.receiver:
                result.add(FOREIGN)
            elif atom.name in purity.NEW_OBJECT_METHODS:
                result.add(Fresh(""))
            else:
                result.add(OPAQUE)
        return frozenset(result)

    def _string_method(self, text: str, name: str, call: cst.Call, env: Env | None) -> frozenset:
        """A str method on a constant, with constant arguments: its constant result(s)."""
        if any(a.star for a in call.args):
            return OPAQUE_VALUE
        positional: list[list] = []
        for arg in call.args:
            if arg.keyword is not None:
                continue
            value = self.eval(arg.value, env)
            if name == "join":
                items = _known_items(value)
                if items is None:
                    return OPAQUE_VALUE
                options = [[]]
                for item in items:
                    texts = _texts(item)
                    if texts is None:
                        return OPAQUE_VALUE
                    options = [o + [t] for o in options for t in texts]
                    if len(options) > MAX_STRINGS:
                        return OPAQUE_VALUE
                positional.append([tuple(o) for o in options])
                continue
            texts = _texts(value) if name == "format" else strings(value)
            if texts is None:
                return OPAQUE_VALUE
            positional.append(sorted(texts))
        keywords: dict[str, list] = {}
        for arg in call.args:
            if arg.keyword is None:
                continue
            texts = _texts(self.eval(arg.value, env))
            if texts is None or name != "format":
                return OPAQUE_VALUE
            keywords[arg.keyword.value] = sorted(texts)
        results: set = set()
        combos: list[tuple[list, dict]] = [([], {})]
        for options in positional:
            combos = [(a + [o], k) for a, k in combos for o in options]
        for key, options in keywords.items():
            combos = [(a, {**k, key: o}) for a, k in combos for o in options]
        if len(combos) > MAX_STRINGS:
            return OPAQUE_VALUE
        for args, kwargs in combos:
            try:
                if name == "join":
                    value = text.join(args[0]) if len(args) == 1 else None
                else:
                    value = getattr(text, name)(*args, **kwargs)
            except (IndexError, KeyError, ValueError, TypeError, AttributeError):
                return OPAQUE_VALUE
            if isinstance(value, str):
                results.add(Str(value))
            elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                results.add(Seq(tuple(frozenset({Str(v)}) for v in value), frozenset(Str(v) for v in value)))
            else:
                return OPAQUE_VALUE
        return frozenset(results) or OPAQUE_VALUE

    def _eval_subscript(self, node: cst.Subscript, env: Env | None) -> frozenset:
        receiver = self.eval(node.value, env)
        sliced = _constant_slice(node, lambda e: self.eval(e, env))
        if sliced is not None:
            result: set = set()
            for atom in receiver:
                if isinstance(atom, Seq) and atom.items is not None:
                    items = atom.items[sliced]
                    result.add(Seq(items, frozenset().union(*items) if items else EMPTY))
                elif isinstance(atom, Seq):
                    result.add(Seq(None, atom.elem))
                elif atom in STATE_MARKERS:
                    result.add(atom)
                else:
                    result.add(OPAQUE)
            return frozenset(result)
        key_node = _subscript_key(node)
        key = self.eval(key_node, env) if key_node is not None else OPAQUE_VALUE
        if key and all(isinstance(k, Int) for k in key) and receiver and all(
                isinstance(a, Seq) and a.items is not None
                and all(not -len(a.items) <= k.value < len(a.items) for k in key) for a in receiver):
            return frozenset({RAISES})
        result: set = set()
        for atom in receiver:
            if isinstance(atom, Seq):
                ints = [k.value for k in key if isinstance(k, Int)]
                if atom.items is not None and ints and len(ints) == len(key):
                    for i in ints:
                        if -len(atom.items) <= i < len(atom.items):
                            result |= atom.items[i]
                else:
                    result |= atom.elem
            elif isinstance(atom, Map):
                names = strings(key)
                if atom.items is not None and names is not None:
                    for k, v in atom.items:
                        known = strings(k)
                        if known is None or known & names:
                            result |= v
                    if not result:
                        result.add(OPAQUE)
                else:
                    result |= atom.values
            elif atom is SELF_STATE or atom is GLOBAL_STATE:
                result.add(atom)
            else:
                result.add(OPAQUE)
        return frozenset(result)

    def _eval_sequence(self, node: cst.Tuple | cst.List | cst.Set, env: Env | None) -> frozenset:
        items: list[frozenset] = []
        starred = False
        elem: set = set()
        for element in node.elements:
            value = self.eval(element.value, env)
            if isinstance(element, cst.StarredElement):
                starred = True
                elem |= _iterate(value)
            else:
                items.append(value)
                elem |= value
        known = None if starred or isinstance(node, cst.Set) else tuple(items)
        return frozenset({Seq(known, frozenset(elem))})

    def _eval_dict(self, node: cst.Dict, env: Env | None) -> frozenset:
        items: list[tuple[frozenset, frozenset]] = []
        keys: set = set()
        values: set = set()
        exact = True
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                exact = False
                more_keys, more_values = _map_parts(self.eval(element.value, env))
                keys |= more_keys
                values |= more_values
                continue
            k = self.eval(element.key, env)
            v = self.eval(element.value, env)
            items.append((k, v))
            keys |= k
            values |= v
        return frozenset({Map(tuple(items) if exact else None, frozenset(keys), frozenset(values))})

    # ------------------------------------------------------------------ reporting
    def _tick(self) -> None:
        self._steps += 1
        if self._steps > STEP_BUDGET:
            raise _OverBudget()

    def _report(self, name: str, node: cst.CSTNode, message: str) -> None:
        line, col, end_line, end_col = self.index.position(node)
        file = self.index.file_of(node)
        key = (name, file, line, col)
        if key not in self.facts.diagnostics:
            self.facts.diagnostics[key] = dx.make(name, file, line, col, message,
                                                  end_line=end_line, end_col=end_col)

    def _read_all(self, name: str, node: cst.CSTNode, message: str) -> None:
        self.facts.reads_all = True
        self._report(name, node, f"{message}; treated as reading every field: never pruned on its own")

    def _write_all(self, name: str, node: cst.CSTNode, message: str) -> None:
        self.facts.writes_all = True
        self._report(name, node, f"{message}; treated as writing every field")

    def _unprunable(self, name: str, node: cst.CSTNode, message: str) -> None:
        self.facts.unprunable = True
        self._report(name, node, message)


# ---------------------------------------------------------------------- helpers on values
def _immutable_value(value) -> bool:
    """Only strings, numbers and instances of analyzed classes (whose own methods are
    followed): nothing a use can change in place unseen. (A Seq may be a list.)"""
    for atom in value:
        if not isinstance(atom, (Str, Int, Obj)) and atom not in STATE_MARKERS:
            return False
    return True


def _loosen(value: frozenset, depth: int = 0) -> frozenset:
    """A value after changes the analyzer does not model: containers keep what they hold
    (the row, out, functions stay tracked) but may now hold anything else too. At the top
    (depth 0) the atoms stay what they are: the name is still bound to the same objects."""
    out: set = {OPAQUE} if depth else set()
    for atom in value:
        if isinstance(atom, Seq):
            out.add(Seq(None, _loosen(atom.elem, depth + 1) if depth < 4 else OPAQUE_VALUE | atom.elem))
        elif isinstance(atom, Map):
            out.add(Map(None, atom.keys | {OPAQUE},
                        _loosen(atom.values, depth + 1) if depth < 4 else OPAQUE_VALUE | atom.values))
        elif isinstance(atom, (Str, Int)) and depth == 0:
            out.add(atom)         # the name still holds the same immutable value
        elif isinstance(atom, (Str, Int, Attr)):
            out.add(OPAQUE)
        else:
            out.add(atom)
    return frozenset(out) or OPAQUE_VALUE


def _external_result(qname: str, call: cst.Call) -> frozenset:
    """What a call of a function outside the plugin files returns (its effects are judged
    by _check_external): a new object for allow-listed constructors and pure functions."""
    kind = purity.function_kind(qname)
    if kind == "fresh" or (kind == "random-seeded" and call.args):
        return frozenset({Fresh(qname)})
    if kind == "pure" and qname in purity.RETURNS_ITERATOR:
        return frozenset({Seq(None, OPAQUE_VALUE), Fresh(ITERATOR)})
    if kind == "pure" and qname not in purity.RETURNS_ARGUMENT:
        return frozenset({Fresh(qname)})
    if purity.effect_of(qname) == "env":
        return frozenset({OPAQUE, ENV})   # also when read at import time: using it reads the environment
    if kind == "pure" or kind == "mutates-first" or purity.effect_of(qname) is not None:
        return OPAQUE_VALUE      # (a clock's or a reader's result is plain data; the call is reported)
    return frozenset({FOREIGN})


def _map_parts(value: frozenset) -> tuple[set, set]:
    """The keys and values a dict value may hold (anything, for what is not a known dict)."""
    keys: set = set()
    values: set = set()
    for atom in value:
        if isinstance(atom, Map):
            keys |= atom.keys
            values |= atom.values
        else:
            keys.add(OPAQUE)
            values.add(OPAQUE)
    return keys, values


def _texts(value: frozenset) -> frozenset[str] | None:
    """Constant strings a value formats as (str or int constants), or None."""
    found: set[str] = set()
    for atom in value:
        if isinstance(atom, Str):
            found.add(atom.value)
        elif isinstance(atom, Int):
            found.add(str(atom.value))
        elif atom in STATE_MARKERS:
            continue
        else:
            return None
    return frozenset(found) if found else None


def _known_items(value: frozenset) -> tuple[frozenset, ...] | None:
    seqs = [a for a in value if isinstance(a, Seq)]
    if len(seqs) != 1 or seqs[0].items is None or any(
            a is not seqs[0] and a not in STATE_MARKERS for a in value):
        return None
    return seqs[0].items


def _percent(left: frozenset, right: frozenset) -> frozenset:
    """`"%s_x" % k`, `"m%d" % i`, `"%s_%s" % (a, b)` with constants."""
    formats = strings(left)
    if formats is None:
        return OPAQUE_VALUE
    items = _known_items(right)
    if items is None:
        operands = [(v,) for v in _constants(right) or ()] if _constants(right) is not None else None
    else:
        operands = [()]
        for item in items:
            options = _constants(item)
            if options is None:
                return OPAQUE_VALUE
            operands = [o + (v,) for o in operands for v in options]
            if len(operands) > MAX_STRINGS:
                return OPAQUE_VALUE
    if operands is None or len(formats) * len(operands) > MAX_STRINGS:
        return OPAQUE_VALUE
    results: set[str] = set()
    for text in formats:
        for operand in operands:
            try:
                results.add(text % operand)
            except (TypeError, ValueError, KeyError, OverflowError):
                return OPAQUE_VALUE
    return from_strings(results)


def _constants(value: frozenset) -> list | None:
    found: list = []
    for atom in value:
        if isinstance(atom, (Str, Int)):
            found.append(atom.value)
        elif atom in STATE_MARKERS:
            continue
        else:
            return None
    return found or None


def _constant_slice(node: cst.Subscript, evaluate) -> slice | None:
    """`x[a:b:c]` with constant int (or absent) bounds, as a slice; None otherwise."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Slice):
        return None
    part = node.slice[0].slice
    bounds = []
    for expr in (part.lower, part.upper, part.step):
        if expr is None:
            bounds.append(None)
            continue
        value = evaluate(expr)
        if len(value) != 1 or not isinstance(next(iter(value)), Int):
            return None
        bounds.append(next(iter(value)).value)
    if bounds[2] == 0:
        return None
    return slice(*bounds)


class _TrackedFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Name, cst.Call, cst.Attribute, cst.Subscript, cst.Comparison)):
            self.found.append(node)
        return not isinstance(node, (cst.Lambda, cst.FunctionDef))


def _tracked_nodes(expr: cst.CSTNode) -> list[cst.CSTNode]:
    finder = _TrackedFinder()
    expr.visit(finder)
    return finder.found


class _YieldFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Yield(self, node: cst.Yield) -> None:
        self.found = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


def is_generator(fn: FunctionNode) -> bool:
    """Whether calling `fn` makes a generator (its body, not nested defs, has `yield`)."""
    if not isinstance(fn, cst.FunctionDef):
        return False
    finder = _YieldFinder()
    fn.body.visit(finder)
    return finder.found


def _first_param_name(function: cst.FunctionDef) -> str | None:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


def _copy_sequence(value: frozenset) -> Seq:
    """list(x)/tuple(x): the same items when x is a sequence of known length."""
    seqs = [a for a in value if isinstance(a, Seq)]
    if len(seqs) == 1 and len(value) == 1 and seqs[0].items is not None:
        return seqs[0]
    return Seq(None, _iterate(value))


def _reversed(value: frozenset) -> Seq:
    seqs = [a for a in value if isinstance(a, Seq)]
    if len(seqs) == 1 and len(value) == 1 and seqs[0].items is not None:
        return Seq(tuple(reversed(seqs[0].items)), seqs[0].elem)
    return Seq(None, _iterate(value))


def _range(values: list[frozenset]) -> Seq:
    """range() of constant ints: its items (a few hundred at most), else ints."""
    ints = []
    for value in values[:3]:
        if len(value) != 1 or not isinstance(next(iter(value)), Int):
            return Seq(None, OPAQUE_VALUE)
        ints.append(next(iter(value)).value)
    try:
        numbers = range(*ints)
    except (TypeError, ValueError):
        return Seq(None, OPAQUE_VALUE)
    if len(numbers) > MAX_STRINGS:
        return Seq(None, OPAQUE_VALUE)
    items = tuple(frozenset({Int(n)}) for n in numbers)
    return Seq(items, frozenset(Int(n) for n in numbers))


def _pairs(value: frozenset) -> tuple[frozenset, frozenset] | None:
    """Keys and values of an iterable of pairs (zip(K, V), a dict, [(k, v), ...])."""
    keys: set = set()
    values: set = set()
    for atom in value:
        if isinstance(atom, Map):
            keys |= atom.keys
            values |= atom.values
            continue
        if isinstance(atom, Fresh) and atom.qname == ITERATOR:
            continue
        if not isinstance(atom, Seq):
            return None
        for pair in atom.elem:
            if not isinstance(pair, Seq) or pair.items is None or len(pair.items) != 2:
                return None
            keys |= pair.items[0]
            values |= pair.items[1]
    return frozenset(keys), frozenset(values)


def _find_method(mro: list[ClassInfo], name: str) -> cst.FunctionDef | None:
    for cls in mro:
        if name in cls.methods:
            return cls.methods[name]
    return None


def _concat(left: frozenset, right: frozenset) -> frozenset:
    a, b = strings(left), strings(right)
    if a is None or b is None or len(a) * len(b) > 256:
        return OPAQUE_VALUE
    return from_strings({x + y for x in a for y in b})


def _add(left: frozenset, right: frozenset) -> frozenset:
    if strings(left) is not None and strings(right) is not None:
        return _concat(left, right)
    left, right = _without_markers(left), _without_markers(right)
    seqs_l = [a for a in left if isinstance(a, Seq)]
    seqs_r = [a for a in right if isinstance(a, Seq)]
    if seqs_l and seqs_r and len(seqs_l) == len(left) and len(seqs_r) == len(right):
        elem = frozenset().union(*(s.elem for s in seqs_l + seqs_r))
        return frozenset({Seq(None, elem)})
    return OPAQUE_VALUE


_STRUCTURAL_METHODS = frozenset({"get", "items", "values", "keys", "copy", "append", "extend",
                                 "insert", "add", "update", "setdefault", "pop", "__getitem__"})


def _nested_markers(value: frozenset, depth: int = 0) -> frozenset:
    """ROW/OUT/SELF anywhere in `value`, inside containers too."""
    found: set = set()
    for atom in value:
        if atom in (ROW, OUT, SELF):
            found.add(atom)
        elif depth < 6 and isinstance(atom, Seq):
            found |= _nested_markers(atom.elem, depth + 1)
        elif depth < 6 and isinstance(atom, Map):
            found |= _nested_markers(atom.values | atom.keys, depth + 1)
    return frozenset(found)


def _without_markers(value: frozenset) -> frozenset:
    return frozenset(a for a in value if a is not SELF_STATE and a is not GLOBAL_STATE)


def _iterate(value: frozenset) -> frozenset:
    result: set = set()
    for atom in value:
        if isinstance(atom, Seq):
            result |= atom.elem
        elif isinstance(atom, Map):
            result |= atom.keys
        elif atom is SELF_STATE or atom is GLOBAL_STATE:
            result.add(atom)
        elif isinstance(atom, Fresh) and atom.qname == ITERATOR:
            continue          # the Seq beside it holds the elements
        else:
            result.add(OPAQUE)
    return frozenset(result) or OPAQUE_VALUE


def _unpack(value: frozenset, position) -> frozenset:
    result: set = set()
    if isinstance(position, tuple):             # ("star", first, after): a list of the rest
        _, first, after = position
        for atom in value:
            if isinstance(atom, Seq) and atom.items is not None and first + after <= len(atom.items):
                items = atom.items[first:len(atom.items) - after]
                result.add(Seq(items, frozenset().union(*items) if items else EMPTY))
            elif atom in STATE_MARKERS:
                result.add(atom)
            else:
                result.add(Seq(None, _iterate(frozenset({atom}))))
        return frozenset(result) or OPAQUE_VALUE
    for atom in value:
        if isinstance(atom, Seq):
            if atom.items is not None and -len(atom.items) <= position < len(atom.items):
                result |= atom.items[position]
            elif atom.items is None:
                result |= atom.elem
            else:
                result.add(OPAQUE)
        elif isinstance(atom, Map):
            result |= atom.keys
        elif isinstance(atom, Marker) and atom in (SELF_STATE, GLOBAL_STATE):
            result.add(atom)
        else:
            result.add(OPAQUE)
    return frozenset(result) or OPAQUE_VALUE


def _exact_map_keys(value: frozenset) -> set[str]:
    """Keys that a dict value certainly has: one exact dict literal with one constant per key."""
    maps = [a for a in value if isinstance(a, Map)]
    if len(maps) != 1 or maps[0].items is None or any(
            a is not maps[0] and a is not GLOBAL_STATE and a is not SELF_STATE for a in value):
        return set()
    found = set()
    for key, _ in maps[0].items:
        names = strings(key)
        if names is None or len(names) != 1:
            return set()
        found |= names
    return found


def _map_keys(value: frozenset) -> frozenset[str] | None:
    keys: set[str] = set()
    for atom in value:
        if isinstance(atom, Map):
            found = strings(atom.keys)
            if found is None:
                if not atom.keys:
                    continue  # an empty dict
                return None
            keys |= found
        elif atom is GLOBAL_STATE or atom is SELF_STATE:
            continue
        else:
            return None
    return frozenset(keys)


# ---------------------------------------------------------------------- helpers on syntax
def _subscript_key(node: cst.Subscript) -> cst.BaseExpression | None:
    if len(node.slice) != 1:
        return None
    inner = node.slice[0].slice
    if isinstance(inner, cst.Index) and inner.star is None:
        return inner.value
    return None


def _first_arg(call: cst.Call) -> cst.BaseExpression | None:
    if call.args and call.args[0].keyword is None and not call.args[0].star:
        return call.args[0].value
    return None


def _decorator_name(decorator: cst.Decorator) -> str:
    expr = decorator.decorator
    if isinstance(expr, cst.Call):
        expr = expr.func
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return "<expr>"


def _describe(node: cst.CSTNode | None) -> str:
    if node is None:
        return "?"
    try:
        text = cst.Module(body=[]).code_for_node(node)
    except Exception:
        return type(node).__name__
    text = " ".join(text.split())
    return f"`{text[:60]}{'…' if len(text) > 60 else ''}`"


def _describe_context(kind: str) -> str:
    return {
        "truth": "its truth value depends on every field",
        "compare": "compared as a whole",
        "container": "stored in a container",
        "attribute": "an attribute that is not a mapping method",
        "call-func": "called",
        "unpack": "unpacked into several names",
        "stored": "stored outside a local variable",
        "other": "an expression the analyzer does not model",
    }.get(kind, kind)
