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
    GlobalScope,
    MetadataWrapper,
    PositionProvider,
    ScopeProvider,
)

from pruner.transform.purity import PURE_BUILTINS, PURE_FUNCTIONS, PURE_METHODS
from pruner.transform.sources import relative_base

FunctionNode = cst.FunctionDef | cst.Lambda

# Nodes a function's own walk looks at.
_TRACKED = (cst.Name, cst.Call, cst.Attribute, cst.Subscript, cst.BooleanOperation,
            cst.IfExp, cst.NamedExpr, cst.Lambda, cst.Return, cst.Global, cst.Nonlocal,
            cst.Comparison, cst.AugAssign, cst.ClassDef, cst.FunctionDef)

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
    (with-as, except-as, match patterns). `path` indexes into tuple unpacking:
    `a, (b, c) = ...` binds c with path (1, 1); after a starred target the index counts
    from the end (-1), and the starred one is ("star", first, after).
    """

    kind: str
    node: cst.CSTNode | None
    path: tuple = ()


@dataclass(eq=False)
class ClassInfo:
    module: str
    name: str
    node: cst.ClassDef
    bases: tuple[cst.BaseExpression, ...]
    body_values: dict[str, list[cst.Name]] = field(default_factory=dict)   # name -> store nodes
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)
    instance_attrs: set[str] = field(default_factory=set)                  # self.X = ... anywhere
    # self.X = value, per X: (the method storing it, what it stores; None: deleted or unknown)
    instance_stores: dict[str, list[tuple[cst.FunctionDef, BindingSource | None]]] = field(default_factory=dict)
    # Methods defined more than once or under an `if`/`try` at class level: which def runs is
    # decided when the class body runs, so none of them is "the" method.
    conditional_methods: set[str] = field(default_factory=set)
    dynamic_attrs: bool = False       # setattr(self, ...), self.__dict__, vars(self): any attribute
    changed_class_attrs: set[str] = field(default_factory=set)   # cls.X = / type(self).X = in methods
    aliased_attrs: set[str] = field(default_factory=set)   # self.X handed on (it may be changed there)
    class_dynamic: bool = False       # setattr(cls, ...) or a store on cls in __init_subclass__


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
    # (id(scope), name) -> the nodes that add to the local container bound to the name
    container_additions: dict[tuple[int, str], list[cst.CSTNode]] = field(default_factory=dict)
    # Attribute stores/deletes and setattr() targets anywhere in the module, for the program
    # to find class attributes and module globals changed from outside their definition.
    attribute_stores: list[cst.Attribute] = field(default_factory=list)
    setattr_targets: list[cst.BaseExpression] = field(default_factory=list)
    attribute_loads: list[cst.Attribute] = field(default_factory=list)   # every `X.name` node
    # Ways the module changes namespaces wholesale: "own" (globals(), a star import: its own
    # globals), "modules" (sys.modules, vars(m), m.__dict__: any module's), "objects"
    # (object.__setattr__ outside a method)
    namespace_changes: set[str] = field(default_factory=set)
    getattr_calls: list[cst.Call] = field(default_factory=list)     # getattr(X, name[, default])

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    @property
    def import_base(self) -> str:
        """What its relative imports are resolved against (``sources.relative_base``)."""
        return relative_base(self.module, self.file)

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
    _find_changed_self_attributes(index)
    return index


_CONTAINER_METHODS = frozenset("""append extend insert remove pop popitem clear update setdefault add
discard sort reverse appendleft extendleft popleft rotate move_to_end intersection_update
difference_update symmetric_difference_update subtract __setitem__ __delitem__ __iadd__""".split())
_ALIASING = (cst.Element, cst.DictElement, cst.Arg, cst.Assign, cst.AnnAssign, cst.Return,
             cst.StarredElement, cst.BooleanOperation, cst.IfExp, cst.NamedExpr, cst.Lambda)


def _find_changed_self_attributes(index: ModuleIndex) -> None:
    """`self.X.append(...)`, `self.X[k] = v`, `cls.X.update(...)` in any method: the value of
    X (a class constant or what __init__ stored) may not be what its definition says."""
    for node in index.attribute_loads:
        if not isinstance(node.value, cst.Name) or index.context(node) is not ExpressionContext.LOAD:
            continue
        function = index.owner.get(id(node))
        if not isinstance(function, cst.FunctionDef):
            continue
        info = next((c for c in index.classes.values() if c.methods.get(function.name.value) is function), None)
        if info is None or node.value.value != _first_param(function):
            continue
        name = node.attr.value
        stores = [index.bindings.get(id(store)) for store in info.body_values.get(name, [])]
        stores += [source for _, source in info.instance_stores.get(name, ())]
        if stores and all(s is not None and s.kind == "expr" and not s.path
                          and is_immutable_literal(s.node) for s in stores):
            continue      # a string or a tuple of them: no use can change it in place
        if use_kind(index, node) == "read":
            continue
        parent = index.parent(node)
        if isinstance(parent, cst.DictElement) and parent.key is node:
            continue      # a dict key: hashed, not changed
        grand = index.parent(parent)
        if isinstance(parent, cst.Attribute) and isinstance(grand, cst.Call) and grand.func is parent \
                and parent.attr.value not in PURE_METHODS and parent.attr.value not in _CONTAINER_METHODS:
            info.aliased_attrs.add(name)    # self.helper.apply(...): a method of its own
        elif isinstance(parent, _ALIASING):
            info.aliased_attrs.add(name)    # handed on: judged where its value is known
        else:
            info.changed_class_attrs.add(name)


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
            name = node.name.value
            # A def under an `if`/`try` in the class body: which one runs is decided when the
            # class body runs. (A plain second def simply replaces the first, as in Python.)
            if not isinstance(self.index.parents.get(node), cst.IndentedBlock) \
                    or self.index.parents.get(self.index.parents.get(node)) is not cls.node:
                cls.conditional_methods.add(name)
            elif name in cls.methods:
                cls.conditional_methods.discard(name)
            cls.methods[name] = node
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
                if target.value in cls.methods:
                    cls.conditional_methods.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = list(target.elements)
            star = next((i for i, e in enumerate(elements) if isinstance(e, cst.StarredElement)), None)
            for i, element in enumerate(elements):
                if source.kind not in ("expr", "iter"):
                    self._bind(element.value, BindingSource("opaque", None))
                elif isinstance(element, cst.StarredElement):
                    # `head, *rest = T`: rest is T[i:len(T) - after], as a list
                    rest = ("star", i, len(elements) - i - 1)
                    self._bind(element.value, BindingSource(source.kind, source.node, source.path + (rest,)))
                elif star is not None and i > star:
                    self._bind(element.value, BindingSource(source.kind, source.node,
                                                            source.path + (i - len(elements),)))
                else:
                    self._bind(element.value, BindingSource(source.kind, source.node, source.path + (i,)))
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value, BindingSource("opaque", None))
        elif isinstance(target, cst.Attribute):
            self.index.contexts[target] = ExpressionContext.STORE
            self._note_self_attribute(target, source if source.kind == "expr" and not source.path else None)
        elif isinstance(target, cst.Subscript):
            self.index.contexts[target] = ExpressionContext.STORE

    def _note_self_attribute(self, target: cst.Attribute, source: BindingSource | None = None) -> None:
        self.index.attribute_stores.append(target)
        cls = self._method_class()
        if cls is None:
            return
        function = self.functions[-1]
        first = _first_param(function)
        # `cls.X = ...` in a classmethod or __init_subclass__, `type(self).X = ...`,
        # `self.__class__.X = ...`: the class attribute X changes after the class body ran.
        if _is_class_of(target.value, first):
            if function.name.value == "__init_subclass__":
                cls.class_dynamic = True
            cls.changed_class_attrs.add(target.attr.value)
            return
        if not isinstance(target.value, cst.Name) or target.value.value != first:
            return
        if any(_decorator_is(d, "classmethod") for d in function.decorators) \
                or function.name.value == "__init_subclass__":
            if function.name.value == "__init_subclass__":
                cls.class_dynamic = True
            cls.changed_class_attrs.add(target.attr.value)
            return
        # `self.X = ...` inside a method: X is (also) an instance attribute of the class.
        cls.instance_attrs.add(target.attr.value)
        cls.instance_stores.setdefault(target.attr.value, []).append((function, source))

    def _method_class(self) -> ClassInfo | None:
        """The class whose method (directly) is the innermost function, if any."""
        if not self.functions or not isinstance(self.functions[-1], cst.FunctionDef):
            return None
        function = self.functions[-1]
        parent = self.index.parents.get(function)
        cls = self.classes[-1] if self.classes else None
        if cls is None:
            return None
        while parent is not None and parent is not cls.node:
            if isinstance(parent, (cst.FunctionDef, cst.Lambda)):
                return None
            parent = self.index.parents.get(parent)
        return cls if parent is cls.node else None

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar) and not self.functions and not self.classes:
            self.index.namespace_changes.add("own")     # may rebind any global defined before it

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.index.attribute_loads.append(node)
        if node.attr.value == "modules" and isinstance(node.value, cst.Name) and node.value.value == "sys":
            self.index.namespace_changes.add("modules")
        if node.attr.value == "__dict__" and not (
                isinstance(node.value, cst.Name) and self.functions
                and node.value.value == _first_param(self.functions[-1])):
            self.index.namespace_changes.add("modules")
        # `self.__dict__`: every attribute may be set or read under any name.
        if node.attr.value == "__dict__":
            cls = self._method_class()
            if cls is not None and isinstance(node.value, cst.Name) and \
                    node.value.value == _first_param(self.functions[-1]):
                cls.dynamic_attrs = True

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        # object.__setattr__(self, ...), super().__setattr__(...): any attribute of self
        if isinstance(func, cst.Attribute) and func.attr.value in ("__setattr__", "__delattr__"):
            cls = self._method_class()
            if cls is not None:
                cls.dynamic_attrs = True
            else:
                self.index.namespace_changes.add("objects")
        if isinstance(func, cst.Name) and func.value in ("globals", "vars") and not node.args:
            self.index.namespace_changes.add("own")
        if not isinstance(node.func, cst.Name) or not node.args:
            return
        if node.func.value == "getattr" and len(node.args) >= 2:
            self.index.getattr_calls.append(node)
        if node.func.value in ("setattr", "delattr"):
            target = node.args[0].value
            self.index.setattr_targets.append(target)
            cls = self._method_class()
            if cls is not None:
                first = _first_param(self.functions[-1])
                name = node.args[1].value if len(node.args) > 1 else None
                constant = name.evaluated_value if isinstance(name, cst.SimpleString) else None
                if isinstance(target, cst.Name) and target.value == first:
                    if any(_decorator_is(d, "classmethod") for d in self.functions[-1].decorators) \
                            or self.functions[-1].name.value == "__init_subclass__":
                        cls.class_dynamic = True
                    elif isinstance(constant, str):      # setattr(self, "flag", v): self.flag = v
                        cls.instance_attrs.add(constant)
                        cls.instance_stores.setdefault(constant, []).append((self.functions[-1], None))
                    else:
                        cls.dynamic_attrs = True
                elif _is_class_of(target, first):
                    cls.class_dynamic = True
        elif node.func.value == "vars":
            cls = self._method_class()
            target = node.args[0].value
            if cls is not None and isinstance(target, cst.Name) and target.value == _first_param(self.functions[-1]):
                cls.dynamic_attrs = True
            else:
                self.index.namespace_changes.add("modules")     # vars(a_module): its globals

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


def _first_param(function: FunctionNode) -> str | None:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


def _decorator_is(decorator: cst.Decorator, name: str) -> bool:
    expr = decorator.decorator
    return (isinstance(expr, cst.Name) and expr.value == name) or (
        isinstance(expr, cst.Attribute) and expr.attr.value == name)


def _is_class_of(expr: cst.BaseExpression, first: str | None) -> bool:
    """`type(self)` or `self.__class__` for the method's first parameter."""
    if first is None:
        return False
    if isinstance(expr, cst.Attribute) and expr.attr.value == "__class__":
        return isinstance(expr.value, cst.Name) and expr.value.value == first
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "type" \
            and len(expr.args) == 1:
        arg = expr.args[0].value
        return isinstance(arg, cst.Name) and arg.value == first
    return False


