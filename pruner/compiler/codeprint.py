"""Code fingerprints per unit: what `pruner diff` compares to tell which units changed.

A Processor's (or filter's) fingerprint is the sha256 of its reachable code, parsed with the
standard ``ast`` module (never imported), so formatting and comments do not count:

- its class definition (decorators, bases, body);
- the functions, classes and constants (``NAME = ...``) of its module it names, and those they
  name in turn, found by name (a base class, a helper, a threshold);
- every other module-level statement (an ``if`` block, a call, ``TABLE["k"] = v`` and other
  mutations at import time) and every import: always, whether or not the class names them;
  the names they use count as named;
- for a name imported from another plugin module, that module's reachable code for the name;
  ``import plugin_module`` (used as ``module.attr``) takes the whole module.

Code that may reach anything by a name computed at run time (``globals``, ``getattr``,
``eval``, ``exec``, ``__import__``, ``importlib``, ``vars``, ``locals``) takes its whole
module. A unit without code (a DimJoin, a UDAF, a rename) has the fingerprint of its step's
configuration. A fingerprint never misses a change that can reach the unit; it may count one
that cannot (a conservative diff recomputes more, never less).

Imports are followed wherever they are: at module level, in a ``try``/``if`` block, inside a
function; relative ones from a package's ``__init__`` too. What the fingerprint follows is an
allow-list: reachable code that may read something other than the code it follows (a file, by
``open`` or ``__file__``; a module outside the plugin folders and the pure standard modules of
``SAFE_MODULES``; a name it cannot resolve, as from a star import; a name computed at run time)
is *open*, and its fingerprint also takes the digest of every file in the job's plugin folders
(``folder_print``): a change to any of them counts as a change of the unit.
"""
from __future__ import annotations

import ast
import builtins
import hashlib
import json
from pathlib import Path
from typing import Any, Callable

from pruner import diagnostics as dx
from pruner.diagnostics import Diagnostic
from pruner.fingerprint import folders_digest

_DYNAMIC = frozenset({"globals", "getattr", "eval", "exec", "__import__", "importlib", "vars", "locals",
                      "__dict__", "setattr", "delattr"})
# Names whose use may read what the fingerprint does not follow (files, the import system,
# names computed at run time), wherever they appear, shadowed or not.
_OPENING = _DYNAMIC | {"open", "__file__", "__path__", "__spec__", "__loader__", "__builtins__", "compile",
                       "breakpoint", "input", "__cached__"}
_OPENING_ATTRIBUTES = frozenset({"__dict__", "__file__", "__path__", "__spec__", "__loader__", "__builtins__",
                                 "__globals__", "__code__", "__cached__", "__import__", "open"})
# Builtins that read nothing outside the code: any other free name makes the code open.
SAFE_BUILTINS = frozenset({
    "abs", "all", "any", "ascii", "bin", "bool", "bytearray", "bytes", "callable", "chr", "classmethod",
    "complex", "dict", "divmod", "enumerate", "filter", "float", "format", "frozenset", "hasattr", "hash",
    "hex", "id", "int", "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next",
    "object", "oct", "ord", "pow", "print", "property", "range", "repr", "reversed", "round", "set", "slice",
    "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "zip", "True", "False", "None",
    "Ellipsis", "NotImplemented", "__name__", "__doc__", "__class__", "__qualname__", "__module__",
    "aiter", "anext", "memoryview"}
    | {name for name in dir(builtins) if name.endswith(("Error", "Exception", "Warning", "Exit", "Interrupt",
                                                          "Iteration", "StopAsyncIteration"))})
# Standard modules that read no file, no environment and no other code (json or csv parse what
# they are given; they open nothing themselves). Any other import makes the code open.
SAFE_MODULES = frozenset({
    "__future__", "abc", "base64", "binascii", "bisect", "calendar", "cmath", "collections", "copy",
    "csv", "dataclasses", "datetime", "decimal", "difflib", "enum", "fractions", "functools", "hashlib",
    "heapq", "hmac", "html", "ipaddress", "itertools", "json", "math", "numbers", "operator", "random",
    "re", "statistics", "string", "struct", "textwrap", "time", "typing", "typing_extensions",
    "unicodedata", "uuid", "zlib", "plugin_sdk"})


