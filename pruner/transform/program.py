"""Program: every analyzed module at once, so imports between plugin files resolve.

Plugin folders share code (a ``common.py`` with field constants, helpers and a base
Processor). The resolver asks the Program about any node, whichever module it is in:
its binding, its scope, its parent, its file; and what an import of a sibling module
refers to.
"""
from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.metadata import ExpressionContext, GlobalScope

from pruner.transform.purity import ENUM_BASES, KNOWN_BASES
from pruner.transform.collect import BindingSource, ClassInfo, FunctionNode, ModuleIndex, is_immutable_literal, use_kind

PROCESSOR_BASES = frozenset({"plugin_sdk.Processor", "plugin_sdk.processor.Processor"})
UDTF_BASES = frozenset({"plugin_sdk.UDTF", "plugin_sdk.processor.UDTF"})
SDK_BASES = {"processor": PROCESSOR_BASES, "udtf": UDTF_BASES}


class Program:
    def __init__(self, indexes: Iterable[ModuleIndex]) -> None:
        self.modules: dict[str, ModuleIndex] = {}
        self.bindings: dict[int, BindingSource] = {}
        self.param_owner: dict[int, FunctionNode] = {}
        self.owned: dict[int, list[cst.CSTNode]] = {}
        self.owner: dict[int, FunctionNode | None] = {}
        self.method_class: dict[int, ClassInfo] = {}   # id(method FunctionDef) -> its class
        self.accesses: set[int] = set()
        self.scopes: dict[cst.CSTNode, object] = {}
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.contexts: dict[cst.CSTNode, ExpressionContext] = {}
        self.unsafe_names: set[tuple[int, str]] = set()
        self.container_additions: dict[tuple[int, str], list[cst.CSTNode]] = {}
        self.externally_changed: set[tuple[str, str]] = set()   # (module, global) changed elsewhere
        self._by_tree: dict[int, ModuleIndex] = {}
        for index in indexes:
            self.modules[index.module] = index
            self.bindings.update(index.bindings)
            self.param_owner.update(index.param_owner)
            for key, nodes in index.owned.items():
                if key:  # key 0 is module level: never walked
                    self.owned[key] = nodes
            self.owner.update(index.owner)
            for info in index.classes.values():
                for method in info.methods.values():
                    self.method_class[id(method)] = info
            self.accesses |= index.accesses
            self.scopes.update(index.scopes)
            self.parents.update(index.parents)
            self.contexts.update(index.contexts)
            self.unsafe_names |= index.unsafe_names
            self.container_additions.update(index.container_additions)
            self._by_tree[id(index.tree)] = index
        for index in self.modules.values():
            self._find_changes_from_outside(index)
        for index in self.modules.values():
            if "own" in index.namespace_changes:
                self._mark_changed(index, None)
            if "modules" in index.namespace_changes or "objects" in index.namespace_changes:
                for other in self.modules.values():
                    self._mark_changed(other, None)
                    for info in other.classes.values():
                        info.class_dynamic = True

    def _find_changes_from_outside(self, index: ModuleIndex) -> None:
        """Globals of a module and attributes of a class changed by code elsewhere: another
        module (`plug.KEYS.append(...)`, `from plug import KEYS; KEYS += [...]`,
        `config.FIELD = "b"`), or module-level code after the class (`P.FIELD = "qty"`,
        `setattr(P, name, f)` in a loop). Their definitions no longer say their values."""
        for node in index.attribute_loads:
            target = self._module_or_class(index, node.value)
            if target is not None and index.context(node) is ExpressionContext.LOAD \
                    and use_kind(index, node) in _CHANGES and not self._immutable(target, node.attr.value):
                self._mark_changed(target, node.attr.value)
        for node in index.attribute_stores:
            target = self._module_or_class(index, node.value)
            if target is not None:
                self._mark_changed(target, node.attr.value)
            elif not self._is_own_instance(index, node.value):
                self._changed_anywhere(node.attr.value)     # `cls.FIELD = f` on a parameter
        for node in index.attribute_loads:
            if index.context(node) is ExpressionContext.LOAD and use_kind(index, node) in _CHANGES \
                    and self._module_or_class(index, node.value) is None \
                    and not self._is_own_instance(index, node.value) and _is_name_chain(node.value):
                self._changed_anywhere(node.attr.value)     # `param.FIELDS.append(...)`
        for call in index.getattr_calls:      # getattr(plug, "KEYS").pop(): as plug.KEYS.pop()
            target = self._module_or_class(index, call.args[0].value)
            name = call.args[1].value
            if target is not None and use_kind(index, call) in _CHANGES:
                if isinstance(name, cst.SimpleString) and isinstance(name.evaluated_value, str):
                    self._mark_changed(target, name.evaluated_value)
                elif isinstance(target, ClassInfo):
                    target.class_dynamic = True
                else:
                    self._mark_changed(target, None)
        for node in index.setattr_targets:
            target = self._module_or_class(index, node)
            if isinstance(target, ClassInfo):
                target.class_dynamic = True
            elif target is not None:
                self._mark_changed(target, None)
            elif not self._is_own_instance(index, node):
                call = index.parent(index.parent(node))
                name = None
                if isinstance(call, cst.Call) and len(call.args) > 1 and isinstance(call.args[1].value, cst.SimpleString):
                    name = call.args[1].value.evaluated_value
                if isinstance(name, str):
                    self._changed_anywhere(name)
                else:       # setattr(something, a_name, ...) on an object it cannot see
                    for other in self.modules.values():
                        for info in other.classes.values():
                            info.class_dynamic = True
        # `from plug import KEYS` then a change of KEYS here
        scope = index.global_scope
        for scope_ in {s for s in index.scopes.values() if s is not None}:
            for access in scope_.accesses:
                name = access.node
                if not isinstance(name, cst.Name):
                    continue
                imports = [a for a in access.referents
                           if isinstance(getattr(a, "node", None), (cst.Import, cst.ImportFrom))]
                if not imports or use_kind(index, name) not in _CHANGES:
                    continue
                for assignment in imports:
                    for qname in imported_qualified_names(index.import_base, assignment.node, assignment.name):
                        module_name, _, attr = qname.rpartition(".")
                        module = self.find_module(module_name) if module_name else None
                        if module is not None and self.find_module(qname) is None \
                                and not self._immutable(module, attr):
                            self._mark_changed(module, attr)
        del scope

    def _immutable(self, target: ModuleIndex | ClassInfo, name: str) -> bool:
        """Whether every binding of the global (or class attribute) is a literal that cannot
        change in place (a string, a number, a tuple of such), so a use cannot change it."""
        if isinstance(target, ClassInfo):
            stores = target.body_values.get(name, [])
            sources = [self.bindings.get(id(store)) for store in stores]
        else:
            sources = [self.bindings.get(id(getattr(a, "node", None)))
                       for a in self.global_assignments(target, name)]
        return bool(sources) and all(
            source is not None and source.kind == "expr" and not source.path
            and is_immutable_literal(source.node) for source in sources)

    def _is_own_instance(self, index: ModuleIndex, expr: cst.BaseExpression) -> bool:
        """`self` (the first parameter of a method) or `self.x`: instance state, handled per class."""
        while isinstance(expr, cst.Attribute):
            expr = expr.value
        if not isinstance(expr, cst.Name):
            return False
        scope = index.scopes.get(expr)
        try:
            assignments = scope[expr.value] if scope is not None else ()
        except Exception:
            return False
        for assignment in assignments:       # (also `self` seen from a nested function)
            node = getattr(assignment, "node", None)
            function = self.param_owner.get(id(node)) if isinstance(node, cst.Param) else None
            if not isinstance(function, cst.FunctionDef) or id(function) not in self.method_class:
                return False
            params = [*function.params.posonly_params, *function.params.params]
            if not params or params[0] is not node:
                return False
        return bool(assignments)

    def _changed_anywhere(self, name: str) -> None:
        """An attribute `name` set on an object the analyzer cannot name: any class's or
        module's attribute of that name may be it."""
        for module in self.modules.values():
            for info in module.classes.values():
                info.changed_class_attrs.add(name)
            if module.global_scope is not None and name in module.global_scope:
                self._mark_changed(module, name)

    def _module_or_class(self, index: ModuleIndex, expr: cst.BaseExpression) -> ModuleIndex | ClassInfo | None:
        if not isinstance(expr, (cst.Name, cst.Attribute)):
            return None
        if isinstance(expr, cst.Name) and expr.value in index.classes:
            return index.classes[expr.value]
        for qname in sorted(self.qnames(expr)):
            module = self.find_module(qname)
            if module is not None and module is not index:
                return module
            found = self.class_by_qualified_name(qname)
            if isinstance(found, ClassInfo):
                return found
        return None

    def _mark_changed(self, target: ModuleIndex | ClassInfo, name: str | None) -> None:
        if isinstance(target, ClassInfo):
            if name is None:
                target.class_dynamic = True
            else:
                target.changed_class_attrs.add(name)
            return
        scope = target.global_scope
        if scope is None:
            return
        names = [name] if name is not None else [a.name for a in scope.assignments]
        for each in names:
            if (target.module, each) in self.externally_changed:
                continue
            self.unsafe_names.add((id(scope), each))
            self.externally_changed.add((target.module, each))
            # a re-export (`from plug import KEYS`): the object it names changes too
            for assignment in self.global_assignments(target, each):
                node = getattr(assignment, "node", None)
                if isinstance(node, (cst.Import, cst.ImportFrom)):
                    for qname in imported_qualified_names(target.import_base, node, each):
                        module_name, _, attr = qname.rpartition(".")
                        origin = self.find_module(module_name) if module_name else None
                        if origin is not None and origin is not target:
                            self._mark_changed(origin, attr)

    # ------------------------------------------------------------------ nodes
    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def context(self, node: cst.CSTNode) -> ExpressionContext:
        return self.contexts.get(node, ExpressionContext.LOAD)

    def module_of(self, node: cst.CSTNode) -> ModuleIndex:
        top = node
        while True:
            parent = self.parents.get(top)
            if parent is None:
                break
            top = parent
        index = self._by_tree.get(id(top))
        if index is None:  # a node outside every tree: only the single module can own it
            return next(iter(self.modules.values()))
        return index

    def file_of(self, node: cst.CSTNode) -> str:
        return self.module_of(node).file

    def position(self, node: cst.CSTNode) -> tuple[int, int, int, int]:
        return self.module_of(node).position(node)

    def qnames(self, node: cst.CSTNode) -> set[str]:
        scope = self.scopes.get(node)
        if scope is None:
            return set()
        try:
            names = {q.name for q in scope.get_qualified_names_for(node)}
        except Exception:  # LibCST cannot name some expressions (calls, subscripts)
            return set()
        module = self.module_of(node).import_base
        return {absolute(module, n) if n.startswith(".") else n for n in names}

    # ------------------------------------------------------------------ modules
    def find_module(self, dotted: str) -> ModuleIndex | None:
        """A module by dotted name; `plugins.common` also finds `common` (the folder's name)."""
        if dotted in self.modules:
            return self.modules[dotted]
        parts = dotted.split(".")
        for start in range(1, len(parts)):
            tail = ".".join(parts[start:])
            if tail in self.modules:
                return self.modules[tail]
        return None

    def is_package(self, dotted: str) -> bool:
        return any(name.startswith(dotted + ".") for name in self.modules)

    def global_assignments(self, index: ModuleIndex, name: str) -> list[object]:
        scope = index.global_scope
        if scope is None or name not in scope:
            return []
        return [a for a in scope[name] if isinstance(a.scope, GlobalScope)]

    # ------------------------------------------------------------------ classes
    def resolve_class(self, index: ModuleIndex, expr: cst.BaseExpression,
                      seen: frozenset[str] = frozenset()) -> ClassInfo | str | None:
        """A base-class expression as a ClassInfo, 'processor'/'udtf' (the SDK's), or None."""
        qnames = self.qnames(expr)
        for kind, bases in SDK_BASES.items():
            if qnames & bases:
                return kind
        if isinstance(expr, cst.Name) and expr.value in index.classes:
            for assignment in self.global_assignments(index, expr.value):
                if getattr(assignment, "node", None) is index.classes[expr.value].node:
                    return index.classes[expr.value]
        for qname in sorted(qnames):
            found = self.class_by_qualified_name(qname, seen)
            if found is not None:
                return found
        return None

    def class_by_qualified_name(self, qname: str, seen: frozenset[str] = frozenset()) -> ClassInfo | str | None:
        if qname in seen:
            return None
        for kind, bases in SDK_BASES.items():
            if qname in bases:
                return kind
        module_name, _, name = qname.rpartition(".")
        if not module_name:
            return None
        index = self.find_module(module_name)
        if index is None:
            return None
        if name in index.classes:
            return index.classes[name]
        # A re-export (`from .base import Base` in a package's __init__).
        for assignment in self.global_assignments(index, name):
            node = getattr(assignment, "node", None)
            if isinstance(node, (cst.Import, cst.ImportFrom)):
                for target in imported_qualified_names(index.import_base, node, name):
                    found = self.class_by_qualified_name(target, seen | {qname})
                    if found is not None:
                        return found
        return None

    def is_enum(self, info: ClassInfo) -> bool:
        """Whether the class is an Enum (its class attributes are members)."""
        home = self.modules[info.module]
        for base in info.bases:
            if self.qnames(base) & ENUM_BASES:
                return True
            resolved = self.resolve_class(home, base)
            if isinstance(resolved, ClassInfo) and resolved is not info and self.is_enum(resolved):
                return True
        return False

    def mro(self, info: ClassInfo) -> tuple[list[ClassInfo], str, bool]:
        """(linearization, 'processor'|'udtf'|'other', whether some base could not be seen).

        Python's C3 linearization over the analyzed classes (the SDK's and harmless bases
        left out), so a diamond resolves methods and attributes as Python does. Where C3
        fails (Python would refuse the class), depth-first order, with `unknown` set.
        """
        kind = "other"
        unknown = False
        memo: dict[int, list[ClassInfo]] = {}

        def linearize(cls: ClassInfo, active: frozenset[int]) -> list[ClassInfo]:
            nonlocal kind, unknown
            if id(cls) in memo:
                return memo[id(cls)]
            if id(cls) in active:          # a cycle of bases: Python would refuse it
                unknown = True
                return [cls]
            home = self.modules[cls.module]
            bases: list[ClassInfo] = []
            for base in cls.bases:
                resolved = self.resolve_class(home, base)
                if isinstance(resolved, ClassInfo):
                    bases.append(resolved)
                elif resolved in ("processor", "udtf"):
                    kind = resolved if kind == "other" else kind
                elif not _is_harmless_base(self.qnames(base)):
                    unknown = True
            sequences = [list(linearize(b, active | {id(cls)})) for b in bases] + [list(bases)]
            result = [cls]
            while any(sequences):
                for sequence in sequences:
                    if not sequence:
                        continue
                    head = sequence[0]
                    if not any(head in other[1:] for other in sequences):
                        break
                else:                      # no consistent order: fall back, say so
                    unknown = True
                    for sequence in sequences:
                        result.extend(c for c in sequence if c not in result)
                    break
                result.append(head)
                for sequence in sequences:
                    if sequence and sequence[0] is head:
                        sequence.pop(0)
            memo[id(cls)] = result
            return result

        order = linearize(info, frozenset())
        return order, kind, unknown