def _find_unsafe_names(index: ModuleIndex) -> None:
    """Names bound to a possibly mutable value (a list/dict/set display, a comprehension or a
    call's result) that some use might change.

    A use that only reads the container keeps its value. Inside a function, a use that adds
    to it (``d[k] = v``, ``keys.append(k)``, ``d.update(x=1)``, ``d.setdefault(k, v)``) is
    recorded, so the name's value is the container plus what is added
    (``container_additions``). Any other use (an alias, a removal or reordering, a store or
    mutation of module-level state, passing it to other code) makes the name *unsafe*: it
    loses its constant value, in whatever scope it lives.
    """
    mutable = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp, cst.Call)
    candidates: dict[str, set[int]] = {}     # name -> ids of the scopes binding it to a container
    changes: dict[tuple[int, str], set[str]] = {}
    own_containers: dict[str, set[int]] = {}    # bound to a container it made itself
    global_ids = {id(index.global_scope)}
    for scope in {s for s in index.scopes.values() if s is not None}:
        for assignment in scope.assignments:
            node = getattr(assignment, "node", None)
            source = index.bindings.get(id(node)) if isinstance(node, cst.Name) else None
            if source is None:
                continue
            if source.kind == "aug" or (source.kind == "expr" and not source.path
                                        and isinstance(source.node, mutable)):
                candidates.setdefault(assignment.name, set()).add(id(assignment.scope))
                if isinstance(source.node, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)) or (
                        isinstance(source.node, cst.Call) and isinstance(source.node.func, cst.Name)
                        and source.node.func.value in ("dict", "list", "set")):
                    own_containers.setdefault(assignment.name, set()).add(id(assignment.scope))
            elif source.kind in ("expr", "iter") and not (source.kind == "expr" and _immutable(source.node)):
                # an alias or an element of something: its changes are its source's
                candidates.setdefault(assignment.name, set()).add(id(assignment.scope))
            elif isinstance(assignment.scope, GlobalScope) and source.kind != "opaque" and not (
                    source.kind == "expr" and (_immutable(source.node) or isinstance(source.node, (cst.Name, cst.Attribute)))):
                # a module-level name that may hold a mutable object (an alias, an element)
                candidates.setdefault(assignment.name, set()).add(id(assignment.scope))
    if not candidates:
        return
    for scope in {s for s in index.scopes.values() if s is not None}:
        for access in scope.accesses:
            node = access.node
            if not isinstance(node, cst.Name) or node.value not in candidates:
                continue
            owners = {id(a.scope) for a in access.referents} & candidates[node.value]
            if not owners:
                continue
            use = use_kind(index, node)
            if use in ("read", "alias"):
                continue      # (an alias is a name of its own: its changes come back here)
            own = owners & own_containers.get(node.value, set())
            for owner in owners:
                if use == "add" and owner not in global_ids and owner in own:
                    index.container_additions.setdefault((owner, node.value), []).append(index.parent(node))
                else:
                    index.unsafe_names.add((owner, node.value))
                    changes[(owner, node.value)] = changes.get((owner, node.value), set()) | {use}
    _propagate_to_aliased(index, changes)