class _Module:
    def __init__(self, name: str, source: str, is_package: bool = False) -> None:
        self.name = name
        self.tree = ast.parse(source)
        self.defs: dict[str, list[ast.stmt]] = {}   # name -> the statements that bind it
        self.always: list[ast.stmt] = []
        # local name -> (module, attr or None) for every import in the module, at any depth
        self.imports: dict[str, list[tuple[str, str | None]]] = {}
        self.package = name.split(".") if is_package else name.split(".")[:-1]
        body = self.tree.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]                         # the module's docstring
        self.body = body
        for node in body:
            bound = _binds(node)
            if bound is not None:
                self.defs.setdefault(bound, []).append(node)
            if bound is None or any(isinstance(n, ast.NamedExpr) for n in ast.walk(node)):
                self.always.append(node)    # (a walrus in a definition binds another name too)
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for local, target in self.import_targets(node):
                    self.imports.setdefault(local, []).append(target)
        # a module-level __getattr__ serves names the module does not define: any may be reached
        self.dynamic = _names(self.tree) & _DYNAMIC != set() or "__getattr__" in self.defs
        self.postponed = any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
                             and any(a.name == "annotations" for a in n.names) for n in body)
        self.prints: CodePrints | None = None       # set by CodePrints: other modules, for _data_name
        self.effects: list[ast.stmt] = []
        self.defs_in_order = [node for node in body if _binds(node) is not None]

    def import_targets(self, node: ast.Import | ast.ImportFrom) -> list[tuple[str, tuple[str, str | None]]]:
        """(local name, (module, attr or None)) for what an import binds."""
        found = []
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if alias.asname:
                    found.append((alias.asname, (alias.name, None)))
                else:       # `import a.b` binds a, and a.b is reached through it
                    found += [(parts[0], (".".join(parts[:i]), None)) for i in range(1, len(parts) + 1)]
            return found
        base = self.from_base(node)
        for alias in node.names:
            # `from p import x`: a name of p, or its submodule p.x
            found.append((alias.asname or alias.name, (base, alias.name)))
            if alias.name != "*":
                found.append((alias.asname or alias.name, (f"{base}.{alias.name}".strip("."), None)))
        return found

    def from_base(self, node: ast.ImportFrom) -> str:
        """The module a ``from ... import`` reads from, absolute (relative: from the module's package)."""
        if not node.level:
            return node.module or ""
        package = self.package[:max(0, len(self.package) - (node.level - 1))]
        return ".".join([*package, *([node.module] if node.module else [])])

    def imported_modules(self, node: ast.Import | ast.ImportFrom) -> list[str]:
        """The modules an import statement loads (absolute)."""
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        return [self.from_base(node)]


