"""Collect: one LibCST pass that only records facts about a module; resolve.py reads them.

Nothing here interprets code. It records, for each module:
- which value expression each assigned name is bound to (``BindingSource``),
- which function directly owns each node, and the nodes each function owns,
- the module's classes (bases, body attributes, methods, attributes set on ``self``),
- module-level mutable containers that are used in ways other than reading them.
Scopes and qualified names come from LibCST's metadata providers. Parents and store
contexts are recorded by this pass itself, and positions are computed only when a
diagnostic needs one: each LibCST provider is a full walk of the tree, and those three
made up most of the analyzer's time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import libcst as cst
from libcst.metadata import (
    ExpressionContext,
    MetadataWrapper,
    PositionProvider,
    ScopeProvider,
)

FunctionNode = cst.FunctionDef | cst.Lambda

# Nodes a function's own walk looks at.
_TRACKED = (cst.Name, cst.Call, cst.Attribute, cst.Subscript, cst.BooleanOperation,
            cst.IfExp, cst.NamedExpr, cst.Lambda, cst.Return, cst.Global, cst.Comparison)

_READ_ONLY_METHODS = frozenset({"get", "items", "keys", "values", "copy", "count", "index",
                                "__contains__", "__getitem__", "__len__", "__iter__"})
# Methods that only read their argument (whatever they do to their receiver).
_READING_ARGUMENT_METHODS = frozenset({"update", "extend", "union", "intersection", "difference",
                                       "issubset", "issuperset", "isdisjoint", "symmetric_difference"})
_READ_ONLY_BUILTINS = frozenset({
    "builtins.len", "builtins.list", "builtins.tuple", "builtins.sorted", "builtins.set",
    "builtins.frozenset", "builtins.enumerate", "builtins.zip", "builtins.reversed",
    "builtins.dict", "builtins.str", "builtins.any", "builtins.all", "builtins.min",
    "builtins.max", "builtins.sum", "builtins.isinstance", "builtins.iter",
})


@dataclass(frozen=True)
class BindingSource:
    """What an assigned name is bound to.

    kind "expr": the value of `node`; "iter": an element of iterating `node`;
    "aug": `node` is an AugAssign on the name; "opaque": something not tracked
    (with-as, except-as, match patterns, starred targets). `path` indexes into
    tuple unpacking: `a, (b, c) = ...` binds c with path (1, 1).
    """

    kind: str
    node: cst.CSTNode | None
    path: tuple[int, ...] = ()


@dataclass(eq=False)
class ClassInfo:
    module: str
    name: str
    node: cst.ClassDef
    bases: tuple[cst.BaseExpression, ...]
    body_values: dict[str, list[cst.Name]] = field(default_factory=dict)   # name -> store nodes
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)
    instance_attrs: set[str] = field(default_factory=set)                  # self.X = ... anywhere


@dataclass
class ModuleIndex:
    module: str
    file: str
    tree: cst.Module
    wrapper: MetadataWrapper
    scopes: Mapping[cst.CSTNode, object]
    parents: dict[cst.CSTNode, cst.CSTNode] = field(default_factory=dict)
    contexts: dict[cst.CSTNode, ExpressionContext] = field(default_factory=dict)
    global_scope: object | None = None
    _positions: Mapping[cst.CSTNode, object] | None = None
    bindings: dict[int, BindingSource] = field(default_factory=dict)
    param_owner: dict[int, FunctionNode] = field(default_factory=dict)
    owner: dict[int, FunctionNode | None] = field(default_factory=dict)
    owned: dict[int, list[cst.CSTNode]] = field(default_factory=dict)
    accesses: set[int] = field(default_factory=set)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    classes_in_functions: list[cst.ClassDef] = field(default_factory=list)
    unsafe_names: set[tuple[int, str]] = field(default_factory=set)   # (id(scope), name)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def position(self, node: cst.CSTNode) -> tuple[int, int, int, int]:
        if self._positions is None:
            self._positions = self.wrapper.resolve(PositionProvider)
        rng = self._positions.get(node)
        if rng is None:
            return (1, 1, 1, 1)
        return (rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)

    def qnames(self, node: cst.CSTNode) -> set[str]:
        """Qualified names of a name or dotted name, asked of its scope on demand.

        (QualifiedNameProvider would compute them for every node in one more full walk.)
        """
        scope = self.scopes.get(node)
        if scope is None:
            return set()
        try:
            return {q.name for q in scope.get_qualified_names_for(node)}
        except Exception:  # LibCST cannot name some expressions (calls, subscripts)
            return set()

    def context(self, node: cst.CSTNode) -> ExpressionContext:
        return self.contexts.get(node, ExpressionContext.LOAD)


def collect(module: cst.Module, module_name: str, file: str) -> ModuleIndex:
    """Run the collecting pass over a parsed module."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    index = ModuleIndex(module=module_name, file=file, tree=wrapper.module, wrapper=wrapper,
                        scopes=wrapper.resolve(ScopeProvider))
    index.global_scope = index.scopes.get(index.tree)
    for scope in set(index.scopes.values()):
        if scope is None:
            continue
        for access in scope.accesses:
            if isinstance(access.node, cst.Name):
                index.accesses.add(id(access.node))
    wrapper.module.visit(_Collector(index))
    _find_unsafe_names(index)
    return index