def _propagate_to_aliased(index: ModuleIndex, changes: dict[tuple[int, str], set[str]]) -> None:
    """A changed name that is an alias of another (`g` in `for g in G`, `x = G[0]`,
    `a = b if c else d`, `copy = list(G)` when an element changes) changes that one too."""
    by_scope = {id(s): s for s in index.scopes.values() if s is not None}
    work = list(changes)
    while work:
        owner, name = work.pop()
        scope = by_scope.get(owner)
        if scope is None:
            continue
        kinds = changes.get((owner, name), {"change"}) - {"alias"}
        if not kinds:
            continue          # only held elsewhere: the other name's changes are followed
        for assignment in scope.assignments:
            if assignment.name != name:
                continue
            node = getattr(assignment, "node", None)
            source = index.bindings.get(id(node)) if isinstance(node, cst.Name) else None
            if source is None or source.node is None or source.kind == "opaque":
                continue
            element = source.kind == "iter" or bool(source.path)
            for root, through_copy in _aliased_roots(source.node):
                if through_copy and not (kinds & {"change-elements"}) and not element:
                    continue     # a copy changed at its top level leaves the original alone
                attribute = index.parent(root)
                function = index.owner.get(id(root))
                if isinstance(attribute, cst.Attribute) and attribute.value is root \
                        and isinstance(function, cst.FunctionDef) and root.value == _first_param(function):
                    for info in index.classes.values():          # `for g in self.groups: g.append`
                        if function in info.methods.values():
                            stored = [index.bindings.get(id(n)) for n in info.body_values.get(attribute.attr.value, [])]
                            stored += [b for _, b in info.instance_stores.get(attribute.attr.value, ())]
                            if stored and all(b is not None and b.kind == "expr" and not b.path
                                              and is_immutable_literal(b.node) for b in stored):
                                continue      # a string: nothing to change
                            info.changed_class_attrs.add(attribute.attr.value)
                kind = "change-elements" if element or through_copy else next(iter(kinds))
                root_scope = index.scopes.get(root)
                try:
                    referents = root_scope.accesses[root] if root_scope is not None else ()
                except Exception:
                    referents = ()
                for access in referents:
                    for target in access.referents:
                        key = (id(getattr(target, "scope", None)), root.value)
                        if getattr(target, "scope", None) is None or isinstance(
                                getattr(target, "node", None), (cst.FunctionDef, cst.ClassDef, cst.Import, cst.ImportFrom)):
                            continue
                        bound = index.bindings.get(id(getattr(target, "node", None)))
                        if bound is not None and bound.kind == "expr" and not bound.path \
                                and bound.node is not None and is_immutable_literal(bound.node):
                            continue      # a tuple of strings: nothing in it can change
                        if kind == "change-elements" and bound is not None and bound.kind == "expr" \
                                and not bound.path and _elements_immutable(index, bound.node):
                            continue      # `for k in ["a", K]: keys.append(k)`: a string cannot change
                        if key not in index.unsafe_names:
                            index.unsafe_names.add(key)
                            changes[key] = {kind}
                            work.append(key)