def _binds(node: ast.stmt) -> str | None:
    """The one name a definition statement binds (def, class, ``NAME = ...``, ``NAME: T = ...``,
    ``NAME += ...``); None for any other statement, which every unit of the module counts."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def _names(node: ast.AST, loads_only: bool = False) -> set[str]:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and (not loads_only or isinstance(child.ctx, ast.Load)):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
    return found


def _bound(node: ast.AST) -> set[str]:
    """Every name `node` binds anywhere inside it (assignments, parameters, imports, defs, ...)."""
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
            found.add(child.id)
        elif isinstance(child, ast.arg):
            found.add(child.arg)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(child.name)
        elif isinstance(child, ast.alias):
            found.add(child.asname or child.name.split(".")[0])
        elif isinstance(child, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and child.name:
            found.add(child.name)
        elif isinstance(child, ast.MatchMapping) and child.rest:
            found.add(child.rest)
        elif isinstance(child, (ast.Global, ast.Nonlocal)):
            found.update(child.names)
    return found


# Calls that change process-wide state of a standard module every plugin module shares.
_PROCESS_STATE_CALLS = frozenset({"getcontext", "setcontext", "localcontext", "seed", "setstate", "setlocale",
                                  "tzset", "setrecursionlimit", "register", "filterwarnings", "simplefilter"})


def _effectful(node: ast.stmt, module: _Module) -> bool:
    """Whether a module-level statement may change what other code reads: code that escapes its
    module (``_escapes``, wherever it is), or import-time code that does more than bind names (a
    call other than of a pure builtin or pure standard function, an in-place operator, a store
    into an object, a decorator of the plugin's own). Such code counts for every unit: a module
    imported only for its side effects, or a decorated function no class names, runs it all the
    same."""
    if _escapes(node, module):
        return True
    for part in _import_time(node, module):
        if part is node and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return True                 # a decorator of the plugin's: the whole definition counts
        parents = {child: parent for parent in ast.walk(part) for child in ast.iter_child_nodes(parent)}
        for child in ast.walk(part):
            if isinstance(child, ast.Call) and not _pure_callee(child.func, module):
                return True
            if isinstance(child, ast.AugAssign):
                return True             # `x |= {...}` changes the object x names, maybe shared
            if isinstance(child, (ast.Attribute, ast.Subscript)) and isinstance(child.ctx, (ast.Store, ast.Del)):
                return True
            # an object that may have methods of the plugin's (a class: its metaclass, its
            # __class_getitem__) used in a way that calls one: an operator, a subscript, formatting,
            # iteration, an argument
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load) and not _data_name(child.id, module) \
                    and not _inert_use(child, parents):
                return True
    return False


def _inert_use(name: ast.Name, parents: dict) -> bool:
    """A reference that calls nothing on the object: bound as it is (``ALIAS = C``), or put in a
    tuple, list or set (or as a dict value) that is bound as it is, or a bare statement."""
    node, parent = name, parents.get(name)
    while isinstance(parent, (ast.List, ast.Tuple, ast.Set)) or (isinstance(parent, ast.Dict) and node in parent.values):
        node, parent = parent, parents.get(parent)
    return (isinstance(parent, (ast.Assign, ast.AnnAssign)) and node is parent.value) or isinstance(parent, ast.Expr) \
        or parent is None


def _data_name(name: str, module: _Module, depth: int = 3) -> bool:
    """Whether `name` in `module` is an object with no method of the plugin's: a pure builtin, a
    name of a pure standard module, a function (undecorated), or a constant made of literals
    (here, or imported from another plugin module)."""
    if name in SAFE_BUILTINS and name not in module.defs and name not in module.imports:
        return True
    if depth == 0:
        return False
    if name in module.imports:
        for mod, attr in module.imports[name]:
            if mod.split(".")[0] in SAFE_MODULES:
                continue
            other = module.prints.modules.get(mod) if module.prints is not None else None
            if attr is None:            # a module object: no method of the plugin's, but __getattr__
                if other is not None and "__getattr__" in other.defs:
                    return False
                if other is None and len(module.imports[name]) == 1:
                    return False        # a module outside the plugins (the alternative of `from p import x`
                continue                # that is not a submodule has a target of its own)
            if other is None or attr == "*" or not _data_name(attr, other, depth - 1):
                return False
        return True
    nodes = module.defs.get(name)
    if not nodes:
        return False
    for node in nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.decorator_list:
            continue
        value = getattr(node, "value", None)
        if isinstance(node, ast.ClassDef) or value is None or not _data_expression(value, module, depth - 1):
            return False
    return True


def _data_expression(value: ast.AST, module: _Module, depth: int) -> bool:
    """A value made of literals, data names, operators on them and pure calls."""
    for child in ast.walk(value):
        if isinstance(child, ast.Name) and not _data_name(child.id, module, depth):
            return False
        if isinstance(child, ast.Call) and not _pure_callee(child.func, module):
            return False
        if isinstance(child, (ast.Lambda, ast.NamedExpr)):
            return False
    return True


def _import_time(node: ast.stmt, module: _Module) -> list[ast.AST]:
    """The parts of a module-level statement that run when the module is imported: not function
    bodies, but their decorators and defaults, and class bodies. A definition decorated by
    anything but a pure builtin or standard function is returned whole."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        if any(not _pure_callee(d.func if isinstance(d, ast.Call) else d, module) for d in node.decorator_list):
            return [node]
        if isinstance(node, ast.ClassDef):
            if node.keywords:           # a metaclass (or class arguments): its code runs on the class
                return [node]
            # plain base names: what making the class runs (a metaclass, __init_subclass__) is
            # counted for every class (CodePrints.effects_print); other base expressions run here
            parts: list[ast.AST] = [b for b in node.bases if not isinstance(b, (ast.Name, ast.Attribute))]
            for statement in node.body:
                parts += _import_time(statement, module)
            return parts
        parts = [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
        if not module.postponed:        # annotations are evaluated when the def runs
            arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                         *(a for a in (node.args.vararg, node.args.kwarg) if a is not None)]
            parts += [a.annotation for a in arguments if a.annotation is not None]
            parts += [node.returns] if node.returns is not None else []
        return parts
    if isinstance(node, ast.AnnAssign) and module.postponed:
        return [node.value] if node.value is not None else []
    return [node]


def _pure_callee(func: ast.AST, module: _Module) -> bool:
    """A builtin of SAFE_BUILTINS, a function of a SAFE_MODULES module (not one that sets its
    state), or a method of a literal made right there (``", ".join``, ``"a b".split``)."""
    if isinstance(func, ast.Name):
        if func.id in SAFE_BUILTINS and func.id not in module.defs and func.id not in module.imports:
            return True
        targets = module.imports.get(func.id, ())
        return bool(targets) and func.id not in _PROCESS_STATE_CALLS and all(
            mod.split(".")[0] in SAFE_MODULES for mod, attr in targets if attr is not None)
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, (ast.Constant, ast.JoinedStr, ast.List, ast.Tuple, ast.Dict, ast.Set)):
            return True
        if isinstance(func.value, ast.Name) and func.attr not in _PROCESS_STATE_CALLS:
            targets = module.imports.get(func.value.id, ())
            return bool(targets) and func.value.id not in module.defs and all(
                attr is None and mod.split(".")[0] in SAFE_MODULES for mod, attr in targets)
    return False


