"""Row keys: built one way for the engine, the keyed runtime and the stores.

A key is the tuple of a row's primary-key values. Equal keys must be equal everywhere one is
used: as a dict key (the engine), as a partition's name (``repr``, the keyed runtime on
Flink) and as SQLite column values (``pruner.runtime.stores``). ``row_key`` builds a row's
key; ``normal_key`` brings any key to its one form, value by value:

- a number becomes what a dict already takes it to be, in one spelling: ``True`` is 1,
  ``18.0`` and ``Decimal("18.00")`` are 18, ``Decimal("1.50")`` is 1.5 (a float when the float
  is exactly that number, else the normalized Decimal, ``Decimal("0.1")``);
- a string or bytes stays as it is (``"18"`` is not 18: typed sources make them agree);
- null, NaN and anything else (a list, an object, a timestamp) are not keys: ``BadKey``.
"""
from __future__ import annotations

from decimal import Context, Decimal
from typing import Any, Final, Mapping


_MAX_DIGITS: Final = 4300        # Python's own bound for int <-> text; no real key comes near


class BadKey(ValueError):
    """A row whose key cannot be built (missing, null or non-scalar key field); says why."""


def row_key(image: Any, fields: tuple[str, ...]) -> tuple:
    """The normal key of row `image` (a dict) on `fields`; ``BadKey`` says what is wrong."""
    if image.__class__ is dict and len(fields) == 1:     # the usual key: one int or str field
        value = image.get(fields[0])
        if value.__class__ is int or value.__class__ is str:
            return (value,)
    if not isinstance(image, Mapping):
        raise BadKey(f"row image is not an object: {type(image).__name__}")
    try:
        key = tuple(image[f] for f in fields)
    except KeyError as missing:
        raise BadKey(f"row has no key field {missing.args[0]!r}") from None
    if any(v is None for v in key):
        raise BadKey(f"key field is null: {dict(zip(fields, key))}")
    return normal_key(key)


def normal_key(key: tuple) -> tuple:
    """`key` with every value in its one form (see the module docstring)."""
    return tuple(normal_value(v, key) for v in key)


def normal_value(value: Any, key: tuple = ()) -> int | float | Decimal | str | bytes:
    kind = type(value)
    if kind is int or kind is str or kind is bytes:
        return value
    if kind is bool:
        return int(value)
    if kind is float:
        if value != value:
            raise BadKey(f"key {key or (value,)!r} has a NaN, which equals nothing, not even itself")
        return int(value) if value.is_integer() else value
    if kind is Decimal:
        if not value.is_finite():
            if value.is_nan():
                raise BadKey(f"key {key or (value,)!r} has a NaN, which equals nothing, not even itself")
            return float(value)
        if value.adjusted() > _MAX_DIGITS:
            raise BadKey(f"key {key or (value,)!r} has a number too large for a key")
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        if Decimal(as_float) == value:
            return as_float
        return value.normalize(Context(prec=len(value.as_tuple().digits)))    # exact: no rounding
    raise BadKey(f"key {key or (value,)!r} is not a scalar value (a number, string or bytes)")