_COPIES = frozenset({"list", "tuple", "dict", "set", "frozenset", "sorted", "copy", "reversed"})


def _aliased_roots(expr: cst.CSTNode) -> list[tuple[cst.Name, bool]]:
    """Names whose objects (or elements) `expr` may evaluate to: (name, through a copy)."""
    found: list[tuple[cst.Name, bool]] = []

    def walk(node: cst.CSTNode, copied: bool) -> None:
        if isinstance(node, cst.Name):
            found.append((node, copied))
        elif isinstance(node, cst.Attribute):
            walk(node.value, copied)
        elif isinstance(node, cst.Subscript):
            walk(node.value, copied)
        elif isinstance(node, (cst.IfExp,)):
            walk(node.body, copied)
            walk(node.orelse, copied)
        elif isinstance(node, cst.BooleanOperation):
            walk(node.left, copied)
            walk(node.right, copied)
        elif isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            for element in node.elements:       # held as elements: only their changes count
                walk(element.value, True)
        elif isinstance(node, cst.Dict):
            for element in node.elements:
                walk(element.value, True)
        elif isinstance(node, cst.Call):
            func = node.func
            name = func.value if isinstance(func, cst.Name) else (
                func.attr.value if isinstance(func, cst.Attribute) else "")
            if isinstance(func, cst.Attribute) and name in ("copy", "values", "items", "get", "pop", "setdefault"):
                walk(func.value, True)
            for arg in node.args:
                walk(arg.value, copied or name in _COPIES)
        elif isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            for for_in in _comp_fors(node):
                walk(for_in.iter, True)
        elif isinstance(node, cst.NamedExpr):
            walk(node.value, copied)

    walk(expr, False)
    return found


