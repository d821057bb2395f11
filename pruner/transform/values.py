"""The abstract values the analyzer computes for expressions.

A value is a frozenset of atoms: every atom is one thing the expression may evaluate to.
The domain is small on purpose:

- ``ROW`` / ``OUT`` / ``SELF``: the Processor's row, output dict and instance;
- ``Str``/``Int``: constants (keys); ``Seq``/``Map``: constant containers;
- ``Func``/``Method``/``Cls``/``Builtin``/``Attr``: things that can be called;
- ``SELF_STATE``/``GLOBAL_STATE``: markers for objects reachable from ``self`` or from a
  module-level name (mutating them is an effect);
- ``Fresh``: a new object made by this call by an allow-listed function or method (a
  Counter, a hashlib object, a list from ``str.split``): its listed methods may be called
  and it may be changed in place, since nothing else holds it;
- ``Obj``: an instance of an analyzed class made by this call (its methods are followed);
- ``Ext``: a name outside the analyzed files (``time.monotonic``, ``re``), by qualified
  name: calling it is allowed only when the purity model (purity.py) lists it;
- ``OPAQUE``: any other value. It is plain data that someone else may share (a row value,
  an element of a container, a number): its pure methods may be called, but calling it,
  calling another method on it or changing it in place is unknown code. Never the row,
  ``out`` or ``self`` (those are tracked wherever they flow, or the analyzer gives up on
  them with a diagnostic).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Union

import libcst as cst

MAX_STRINGS: Final = 256  # a key set larger than this is treated as dynamic


@dataclass(frozen=True)
class Marker:
    name: str

    def __repr__(self) -> str:
        return self.name


ROW: Final = Marker("ROW")
OUT: Final = Marker("OUT")
SELF: Final = Marker("SELF")
OPAQUE: Final = Marker("OPAQUE")
SELF_STATE: Final = Marker("SELF_STATE")
GLOBAL_STATE: Final = Marker("GLOBAL_STATE")
# An object made by code outside the allow-list (an unknown call's result): every operation
# on it (a method, an index, iterating it, calling it) runs code the analyzer cannot see.
FOREIGN: Final = Marker("FOREIGN")
STATE_MARKERS: Final = frozenset({SELF_STATE, GLOBAL_STATE})
# A Fresh qname for iterators (iter(), map(), zip(), ...): iterating one consumes it.
ITERATOR: Final = "<iterator>"


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Int:
    value: int


@dataclass(frozen=True)
class Seq:
    """A constant tuple/list/set: `items` when its length is known, `elem` = union of items."""

    items: tuple[frozenset, ...] | None
    elem: frozenset


@dataclass(frozen=True)
class Map:
    """A constant dict: `items` when known exactly, else just key and value unions."""

    items: tuple[tuple[frozenset, frozenset], ...] | None
    keys: frozenset
    values: frozenset


@dataclass(frozen=True)
class Env:
    """Bindings of one activation of a function, chained to its defining activation."""

    func_id: int
    binding: tuple[tuple[str, frozenset], ...]
    parent: Env | None
    # made while evaluating module-level code: its variables outlive every message
    outlives: bool = False

    def lookup(self, func_id: int) -> Env | None:
        env: Env | None = self
        while env is not None:
            if env.func_id == func_id:
                return env
            env = env.parent
        return None

    def get(self, name: str) -> frozenset | None:
        for key, value in self.binding:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class Func:
    """A function or lambda defined in the analyzed module, with its defining activation."""

    node: cst.CSTNode = field(compare=False, hash=False)
    node_id: int
    env: Env | None


@dataclass(frozen=True)
class Method:
    """A method found on the Processor's class (bound to ``self`` unless static), or one bound
    to another receiver (an instance made in the call, a class)."""

    node: cst.FunctionDef = field(compare=False, hash=False)
    node_id: int
    kind: str  # "instance" | "static" | "class" | "bound"
    bound: frozenset | None = None   # kind "bound": what its first parameter is


@dataclass(frozen=True)
class Cls:
    """A class defined at module level in one of the analyzed modules."""

    module: str
    name: str


@dataclass(frozen=True)
class Mod:
    """One of the analyzed modules (or a package of them), as imported."""

    name: str


@dataclass(frozen=True)
class Super:
    """`super()` inside a method of class `module.name`: lookups start after it in the MRO."""

    module: str
    name: str


@dataclass(frozen=True)
class Builtin:
    name: str


@dataclass(frozen=True)
class Ext:
    """A module, class or function outside the analyzed files, by qualified name."""

    qname: str


@dataclass(frozen=True)
class Fresh:
    """A new object made in this call by the allow-listed `qname` (e.g. ``collections.Counter``;
    ``""`` for a plain new str/list/dict from a pure method)."""

    qname: str


@dataclass(frozen=True)
class Obj:
    """An instance of the analyzed class `module.name`, made in this call."""

    module: str
    name: str


@dataclass(frozen=True)
class Member:
    """A member of an Enum class in the plugin files: `.value`, `.name`; a StrEnum member
    is also its string."""

    module: str
    cls: str
    name: str
    value: frozenset
    is_str: bool


@dataclass(frozen=True)
class Attr:
    """An attribute of a constant value (e.g. ``FIELDS.items``), kept to evaluate the call."""

    receiver: frozenset
    name: str


Atom = Union[Marker, Str, Int, Seq, Map, Func, Method, Cls, Mod, Super, Builtin, Ext, Fresh, Obj, Member, Attr]
Value = frozenset

EMPTY: Final[frozenset] = frozenset()
OPAQUE_VALUE: Final[frozenset] = frozenset({OPAQUE})


def strings(value: frozenset) -> frozenset[str] | None:
    """The constant strings a value may be, or None when it may be anything else."""
    found: set[str] = set()
    for atom in value:
        if isinstance(atom, Str):
            found.add(atom.value)
        elif isinstance(atom, Member) and atom.is_str:
            inner = strings(atom.value)
            if inner is None:
                return None
            found |= inner
        elif atom is SELF_STATE or atom is GLOBAL_STATE or (isinstance(atom, Fresh) and atom.qname == ITERATOR):
            continue
        else:
            return None
    if not found:
        return None
    return frozenset(found)


def from_strings(values: set[str] | frozenset[str]) -> frozenset:
    if len(values) > MAX_STRINGS:
        return OPAQUE_VALUE
    return frozenset(Str(v) for v in values)


def has_callable(value: frozenset) -> bool:
    return any(isinstance(a, (Func, Method)) for a in value)


def widen(value: frozenset) -> frozenset:
    """Forget constants (used to stop recursion from growing bindings forever)."""
    out = set()
    for atom in value:
        if isinstance(atom, (Str, Int, Seq, Map, Attr)):
            out.add(OPAQUE)
        else:
            out.add(atom)
    return frozenset(out)