_CLASS_HOOKS = frozenset({"__init_subclass__", "__set_name__", "__class_getitem__", "__mro_entries__"})
# Methods that change a list, dict, set or bytearray in place: called on another plugin module's
# object (anywhere: at import time any call but a pure one counts already).
_CONTAINER_MUTATORS = frozenset({"append", "extend", "insert", "pop", "popitem", "remove", "clear", "update",
                                 "setdefault", "add", "discard", "sort", "reverse", "difference_update",
                                 "intersection_update", "symmetric_difference_update", "appendleft", "extendleft",
                                 "popleft", "rotate", "move_to_end"})
_MUTATING_REFERENCES = frozenset({"setattr", "delattr", "vars", "globals", "__setattr__", "__delattr__",
                                  "__setitem__", "__delitem__", "__dict__"})


def _escapes(node: ast.stmt, module: _Module) -> bool:
    """Whether a module-level statement holds code that may change what other modules' code
    reads, wherever it runs: a store or delete through an imported name, a call result or a name
    the module does not bind plainly (``pricing.SUFFIX = ...``, ``builtins.round = ...``,
    ``decimal.getcontext().prec = ...``); ``setattr``, ``vars``, ``globals``, ``__dict__`` used in
    any way (called, or passed as a value); ``operator``'s setters and in-place operators; a
    ``global`` statement; a method call on an object of another plugin module (imported, or
    reached through one); an import of ``builtins``; ``sys.modules``; or a call that sets the state
    of a standard module (the decimal context, the random seed, the locale)."""
    plain = {name for name, nodes in module.defs.items()
             if all(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                    or _literal_value(n) for n in nodes)}
    for child in ast.walk(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            if any(m.split(".")[0] == "builtins" for m in module.imported_modules(child)):
                return True
            if isinstance(child, ast.ImportFrom) and module.from_base(child) == "operator" and any(
                    _operator_mutator(a.name) for a in child.names):
                return True
        elif isinstance(child, ast.Global):
            return True
        elif isinstance(child, ast.Name) and child.id in _MUTATING_REFERENCES:
            return True
        elif isinstance(child, (ast.Attribute, ast.Subscript)) and isinstance(child.ctx, (ast.Store, ast.Del)):
            root, through_call = _root(child)
            if through_call or root is None or root in module.imports or \
                    (root not in plain and root not in _local_names(node, root)):
                return True
        elif isinstance(child, ast.Attribute):
            if child.attr in _MUTATING_REFERENCES:
                return True
            if child.attr == "modules" and isinstance(child.value, ast.Name) and child.value.id == "sys":
                return True
            if isinstance(child.value, ast.Name) and _operator_mutator(child.attr) and any(
                    mod == "operator" for mod, _ in module.imports.get(child.value.id, ())):
                return True
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
            func = child.func
            if func.attr in _PROCESS_STATE_CALLS:
                return True
            root, _ = _root(func.value)
            if func.attr in _CONTAINER_MUTATORS and root in module.imports and (
                    isinstance(func.value, (ast.Attribute, ast.Subscript)) or any(
                        attr is not None and mod.split(".")[0] not in SAFE_MODULES
                        for mod, attr in module.imports[root])):
                return True     # pricing.BANDS.append(...), or BANDS.update(...) of `from pricing import BANDS`
    return False


def _operator_mutator(name: str) -> bool:
    """operator.setitem, delitem, setattr-like and the in-place operators (iadd, ior, ...)."""
    return name.startswith(("set", "del", "__set", "__del", "__i")) or (
        len(name) > 1 and name[0] == "i" and name[1:] in {"add", "and", "concat", "floordiv", "lshift", "mod", "mul",
                                                           "matmul", "or", "pow", "rshift", "sub", "truediv", "xor"})


def _root(node: ast.AST) -> tuple[str | None, bool]:
    """The name an attribute/subscript/call chain starts from, and whether it goes through a call."""
    through_call = False
    while True:
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Call):
            through_call = True
            node = node.func
        elif isinstance(node, ast.Name):
            return node.id, through_call
        else:
            return None, through_call