def _comp_fors(node: cst.CSTNode) -> list[cst.CompFor]:
    fors = []
    current = node.for_in
    while current is not None:
        fors.append(current)
        current = current.inner_for_in
    return fors


_SCALARS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Integer, cst.Float,
            cst.Imaginary, cst.Lambda, cst.UnaryOperation)


def is_immutable_literal(node: cst.CSTNode) -> bool:
    """A literal no one can change in place: a scalar or a tuple of scalars."""
    if isinstance(node, cst.Tuple):
        return all(isinstance(e, cst.Element) and is_immutable_literal(e.value) for e in node.elements)
    return isinstance(node, _SCALARS)


def _elements_immutable(index: ModuleIndex, node: cst.CSTNode | None) -> bool:
    """A list, set or tuple display whose every element is a scalar, or a name only ever bound
    to one, or a dict display whose every value is: what an element alias can reach cannot
    change in place."""
    if not isinstance(node, (cst.List, cst.Set, cst.Tuple, cst.Dict)):
        return False
    for element in node.elements:
        if not isinstance(element, (cst.DictElement if isinstance(node, cst.Dict) else cst.Element)):
            return False
        value = element.value
        if is_immutable_literal(value):
            continue
        if not isinstance(value, cst.Name):
            return False
        scope = index.scopes.get(value)
        try:
            assignments = list(scope[value.value]) if scope is not None else []
        except Exception:
            return False
        if not assignments:
            return False
        for assignment in assignments:
            bound = index.bindings.get(id(getattr(assignment, "node", None)))
            if bound is None or bound.kind != "expr" or bound.path or bound.node is None \
                    or not is_immutable_literal(bound.node):
                return False
    return True


