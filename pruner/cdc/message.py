"""What every format decoder shares: ``BadMessage``, ``Skip``, typed key access, the image diff.

A format decoder is one function ``(obj, line) -> list[Change] | Skip`` over a parsed JSON
object; it raises ``BadMessage(reason)`` for anything it cannot use, and ``decode()`` turns
that into a ``DeadLetter``. The accessors below raise ``BadMessage`` with a reason that names
the key and what was expected, so decoders stay short and their errors stay uniform.
"""
from __future__ import annotations

import enum
from decimal import Decimal
from itertools import compress
from math import copysign
from operator import ne
from typing import Any, Final, Mapping

Row = dict[str, Any]


class BadMessage(Exception):
    """A message that cannot be decoded; ``reason`` says what is wrong with it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Skip(enum.Enum):
    """A message that is valid but holds no row change; ``decode()`` counts it."""

    DDL = "ddl"              # schema change (Canal isDdl, Maxwell table-alter, ...)
    EMPTY = "empty"          # tombstone or control message (Maxwell bootstrap-start, ...)


_MISSING: Final = object()


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def require_str(obj: Mapping[str, Any], key: str, where: str = "") -> str:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        raise BadMessage(f"missing key {where + key!r}")
    if not isinstance(value, str) or not value:
        raise BadMessage(f"{where + key!r} must be a non-empty string, got {json_type(value)}")
    return value


def optional_str(obj: Mapping[str, Any], key: str, where: str = "") -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadMessage(f"{where + key!r} must be a string or null, got {json_type(value)}")
    return value


def optional_int(obj: Mapping[str, Any], key: str, where: str = "") -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadMessage(f"{where + key!r} must be an integer or null, got {json_type(value)}")
    return value


def optional_bool(obj: Mapping[str, Any], key: str, where: str = "") -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise BadMessage(f"{where + key!r} must be a boolean or null, got {json_type(value)}")
    return value


def require_object(obj: Mapping[str, Any], key: str, where: str = "") -> Row:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        raise BadMessage(f"missing key {where + key!r}")
    if not isinstance(value, dict):
        raise BadMessage(f"{where + key!r} must be an object, got {json_type(value)}")
    return value


def optional_object(obj: Mapping[str, Any], key: str, where: str = "") -> Row | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadMessage(f"{where + key!r} must be an object or null, got {json_type(value)}")
    return value


# Types whose values are the same JSON value exactly when they are ``==`` (given the same type).
_PLAIN: Final = frozenset({str, int, bool, type(None)})


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> frozenset[str]:
    """Fields whose value differs between two row images; a field in only one image differs."""
    return frozenset(diff_fields(before, after))


def diff_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """``changed_fields`` as a list (after's fields first, in its order): the one diff rule,
    ``same_value`` per field, for the decoders and for the engine against the row it holds.

    Fast paths, same result: values of one plain type (str, int, bool, None) are compared with
    ``==`` directly, and images with the same fields in the same order (the usual case: rows
    of one table from one decoder) are walked side by side without a lookup per field.
    """
    changed = []
    if len(before) == len(after) > 8:     # a wide row: compare in C (a narrow one: the loop below)
        names = list(after)
        if names == list(before):
            values, olds = list(after.values()), list(before.values())
            kinds = tuple(map(type, values))
            if kinds == tuple(map(type, olds)):
                # One type per field on both sides: ``!=`` decides every plain field, in C;
                # the others (float, Decimal, containers) by ``same_value``.
                differs = list(map(ne, values, olds))
                odd = _ODD.get(kinds)
                if odd is None:
                    odd = _odd_positions(kinds)
                floats, others = odd
                for i in floats:        # same_value's rule for floats, without repr
                    value = values[i]
                    if differs[i]:
                        if value != value and olds[i] != olds[i]:
                            differs[i] = False              # NaN and NaN
                    elif value == 0.0 and copysign(1.0, value) != copysign(1.0, olds[i]):
                        differs[i] = True                   # 0.0 and -0.0
                for i in others:
                    differs[i] = not same_value(olds[i], values[i])
                return list(compress(names, differs))
    if len(before) == len(after) and list(before) == list(after):
        for (name, value), old in zip(after.items(), before.values()):
            if value is old:
                continue
            kind = value.__class__
            if kind is old.__class__ and kind in _PLAIN:
                if value != old:
                    changed.append(name)
            elif not same_value(old, value):
                changed.append(name)
        return changed
    get = before.get
    shared = 0
    for name, value in after.items():
        old = get(name, _MISSING)
        if old is value:
            shared += 1
            continue
        kind = value.__class__
        if kind is old.__class__ and kind in _PLAIN:
            shared += 1
            if old != value:
                changed.append(name)
        elif old is _MISSING:
            changed.append(name)
        else:
            shared += 1
            if not same_value(old, value):
                changed.append(name)
    if shared != len(before):
        changed.extend(name for name in before if name not in after)
    return changed


# field types -> (positions of floats, positions of other types not plain)
_ODD: dict[tuple[type, ...], tuple[tuple[int, ...], tuple[int, ...]]] = {}


def _odd_positions(kinds: tuple[type, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    odd = (tuple(i for i, kind in enumerate(kinds) if kind is float),
           tuple(i for i, kind in enumerate(kinds) if kind not in _PLAIN and kind is not float))
    if len(_ODD) < 4096:
        _ODD[kinds] = odd
    return odd


def same_value(a: object, b: object) -> bool:
    """Exact JSON equality: ``1``, ``1.0`` and ``true`` differ, ``-0.0`` differs from ``0.0``,
    an exact decimal ``12.5`` from ``12.50`` (a Processor may print either), and an object
    from the same object with its keys in another order (a Processor may iterate it). A value
    of any other type (a typed source's timestamp, a date) is the same only when it is equal
    and prints the same: ``12:00+00:00`` and ``13:00+01:00`` are equal instants but not the
    same value to code that reads the hour.

    Python's ``==`` would call them equal, and calling a change "unchanged" is the one
    mistake the pruner cannot afford; a spurious "changed" only costs a unit run. Iterative,
    so that any nesting ``json.loads`` accepts compares without a RecursionError.
    """
    pending = [(a, b)]
    while pending:
        x, y = pending.pop()
        kind = type(x)
        if kind is not type(y):
            return False
        if kind is str or kind is int or kind is bool or x is None:
            if x != y:
                return False
        elif kind is float:
            if repr(x) != repr(y):      # NaN equals NaN, -0.0 differs from 0.0: as the JSON text
                return False
        elif kind is Decimal:
            if x.as_tuple() != y.as_tuple():    # 12.5 differs from 12.50, -0 from 0: as the text
                return False
        elif kind is dict:
            assert isinstance(y, dict)
            if list(x) != list(y):      # the same keys in the same order
                return False
            pending.extend((value, y[key]) for key, value in x.items())
        elif kind is list:
            assert isinstance(y, list)
            if len(x) != len(y):
                return False
            pending.extend(zip(x, y))
        elif x is not y and (x != y or repr(x) != repr(y)):     # the allow-list ends here
            return False
    return True