class _Collector(cst.CSTVisitor):
    def __init__(self, index: ModuleIndex) -> None:
        self.index = index
        self.functions: list[FunctionNode] = []
        self.classes: list[ClassInfo | None] = []   # None marks a class nested in a function
        self.stack: list[cst.CSTNode] = []

    # --- parents and ownership -------------------------------------------------------------
    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.stack:
            self.index.parents[node] = self.stack[-1]
        self.stack.append(node)
        current = self.functions[-1] if self.functions else None
        self.index.owner[id(node)] = current
        if isinstance(node, _TRACKED):
            self.index.owned.setdefault(id(current) if current is not None else 0, []).append(node)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        super().on_leave(original_node)
        self.stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        cls = self.classes[-1] if self.classes else None
        if cls is not None and not self.functions:
            cls.methods[node.name.value] = node
        self._enter_function(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._enter_function(node)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.functions.pop()

    def _enter_function(self, node: FunctionNode) -> None:
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            self.index.param_owner[id(param)] = node
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.index.param_owner[id(star)] = node
        self.functions.append(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.functions:
            self.index.classes_in_functions.append(node)
            self.classes.append(None)
            return
        if self.classes:           # nested class in a class body: not a Processor
            self.classes.append(None)
            return
        info = ClassInfo(module=self.index.module, name=node.name.value, node=node,
                         bases=tuple(a.value for a in node.bases if not a.keyword))
        self.index.classes[info.name] = info
        self.classes.append(info)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.classes.pop()

    # --- bindings ---------------------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, BindingSource("expr", node.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, BindingSource("expr", node.value))
        else:
            self._bind(node.target, BindingSource("opaque", None))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, BindingSource("aug", node))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, BindingSource("expr", node.value))

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, BindingSource("iter", node.iter))

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind(node.target, BindingSource("iter", node.iter))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name, BindingSource("opaque", None))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind(node.name.name, BindingSource("opaque", None))

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._bind(node.name, BindingSource("opaque", None))

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self._bind(node.name, BindingSource("opaque", None))

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self._bind(node.rest, BindingSource("opaque", None))

    def _bind(self, target: cst.BaseExpression, source: BindingSource) -> None:
        if isinstance(target, cst.Name):
            self.index.bindings[id(target)] = source
            cls = self.classes[-1] if self.classes else None
            if cls is not None and not self.functions:
                cls.body_values.setdefault(target.value, []).append(target)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for i, element in enumerate(target.elements):
                if isinstance(element, cst.StarredElement):
                    self._bind(element.value, BindingSource("opaque", None))
                elif source.kind in ("expr", "iter"):
                    self._bind(element.value, BindingSource(source.kind, source.node, source.path + (i,)))
                else:
                    self._bind(element.value, BindingSource("opaque", None))
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value, BindingSource("opaque", None))
        elif isinstance(target, cst.Attribute):
            self.index.contexts[target] = ExpressionContext.STORE
            self._note_self_attribute(target)
        elif isinstance(target, cst.Subscript):
            self.index.contexts[target] = ExpressionContext.STORE

    def _note_self_attribute(self, target: cst.Attribute) -> None:
        # `self.X = ...` inside a method: X is (also) an instance attribute of the class.
        if not self.functions or not isinstance(target.value, cst.Name):
            return
        function = self.functions[-1]
        if not isinstance(function, cst.FunctionDef):
            return
        params = function.params.params
        if not params or params[0].name.value != target.value.value:
            return
        cls = next((c for c in reversed(self.classes) if c is not None), None)
        if cls is not None:
            cls.instance_attrs.add(target.attr.value)

    def visit_Del(self, node: cst.Del) -> None:
        self._mark_deleted(node.target)

    def _mark_deleted(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._mark_deleted(element.value)
        elif isinstance(target, (cst.Attribute, cst.Subscript)):
            self.index.contexts[target] = ExpressionContext.DEL
            if isinstance(target, cst.Attribute):
                self._note_self_attribute(target)


def _find_unsafe_names(index: ModuleIndex) -> None:
    """Names bound to a mutable container (list, dict, set) that some use might change.

    Such a name loses its constant value: `d = {"a": 1}; d["b"] = 2; out.update(d)` writes b.
    Any use that is not plainly reading the container (an alias, a store into it, a mutating
    method, passing it to other code) makes the name unsafe, in whatever scope it lives.
    """
    mutable = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)
    candidates: dict[str, set[int]] = {}     # name -> ids of the scopes binding it to a container
    for scope in {s for s in index.scopes.values() if s is not None}:
        for assignment in scope.assignments:
            node = getattr(assignment, "node", None)
            source = index.bindings.get(id(node)) if isinstance(node, cst.Name) else None
            if source is not None and source.kind == "expr" and not source.path and isinstance(source.node, mutable):
                candidates.setdefault(assignment.name, set()).add(id(assignment.scope))
    if not candidates:
        return
    for scope in {s for s in index.scopes.values() if s is not None}:
        for access in scope.accesses:
            node = access.node
            if not isinstance(node, cst.Name) or node.value not in candidates:
                continue
            owners = {id(a.scope) for a in access.referents} & candidates[node.value]
            if owners and not _is_read_only_use(index, node):
                for owner in owners:
                    index.unsafe_names.add((owner, node.value))


def _is_read_only_use(index: ModuleIndex, node: cst.Name) -> bool:
    parent = index.parent(node)
    if isinstance(parent, cst.Subscript) and parent.value is node:
        return index.context(parent) is ExpressionContext.LOAD
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
        return True
    if isinstance(parent, cst.ComparisonTarget):
        return True
    if isinstance(parent, cst.Comparison) and parent.left is node:
        return True
    if isinstance(parent, cst.Attribute) and parent.value is node:
        grand = index.parent(parent)
        return (parent.attr.value in _READ_ONLY_METHODS and isinstance(grand, cst.Call)
                and grand.func is parent)
    if isinstance(parent, cst.Arg) and not parent.star:
        call = index.parent(parent)
        if isinstance(call, cst.Call):
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in _READING_ARGUMENT_METHODS:
                return True   # out.update(d), s.union(d): the argument is only read
            return bool(index.qnames(call.func) & _READ_ONLY_BUILTINS)
    return False