def _local_names(statement: ast.stmt, name: str) -> set[str]:
    """{name} when `name` is a parameter or local of a function inside `statement`, else {}."""
    for child in ast.walk(statement):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if name in _bound(child.args) or any(
                    isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                    for body in (child.body if isinstance(child.body, list) else [child.body])
                    for n in ast.walk(body)):
                return {name}
    return set()


def _literal_value(node: ast.stmt) -> bool:
    """``NAME = <a literal, or containers of literals>``: an object the module makes itself."""
    value = getattr(node, "value", None)
    if value is None:
        return False
    return all(isinstance(n, (ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Load, ast.UnaryOp,
                              ast.USub, ast.UAdd))
               for n in ast.walk(value))


def _dump(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=False, include_attributes=False)


class _Reach:
    """What one class reaches: the dumps its fingerprint hashes, the nodes per module (to tell
    whether the code is open) and why it is open."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.seen: set[tuple[str, str]] = set()
        self.nodes: dict[str, list[ast.AST]] = {}
        self.open: list[str] = []

    def add(self, module: _Module, label: str, nodes: list[ast.AST]) -> None:
        self.parts.append(f"{label}\n" + "\n".join(_dump(n) for n in nodes))
        self.nodes.setdefault(module.name, []).extend(nodes)


class CodePrints:
    """Fingerprints of classes in a job's plugin modules (`sources`: module name -> source text;
    `packages`: the modules that are a package's ``__init__``; `folder_print`: the digest of
    every file in the plugin folders, taken by open code, or a function that makes it)."""

    def __init__(self, sources: dict[str, str], packages: set[str] | frozenset[str] = frozenset(),
                 folder_print: str | Callable[[], str] = "") -> None:
        self.modules: dict[str, _Module] = {}
        for name, text in sources.items():
            try:
                self.modules[name] = _Module(name, text, name in packages)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue            # the analyzer reports it; such a unit gets no code print
        for module in self.modules.values():
            module.prints = self
        for module in self.modules.values():
            module.effects = [node for node in module.body if _effectful(node, module)]
        self._folder_print = folder_print
        self._effects: str | None = None
        self.open: dict[str, list[str]] = {}     # class ref -> why its code is open
        self.lines: dict[str, int] = {}          # class ref -> the line of its class (open ones)

    def effects_print(self) -> str:
        """The code in any plugin module that may change state other modules' code reads (an
        attribute of another module or of builtins, the decimal context, ...): part of every
        class's fingerprint, as any of them may run after it. '' when there is none."""
        if self._effects is None:
            reach = _Reach()            # the effects, and the code they reach (the function they install)
            hooks = any((isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name in _CLASS_HOOKS)
                        or (isinstance(n, ast.ClassDef) and (n.keywords or any(
                            isinstance(b, ast.Name) and b.id == "type" for b in n.bases)))
                        for m in self.modules.values() for n in ast.walk(m.tree))
            for _, module in sorted(self.modules.items()):
                effects = module.effects
                if hooks:               # __init_subclass__, a metaclass, ... run as classes are made
                    effects = [*effects, *(n for n in module.defs_in_order
                                           if isinstance(n, ast.ClassDef) and n not in effects)]
                if effects:
                    reach.add(module, f"effects of {module.name}", effects)
                    self._reach(module, set().union(*(_names(n) for n in effects)), reach)
            parts = reach.parts
            self._effects = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest() if parts else ""
        return self._effects

    def folder_print(self) -> str:
        if callable(self._folder_print):
            self._folder_print = self._folder_print()
        return self._folder_print

    def of_class(self, class_ref: str) -> str | None:
        """The fingerprint of ``module.Class``'s reachable code; None if it cannot be found."""
        module_name, _, class_name = class_ref.rpartition(".")
        module = self.modules.get(module_name)
        if module is None or not any(isinstance(n, ast.ClassDef) for n in module.defs.get(class_name, ())):
            return None
        reach = _Reach()
        self._reach(module, {class_name}, reach)
        if self.effects_print():
            reach.parts.append(f"process-wide effects {self.effects_print()}")
        reach.open = self._open_reasons(reach)
        if reach.open:
            self.open[class_ref] = reach.open
            self.lines[class_ref] = next(n.lineno for n in module.defs[class_name] if isinstance(n, ast.ClassDef))
            reach.parts.append(f"plugin folders {self.folder_print()}")
        return hashlib.sha256("\n".join(reach.parts).encode("utf-8")).hexdigest()

    def of_class_body(self, class_ref: str) -> str | None:
        """The fingerprint of ``module.Class``'s own definition only (a UDTF: its list of
        Processors, each with a fingerprint of its own)."""
        module_name, _, class_name = class_ref.rpartition(".")
        module = self.modules.get(module_name)
        nodes = [n for n in (module.defs.get(class_name, ()) if module else ()) if isinstance(n, ast.ClassDef)]
        if not nodes:
            return None
        return hashlib.sha256("\n".join(_dump(n) for n in nodes).encode("utf-8")).hexdigest()

    def _find(self, name: str) -> _Module | None:
        """The plugin module an import names (or a tail of it: a folder inside a plugin folder)."""
        parts = name.split(".")
        for start in range(len(parts)):
            found = self.modules.get(".".join(parts[start:]))
            if found is not None:
                return found
        return None

    def _follow(self, module: _Module, name: str, reach: _Reach) -> None:
        for other, attr in module.imports.get(name, ()):
            target = self._find(other)
            if target is not None and target is not module:
                self._reach(target, {"*"} if attr is None or attr == "*" else {attr}, reach)
                parts = target.name.split(".")
                for i in range(1, len(parts)):      # importing a.b.c runs the __init__ of a and a.b
                    parent = self.modules.get(".".join(parts[:i]))
                    if parent is not None and parent is not module:
                        self._reach(parent, set(), reach)

    def _reach(self, module: _Module, wanted: set[str], reach: _Reach) -> None:
        """Add the code `wanted` names reach in `module` (and in plugin modules it imports from)."""
        seen = reach.seen
        if (module.name, "*") in seen:
            return
        if module.dynamic or "*" in wanted:        # any name may be reached: the whole module
            seen.add((module.name, "*"))
            reach.add(module, f"module {module.name}", [module.tree])
            for local in sorted(module.imports):
                self._follow(module, local, reach)
            return
        if (module.name, "") not in seen:            # module-level statements: always
            seen.add((module.name, ""))
            reach.add(module, f"module {module.name}", module.always)
            for node in module.always:        # what they use (what they bind, a class names)
                wanted = wanted | _names(node, loads_only=True)
        todo = sorted(wanted)
        while todo:
            name = todo.pop()
            if (module.name, name) in seen:
                continue
            seen.add((module.name, name))
            for node in module.defs.get(name, ()):
                reach.add(module, f"{module.name}.{name}", [node])
                if _names(node) & _DYNAMIC:
                    self._reach(module, {"*"}, reach)
                    return
                todo.extend(sorted(_names(node) - {n for m, n in seen if m == module.name}))
            self._follow(module, name, reach)     # an import binding it, at any depth

    def _open_reasons(self, reach: _Reach) -> list[str]:
        """Why the reached code may read what its fingerprint does not follow ([] if nothing)."""
        why: set[str] = set()
        for name, nodes in reach.nodes.items():
            module = self.modules[name]
            bound = set(module.defs) | set(module.imports)
            for node in nodes:
                bound |= _bound(node)
            for node in nodes:
                for child in ast.walk(node):
                    if isinstance(child, ast.Name):
                        if child.id in _OPENING:
                            why.add(f"{child.id} in {name}")
                        elif isinstance(child.ctx, ast.Load) and child.id not in bound \
                                and child.id not in SAFE_BUILTINS:
                            why.add(f"{child.id} (unresolved) in {name}")
                    elif isinstance(child, ast.Attribute) and child.attr in _OPENING_ATTRIBUTES:
                        why.add(f"{child.attr} in {name}")
                    elif isinstance(child, ast.Constant) and isinstance(child.value, str) \
                            and "{" in child.value and "__" in child.value:
                        why.add(f"a format string that may reach dunder attributes in {name}")
                    elif isinstance(child, (ast.Import, ast.ImportFrom)):
                        if isinstance(child, ast.ImportFrom) and any(a.name == "*" for a in child.names):
                            why.add(f"a star import in {name}")
                        for imported in module.imported_modules(child):
                            if self._find(imported) is None and imported.split(".")[0] not in SAFE_MODULES \
                                    and not any(m.startswith(imported + ".") for m in self.modules):
                                why.add(f"import {imported or '.'} in {name}")
        return sorted(why)