_CHANGES = frozenset({"change", "change-elements", "escape", "add"})


def _is_name_chain(expr: cst.BaseExpression) -> bool:
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return isinstance(expr, cst.Name)


def _is_harmless_base(qnames: set[str]) -> bool:
    return bool(qnames & ({"builtins.object", "typing.Generic", "abc.ABC"} | KNOWN_BASES))


def absolute(module: str, relative: str) -> str:
    """Resolve a relative dotted name (`.common.PRICE`) against the importing module."""
    dots = len(relative) - len(relative.lstrip("."))
    package = module.split(".")[:-1]
    if dots > 1:
        package = package[: max(0, len(package) - (dots - 1))]
    rest = relative.lstrip(".")
    return ".".join([*package, rest]) if package else rest


def imported_qualified_names(module: str, node: cst.Import | cst.ImportFrom, bound: str) -> list[str]:
    """The qualified names an import binds to the local name `bound`."""
    found: list[str] = []
    if isinstance(node, cst.ImportFrom):
        if isinstance(node.names, cst.ImportStar):
            return found
        base = _from_base(module, node)
        for alias in node.names:
            local = alias.asname.name.value if alias.asname else _dotted(alias.name)
            if local == bound:
                name = _dotted(alias.name)
                found.append(f"{base}.{name}" if base else name)
    else:
        for alias in node.names:
            full = _dotted(alias.name)
            local = alias.asname.name.value if alias.asname else full.split(".")[0]
            if local == bound:
                found.append(full if alias.asname else full.split(".")[0])
    return found


def _from_base(module: str, node: cst.ImportFrom) -> str:
    """The module a `from ... import` reads from, made absolute."""
    name = _dotted(node.module) if node.module is not None else ""
    if not node.relative:
        return name
    package = module.split(".")[:-1]
    up = len(node.relative) - 1
    if up:
        package = package[: max(0, len(package) - up)]
    return ".".join([*package, name] if name else package)


def _dotted(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return f"{_dotted(expr.value)}.{expr.attr.value}"
    return ""