def _immutable(node: cst.CSTNode) -> bool:
    """A literal no one can change in place: a scalar or a tuple of such."""
    if isinstance(node, cst.Tuple):   # a tuple cannot change; a name in it is judged on its own
        return all(isinstance(e, cst.Element) and (_immutable(e.value) or isinstance(e.value, cst.Name))
                   for e in node.elements)
    return isinstance(node, _SCALARS)


_ADDING_METHODS = frozenset({"append", "add", "extend", "update", "setdefault", "appendleft"})


def use_kind(index: ModuleIndex, node: cst.CSTNode) -> str:
    """'read' | 'add' (a store of a key or an adding method call) | 'change' (anything else).

    Elements are followed: `T[0].append(x)` and `C.items[k] = v` change the container of T/C.
    """
    current: cst.CSTNode = node
    depth = 0
    while True:
        parent = index.parent(current)
        if isinstance(parent, cst.Subscript) and parent.value is current:
            context = index.context(parent)
            if context is ExpressionContext.LOAD:
                current, depth = parent, depth + 1
                continue
            if context is ExpressionContext.STORE and depth == 0 and isinstance(index.parent(parent), cst.AssignTarget):
                return "add"
            return "change" if depth == 0 else "change-elements"
        if isinstance(parent, cst.Attribute) and parent.value is current:
            grand = index.parent(parent)
            if isinstance(grand, cst.Call) and grand.func is parent:
                name = parent.attr.value
                if name in _ADDING_METHODS and depth == 0:
                    return "add"
                if name in _READ_ONLY_METHODS or name in PURE_METHODS:
                    return "read"
                return "change" if depth == 0 else "change-elements"
            if parent.attr.value in _CONTAINER_METHODS:
                return "change" if depth == 0 else "change-elements"   # `add = fields.append`
            if index.context(parent) is ExpressionContext.LOAD:
                current, depth = parent, depth + 1
                continue
            return "change" if depth == 0 else "change-elements"
        break
    if depth:
        return "read"       # an element or attribute, read (an alias of it is followed by name)
    if _is_read_only_use(index, node):
        return "read"
    parent = index.parent(node)
    if isinstance(parent, cst.Arg):
        if _callee_keeps_argument(index, parent, 0):
            return "read"
        return "escape"     # handed to code that may change it
    if isinstance(parent, cst.DictElement) and parent.key is node:
        return "read"       # a dict key is hashed: immutable in practice
    return "alias"          # stored, returned, bound to another name: that name is followed


def _callee_keeps_argument(index: ModuleIndex, arg: cst.Arg, depth: int) -> bool:
    """Whether the plugin function called with `arg` (found by name in this module: a
    function, or a method of one of its classes) only reads the parameter it binds."""
    call = index.parent(arg)
    if depth > 4 or not isinstance(call, cst.Call) or arg.star:
        return False
    functions: list[tuple[cst.FunctionDef | cst.Lambda, int]] = []      # (function, parameters to skip)
    func = call.func
    if isinstance(func, cst.Name):
        scope = index.scopes.get(func)
        try:
            assignments = scope[func.value] if scope is not None else ()
        except Exception:
            return False
        for assignment in assignments:
            node = getattr(assignment, "node", None)
            bound = index.bindings.get(id(node)) if isinstance(node, cst.Name) else None
            if bound is not None and bound.kind == "expr" and not bound.path and isinstance(bound.node, cst.Lambda):
                node = bound.node          # `h = lambda o, k: ...`
            elif not isinstance(node, cst.FunctionDef) or node.decorators:
                return False
            functions.append((node, 0))
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        for info in index.classes.values():
            method = info.methods.get(func.attr.value)
            if method is not None:
                if any(_decorator_is(d, "staticmethod") for d in method.decorators):
                    functions.append((method, 0))
                elif not method.decorators:
                    functions.append((method, 1))
                else:
                    return False
    if not functions:
        return False
    positional = [a for a in call.args if a.keyword is None and not a.star]
    for function, skip in functions:
        params = [*function.params.posonly_params, *function.params.params][skip:]
        if arg.keyword is not None:
            matches = [p for p in (*params, *function.params.kwonly_params) if p.name.value == arg.keyword.value]
        else:
            position = positional.index(arg)
            matches = params[position:position + 1]
        if len(matches) != 1 or not _parameter_only_read(index, function, matches[0], depth):
            return False
    return True


