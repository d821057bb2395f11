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
"""
from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Any

_DYNAMIC = frozenset({"globals", "getattr", "eval", "exec", "__import__", "importlib", "vars", "locals",
                      "__dict__", "setattr", "delattr"})


class _Module:
    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.tree = ast.parse(source)
        self.defs: dict[str, list[ast.stmt]] = {}   # name -> the statements that bind it
        self.always: list[ast.stmt] = []
        self.imports: dict[str, tuple[str, str | None]] = {}   # local name -> (module, attr or None)
        body = self.tree.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]                         # the module's docstring
        for node in body:
            bound = _binds(node)
            if bound is not None:
                self.defs.setdefault(bound, []).append(node)
                continue
            self.always.append(node)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports[alias.asname or alias.name.split(".")[0]] = (alias.name, None)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:              # relative: from the module's package
                    package = name.split(".")[:-node.level] if len(name.split(".")) > node.level else []
                    base = ".".join([*package, *([node.module] if node.module else [])])
                for alias in node.names:
                    if not node.module:     # from . import x: a module x, or a name of the package
                        self.imports[alias.asname or alias.name] = (f"{base}.{alias.name}".strip("."), None)
                    else:
                        self.imports[alias.asname or alias.name] = (base, alias.name)
        self.dynamic = _names(self.tree) & _DYNAMIC != set()


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


def _names(node: ast.AST) -> set[str]:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
    return found


def _dump(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=False, include_attributes=False)


class CodePrints:
    """Fingerprints of classes in a job's plugin modules (`sources`: module name -> source text)."""

    def __init__(self, sources: dict[str, str]) -> None:
        self.modules: dict[str, _Module] = {}
        for name, text in sources.items():
            try:
                self.modules[name] = _Module(name, text)
            except SyntaxError:
                continue            # the analyzer reports it; such a unit gets no code print

    def of_class(self, class_ref: str) -> str | None:
        """The fingerprint of ``module.Class``'s reachable code; None if it cannot be found."""
        module_name, _, class_name = class_ref.rpartition(".")
        module = self.modules.get(module_name)
        if module is None or not any(isinstance(n, ast.ClassDef) for n in module.defs.get(class_name, ())):
            return None
        parts: list[str] = []
        self._reach(module, {class_name}, parts, set())
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()

    def of_class_body(self, class_ref: str) -> str | None:
        """The fingerprint of ``module.Class``'s own definition only (a UDTF: its list of
        Processors, each with a fingerprint of its own)."""
        module_name, _, class_name = class_ref.rpartition(".")
        module = self.modules.get(module_name)
        nodes = [n for n in (module.defs.get(class_name, ()) if module else ()) if isinstance(n, ast.ClassDef)]
        if not nodes:
            return None
        return hashlib.sha256("\n".join(_dump(n) for n in nodes).encode("utf-8")).hexdigest()

    def _reach(self, module: _Module, wanted: set[str], parts: list[str], seen: set[tuple[str, str]]) -> None:
        """Add the code `wanted` names reach in `module` (and in plugin modules it imports from)."""
        if (module.name, "*") in seen:
            return
        if module.dynamic or "*" in wanted:        # any name may be reached: the whole module
            seen.add((module.name, "*"))
            parts.append(f"module {module.name}\n{_dump(module.tree)}")
            for local, (other, attr) in sorted(module.imports.items()):
                if other in self.modules:
                    self._reach(self.modules[other], {"*"} if attr is None else {attr}, parts, seen)
            return
        if (module.name, "") not in seen:            # module-level statements: always
            seen.add((module.name, ""))
            parts.append(f"module {module.name}\n" + "\n".join(_dump(n) for n in module.always))
            for node in module.always:
                wanted = wanted | _names(node)
        todo = sorted(wanted)
        while todo:
            name = todo.pop()
            if (module.name, name) in seen:
                continue
            seen.add((module.name, name))
            nodes = module.defs.get(name)
            if nodes:
                for node in nodes:
                    parts.append(f"{module.name}.{name}\n{_dump(node)}")
                    if _names(node) & _DYNAMIC:
                        self._reach(module, {"*"}, parts, seen)
                        return
                    todo.extend(sorted(_names(node) - {n for m, n in seen if m == module.name}))
            elif name in module.imports:
                other, attr = module.imports[name]
                if other in self.modules:
                    self._reach(self.modules[other], {"*"} if attr is None else {attr}, parts, seen)


def step_print(config: Any) -> str:
    """The fingerprint of a step's configuration (a DimJoin's table, keys and fields, ...)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def module_sources(files: dict[str, str | Path]) -> dict[str, str]:
    """Module name -> source text, read from the plugin files (never imported)."""
    out = {}
    for name, path in files.items():
        try:
            out[name] = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return out