def step_print(config: Any) -> str:
    """The fingerprint of a step's configuration (a DimJoin's table, keys and fields, ...)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def unit_prints(lineage) -> tuple[dict[int, str | None], list[Diagnostic]]:
    """Every unit's code fingerprint (by unit index), and a PR508 diagnostic for each unit whose
    code is open (its fingerprint takes the plugin folders)."""
    spec = lineage.spec
    files = {m.module: m.file for m in lineage.analysis.modules}
    prints = CodePrints(module_sources(files), packages={m for m, f in files.items() if Path(f).name == "__init__.py"},
                        folder_print=lambda: folders_digest(spec.plugins))
    codes: dict[int, str | None] = {}
    diagnostics: list[Diagnostic] = []
    for unit in lineage.units:
        codes[unit.index] = unit_code(unit, spec, prints)
        why = prints.open.get(unit.class_ref or "")
        if why and unit.kind in ("processor", "filter"):
            diagnostics.append(dx.make(
                "open-code", unit.file or str(spec.path), prints.lines.get(unit.class_ref or "", 1), 1,
                f"{unit.name}: its code may read what its fingerprint cannot follow ({'; '.join(why[:4])}"
                f"{'; ...' if len(why) > 4 else ''}): its fingerprint takes every file in the plugin folders, "
                "so `pruner diff` counts it changed when any of them changes"))
    return codes, diagnostics


def unit_code(unit, spec, prints: CodePrints) -> str | None:
    """A unit's code fingerprint: a Processor's reachable code with its UDTF class's own
    definition, a filter's Processor's, or the configuration of its step."""
    step = next((s for s in spec.pipeline if s.name == unit.step), None)
    if step is None:
        return None
    if unit.kind in ("processor", "filter"):
        own = prints.of_class(unit.class_ref) if unit.class_ref else None
        udtf = prints.of_class_body(step.class_ref) if unit.kind == "processor" else ""
        if own is None or udtf is None:
            return None
        return step_print([unit.kind, own, udtf])
    config = {k: v for k, v in vars(step).items() if k != "index"}
    return step_print([unit.kind, type(step).__name__, config])


def module_sources(files: dict[str, str | Path]) -> dict[str, str]:
    """Module name -> source text, read from the plugin files (never imported)."""
    out = {}
    for name, path in files.items():
        try:
            out[name] = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return out