def _parameter_only_read(index: ModuleIndex, function, param: cst.Param, depth: int) -> bool:
    scope = index.scopes.get(function.body)
    if scope is None:
        return False
    try:
        assignments = scope[param.name.value]
    except Exception:
        return False
    if len(assignments) != 1:
        return False          # rebound in the function: follow no further
    for access in getattr(next(iter(assignments)), "references", ()):
        node = access.node
        if not isinstance(node, cst.Name):
            return False
        parent = index.parent(node)
        if isinstance(parent, cst.Arg):      # (decided here, so recursion stays bounded)
            if (not parent.star and _callee_keeps_argument(index, parent, depth + 1)) \
                    or _is_read_only_use(index, node):
                continue
            return False
        if use_kind(index, node) != "read":
            return False
    return True


def _is_read_only_use(index: ModuleIndex, node: cst.CSTNode) -> bool:
    parent = index.parent(node)
    if isinstance(parent, cst.Subscript) and parent.value is node:
        return index.context(parent) is ExpressionContext.LOAD
    if isinstance(parent, cst.Call) and parent.func is node:
        return True
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
        return True
    if isinstance(parent, cst.ComparisonTarget):
        return True
    if isinstance(parent, cst.Comparison) and parent.left is node:
        return True
    if isinstance(parent, cst.IfExp):
        return parent.test is node        # `a if c else b` is an alias of a or b
    if isinstance(parent, (cst.BinaryOperation, cst.UnaryOperation, cst.If, cst.While,
                           cst.Assert, cst.CompIf, cst.FormattedStringExpression)):
        return True
    if isinstance(parent, cst.AugAssign) and parent.value is node:
        return True
    if isinstance(parent, cst.Index):
        return True       # a key: `d[K]`
    if isinstance(parent, cst.BooleanOperation):
        return False     # `x or []` is an alias of x
    if isinstance(parent, cst.Attribute) and parent.value is node:
        grand = index.parent(parent)
        if isinstance(grand, cst.Call) and grand.func is parent:
            return parent.attr.value in _READ_ONLY_METHODS
        return index.context(parent) is ExpressionContext.LOAD
    if isinstance(parent, cst.Arg) and not parent.star:
        call = index.parent(parent)
        if isinstance(call, cst.Call):
            if isinstance(call.func, cst.Attribute) and parent.keyword is None and (
                    call.func.attr.value in _READING_ARGUMENT_METHODS or call.func.attr.value in PURE_METHODS):
                return True   # out.update(d), s.union(d), ",".join(d): the argument is only read
            return _reads_arguments_only(index, call)
    if isinstance(parent, cst.Arg) and parent.star:
        call = index.parent(parent)
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and (
                call.func.attr.value in _READING_ARGUMENT_METHODS or call.func.attr.value in PURE_METHODS):
            return True       # out.update(**d), ",".join(*parts)
        return isinstance(call, cst.Call) and _reads_arguments_only(index, call)
    return False


_RETURN_AN_ARGUMENT = frozenset({"builtins.max", "builtins.min", "builtins.next", "builtins.iter",
                                 "builtins.reversed", "builtins.getattr", "builtins.vars",
                                 "operator.getitem", "functools.reduce", "copy.copy"})


def _reads_arguments_only(index: ModuleIndex, call: cst.Call) -> bool:
    """A call of a builtin or library function that only reads its arguments (and does not
    return one of them, or a part of one, which would make the result an alias)."""
    if index.qnames(call.func) & _RETURN_AN_ARGUMENT:
        return False
    for qname in index.qnames(call.func):
        if qname.startswith("builtins.") and qname[9:] in PURE_BUILTINS and qname[9:] not in ("iter", "getattr"):
            continue
        if qname in PURE_FUNCTIONS and not qname.startswith("copy."):
            continue
        return False
    return bool(index.qnames(call.func))
