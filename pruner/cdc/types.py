"""Typed sources: the column types a job spec may declare, and the coercion of decoded rows.

A source or dimension table of a job spec may say what its columns hold::

    types: {id: bigint, title: string, is_active: bool, created_at: timestamp}
    types:
      price: decimal(12,2)         # in a {...} mapping write "decimal(12,2)": a comma splits it

``parse_type(text)`` reads one type; ``coerce(change, columns, fmt)`` returns the decoded
``Change`` with every typed value (before and after images) turned into its Python value, or
raises ``BadMessage`` naming the table, the field, the type and the value, which ``decode``
makes a dead letter. A wrong-typed key is therefore a dead letter, never a second row.
Fields without a type are not checked. NULL is None whatever the type.

    type                                     Python value
    tinyint, smallint, int (integer), bigint int, within 8/16/32/64 bits; add `unsigned` for 0..2**n-1
    decimal, decimal(p), decimal(p,s)        Decimal with exactly s places (numeric is the same)
    double (float)                           float: a double; a MySQL FLOAT is not rounded to 32 bits
    string (text)                            str
    bool (boolean)                           bool
    timestamp                                datetime (with its offset when the text has one)
    date                                     date
    json                                     the JSON value: dict, list, str, number, bool
    bytes                                    bytes

How a value may arrive depends on the format:
- Text formats, ``canal-json`` (every value is a string) and ``wal2json`` (numbers are JSON
  numbers read exactly, booleans JSON booleans, every other type text): a string is read as
  the type says: "18" is 18, "12.50" Decimal("12.50"), "1"/"0" and "true"/"false" a bool (how
  Canal sends MySQL tinyint(1) and bit(1)), JSON text its value, "2024-05-06 07:08:09" a
  datetime, bytes Canal's ISO-8859-1 text or PostgreSQL's ``\\x`` hex. A number converts
  only exactly: 18.00 is 18 for an int column, 18.5 is refused.
- JSON formats, ``debezium-json``, ``maxwell-json``, ``ogg-json`` and ``changelog-json``: the
  JSON type must be the declared one. An int column takes a JSON integer, not "18", 18.0 or
  true; a double column a number; a bool column true or false (Maxwell and Debezium send
  MySQL tinyint(1) as 0/1: declare it tinyint); a string column a string; json any value,
  kept as it is. What JSON has no type for travels as text: a decimal is a number or a
  numeric string (Debezium's ``decimal.handling.mode=string``), a timestamp or a date an ISO
  8601 string (Debezium's epoch numbers are integers: declare them bigint), bytes base64.
  With types, ``decode`` reads these formats' numbers exactly (as ``Decimal``) so that a
  decimal(30,10) never passes through a float; a field without a type gets back the float
  ``json.loads`` would have given, so untyped fields read as they do without types.

Nothing is lost silently: a decimal with more places than its scale or more digits than its
precision, a timestamp finer than a microsecond, an integer a double cannot hold exactly,
a value out of its integer type's range are refused, never rounded or truncated.
"""
from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any, Callable, Final, Mapping

from pruner.cdc.message import BadMessage, Row, changed_fields, json_type
from pruner.cdc.model import Change

TEXT_FORMATS: Final = frozenset({"canal-json", "wal2json"})
_EXACT_NUMBERS: Final = frozenset({"wal2json"})     # formats whose untyped numbers stay Decimal

_INT_BITS: Final = {"tinyint": 8, "smallint": 16, "int": 32, "integer": 32, "bigint": 64}
_ALIASES: Final = {"integer": "int", "numeric": "decimal", "float": "double", "text": "string",
                   "boolean": "bool"}
_PLAIN: Final = frozenset({"double", "string", "bool", "timestamp", "date", "json", "bytes"})
TYPE_NAMES: Final = ("tinyint", "smallint", "int", "bigint", "decimal(p,s)", "double", "string",
                     "bool", "timestamp", "date", "json", "bytes")
_MAX_DECIMAL_PRECISION: Final = 1000                  # PostgreSQL's limit; MySQL's is 65
_TYPE: Final = re.compile(r"^\s*([a-z]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*(unsigned)?\s*$", re.IGNORECASE)
_INTEGER_TEXT: Final = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL_TEXT: Final = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_SPECIAL_DOUBLES: Final = frozenset({"NaN", "Infinity", "-Infinity"})
_FRACTION: Final = re.compile(r"[.,]([0-9]{7,})")          # finer than a microsecond
_BOOL_TEXT: Final = {"1": True, "0": False, "true": True, "false": False}


@dataclass(frozen=True)
class ColumnType:
    """One declared column type; `kind` is the canonical name, `spelled` what the spec wrote."""

    kind: str                          # int, decimal, double, string, bool, timestamp, date, json, bytes
    spelled: str
    low: int | None = None             # int: the range
    high: int | None = None
    precision: int | None = None       # decimal(p,s); None: any
    scale: int | None = None

    @property
    def python(self) -> tuple[type, ...]:
        """The Python types a coerced non-null value has."""
        return _PYTHON[self.kind]


_PYTHON: Final[dict[str, tuple[type, ...]]] = {
    "int": (int,), "decimal": (Decimal,), "double": (float,), "string": (str,), "bool": (bool,),
    "timestamp": (datetime,), "date": (date,), "bytes": (bytes,),
    "json": (dict, list, str, int, float, Decimal, bool)}


def parse_type(text: object) -> ColumnType:
    """The type named by `text` (case-insensitive); ``ValueError`` says what is accepted."""
    if not isinstance(text, str):
        raise ValueError(f"expected a type name such as bigint or string, got {json_type(text)} {text!r}")
    match = _TYPE.match(text)
    name = match.group(1).lower() if match else ""
    kind = _ALIASES.get(name, name)
    if match is None or (kind not in _INT_BITS and kind not in _PLAIN and kind != "decimal"):
        hint = ""
        if re.match(r"^\s*(decimal|numeric)\s*\(\s*\d+\s*$", text, re.IGNORECASE):
            hint = (" (a comma inside {...} ends the entry: write \"decimal(12,2)\" in quotes, "
                    "or the types one per line)")
        raise ValueError(f"unknown type {text!r}{hint}; expected one of {', '.join(TYPE_NAMES)}")
    _, p, s, unsigned = match.groups()
    if unsigned and kind not in _INT_BITS:
        raise ValueError(f"{text!r}: only integer types can be unsigned")
    if kind in _INT_BITS:
        if p is not None:           # MySQL's display width, int(11): not part of the type
            if s is not None:
                raise ValueError(f"{text!r}: an integer type takes no scale")
        bits = _INT_BITS[kind]
        low, high = (0, 2 ** bits - 1) if unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        return ColumnType("int", text.strip(), low=low, high=high)
    if kind == "decimal":
        precision = int(p) if p is not None else None
        scale = int(s) if s is not None else (0 if precision is not None else None)
        if precision is not None and not 1 <= precision <= _MAX_DECIMAL_PRECISION:
            raise ValueError(f"{text!r}: the precision must be 1 to {_MAX_DECIMAL_PRECISION}")
        if precision is not None and scale is not None and scale > precision:
            raise ValueError(f"{text!r}: the scale (places after the point) cannot exceed the precision")
        return ColumnType("decimal", text.strip(), precision=precision, scale=scale)
    if p is not None:
        raise ValueError(f"{text!r}: {name} takes no (precision, scale)")
    return ColumnType(kind, text.strip())


# ---------------------------------------------------------------------- coercion
def coerce(change: Change, columns: Mapping[str, ColumnType] | None, fmt: str) -> Change:
    """`change` with its typed values coerced (see the module docstring); BadMessage if one cannot be.

    `columns` are the types of `change.table` (None or empty: no typed field). Updates get
    their changed fields recomputed as well: the fields the message said changed plus those
    whose coerced values differ (never fewer).
    """
    text = fmt in TEXT_FORMATS
    floats = fmt not in _EXACT_NUMBERS
    if not columns and not floats:
        return change
    columns = columns or {}
    before = _row(change.before, columns, text, floats, fmt, change.table)
    after = _row(change.after, columns, text, floats, fmt, change.table)
    if before is change.before and after is change.after:
        return change
    if change.diffed or not change.changed_known or before is None or after is None:    # DIFF: of the coerced images
        return change.replace(before=before, after=after)
    return change.replace(before=before, after=after, changed=change.changed | changed_fields(before, after))


def coerce_row(row: Row, columns: Mapping[str, ColumnType] | None, fmt: str, table: str) -> Row:
    """One row image coerced as ``coerce`` does (for a changelog -U row waiting for its +U)."""
    result = _row(row, columns or {}, fmt in TEXT_FORMATS, fmt not in _EXACT_NUMBERS, fmt, table)
    assert result is not None
    return result


def _row(row: Mapping[str, Any] | None, columns: Mapping[str, ColumnType], text: bool, floats: bool,
         fmt: str, table: str) -> Any:
    if row is None:
        return None
    out: dict[str, Any] | None = None
    for name, value in row.items():
        column = columns.get(name)
        if value is None:
            continue
        if column is None:
            new = _plain(value) if floats else value
        else:
            try:
                new = _COERCE[column.kind](value, column, text, fmt)
            except _Wrong as wrong:
                raise BadMessage(f"table {table!r}, field {name!r}: expected {column.spelled}"
                                 f"{f' ({wrong.why})' if wrong.why else ''}, got {_shown(value)}") from None
        if new is not value:
            if out is None:
                out = dict(row)
            out[name] = new
    return out if out is not None else row


class _Wrong(Exception):
    def __init__(self, why: str = "") -> None:
        super().__init__(why)
        self.why = why


def _shown(value: object) -> str:
    """The value for a dead letter's reason, JSON-worded and cut short."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int) and value.bit_length() > 256:
        return f"a {value.bit_length()}-bit integer"
    if isinstance(value, (int, float, Decimal)):
        text, kind = (repr(value) if isinstance(value, float) else str(value)), "the number"
    elif isinstance(value, str):
        text, kind = repr(value), "the string"
    else:
        text, kind = repr(value), type(value).__name__
    return f"{kind} {text if len(text) <= 80 else text[:77] + '...'}"


def _plain(value: Any) -> Any:
    """`value` with every Decimal (a JSON number read exactly) turned into the float json.loads gives."""
    kind = type(value)
    if kind is Decimal:
        return _float(value)
    if kind is not dict and kind is not list:
        return value
    # Iterative: json.loads accepts nesting deeper than a recursive walk would survive.
    root: list[Any] = [value]
    pending: list[tuple[Any, Any]] = [(root, 0)]
    while pending:
        holder, at = pending.pop()
        item = holder[at]
        if type(item) is Decimal:
            holder[at] = _float(item)
        elif type(item) is dict:
            holder[at] = item = dict(item)
            pending.extend((item, key) for key in item)
        elif type(item) is list:
            holder[at] = item = list(item)
            pending.extend((item, i) for i in range(len(item)))
    return root[0]


def _float(number: Decimal) -> float | Decimal:
    if number.is_snan():
        return number                  # a signalling NaN is no JSON number: left be
    value = float(number)
    if value in (math.inf, -math.inf) and number.is_finite():
        raise BadMessage(f"number {number} is beyond the range of a double: it would become Infinity, "
                         "and RFC 8259 JSON has no Infinity")
    return value


# --- one function per kind: (value, column, text format?, format) -> value, or _Wrong ----------
def _int(value: Any, column: ColumnType, text: bool, fmt: str) -> int:
    if isinstance(value, bool):
        raise _Wrong()
    if isinstance(value, int):
        number = value
    elif text and isinstance(value, str) and len(value) <= 100 and _INTEGER_TEXT.match(value):
        number = int(value)
    elif text and isinstance(value, (str, Decimal, float)):
        number = _exact_integer(_decimal_of(value, text))
    else:
        raise _Wrong()
    assert column.low is not None and column.high is not None
    if not column.low <= number <= column.high:
        raise _Wrong(f"{column.low} to {column.high}")
    return number


def _exact_integer(number: Decimal) -> int:
    if not number.is_finite() or number.adjusted() > 100 or number != number.to_integral_value():
        raise _Wrong("a whole number")
    return int(number)


def _decimal(value: Any, column: ColumnType, text: bool, fmt: str) -> Decimal:
    number = _decimal_of(value, True)
    if not number.is_finite():
        raise _Wrong("a finite number")
    if column.precision is None:
        return number
    assert column.scale is not None
    whole_digits = column.precision - column.scale
    if number and number.adjusted() >= whole_digits:
        raise _Wrong(f"at most {whole_digits} digits before the point")
    exponent = Decimal((0, (1,), -column.scale))
    try:
        rounded = number.quantize(exponent, context=Context(prec=column.precision + 2))
    except InvalidOperation:            # an exponent beyond the context's: far too many places
        raise _Wrong(f"at most {column.scale} places after the point") from None
    if rounded != number:
        raise _Wrong(f"at most {column.scale} places after the point")
    return rounded


def _decimal_of(value: Any, strings: bool) -> Decimal:
    """A number as a Decimal, exactly; a float by its shortest text (what its JSON said)."""
    if isinstance(value, bool):
        raise _Wrong()
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and abs(value) != float("inf") else Decimal(value)
    if strings and isinstance(value, str) and len(value) <= 4400 and _DECIMAL_TEXT.match(value):
        try:
            return Decimal(value)
        except ArithmeticError:         # an exponent beyond what a Decimal holds
            raise _Wrong("a number within the range of an exact decimal") from None
    raise _Wrong()


def _double(value: Any, column: ColumnType, text: bool, fmt: str) -> float:
    if isinstance(value, bool):
        raise _Wrong()
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            number = float(value)
        except OverflowError:
            raise _Wrong("a number a double holds exactly") from None
        if number != value:
            raise _Wrong("a number a double holds exactly")
        return number
    if isinstance(value, Decimal) and not value.is_snan():
        number = float(value)
        if number in (math.inf, -math.inf) and value.is_finite():
            raise _Wrong("a number within the range of a double")
        return number
    if text and isinstance(value, str):
        if value in _SPECIAL_DOUBLES:     # a value of the column, but not one JSON can carry on
            raise _Wrong("a finite number (RFC 8259 JSON has no NaN or Infinity)")
        if len(value) <= 4400 and _DECIMAL_TEXT.match(value):
            number = float(value)
            if math.isinf(number):
                raise _Wrong("a number within the range of a double")
            return number
    raise _Wrong()


def _string(value: Any, column: ColumnType, text: bool, fmt: str) -> str:
    if not isinstance(value, str):
        raise _Wrong()
    return value


def _bool(value: Any, column: ColumnType, text: bool, fmt: str) -> bool:
    if isinstance(value, bool):
        return value
    if text and isinstance(value, str):
        found = _BOOL_TEXT.get(value.lower() if len(value) <= 5 else value)
        if found is not None:
            return found
        raise _Wrong("1, 0, true or false")
    raise _Wrong()


def _timestamp(value: Any, column: ColumnType, text: bool, fmt: str) -> datetime:
    if not isinstance(value, str) or len(value) > 64:
        raise _Wrong("an ISO 8601 text such as 2024-05-06 07:08:09.5")
    fraction = _FRACTION.search(value)
    if fraction is not None:            # fromisoformat would cut nanoseconds off silently
        if fraction.group(1)[6:].strip("0"):
            raise _Wrong("at most microseconds")
        value = value[:fraction.start(1) + 6] + value[fraction.end(1):]
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _Wrong("an ISO 8601 text such as 2024-05-06 07:08:09.5") from None


def _date(value: Any, column: ColumnType, text: bool, fmt: str) -> date:
    if not isinstance(value, str) or len(value) > 32:
        raise _Wrong("an ISO 8601 date such as 2024-05-06")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Wrong("an ISO 8601 date such as 2024-05-06") from None


def _json(value: Any, column: ColumnType, text: bool, fmt: str) -> Any:
    if not (text and isinstance(value, str)):
        return value if fmt in _EXACT_NUMBERS else _plain(value)
    from pruner.cdc.decode import strict_json        # decode imports this module
    try:
        return strict_json(value, exact=fmt in _EXACT_NUMBERS)
    except BadMessage as error:
        raise _Wrong(f"JSON text ({error.reason})") from None
    except (ValueError, RecursionError):
        raise _Wrong("JSON text") from None


_HEX: Final = frozenset("0123456789abcdefABCDEF")


def _bytes(value: Any, column: ColumnType, text: bool, fmt: str) -> bytes:
    if not isinstance(value, str):
        raise _Wrong()
    if fmt == "canal-json":                 # Canal writes binary columns as ISO-8859-1 text
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            raise _Wrong("ISO-8859-1 text, as Canal writes binary columns") from None
    if fmt == "wal2json":       # PostgreSQL's bytea output, \x and hex digits; wal2json sends the
        digits = value[2:] if value.startswith("\\x") else value      # hex digits alone
        if not all(c in _HEX for c in digits):
            raise _Wrong("PostgreSQL hex text such as \\x0aff or 0aff")
        try:
            return bytes.fromhex(digits)
        except ValueError:
            raise _Wrong("PostgreSQL hex text such as \\x0aff or 0aff") from None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Wrong("base64 text") from None


_COERCE: Final[dict[str, Callable[[Any, ColumnType, bool, str], Any]]] = {
    "int": _int, "decimal": _decimal, "double": _double, "string": _string, "bool": _bool,
    "timestamp": _timestamp, "date": _date, "json": _json, "bytes": _bytes}


def coerce_value(value: Any, column: ColumnType) -> Any:
    """A value that code computed (a Processor's output, a typed Flink column), as `column`'s
    Python type; ``ValueError`` says what was expected. Values of the type's own Python class
    pass (a ``datetime`` for a timestamp, ``bytes`` for bytes, any JSON value for json); the
    rules for numbers are the JSON formats' (an int takes a whole number, never a bool; a
    decimal takes an int, a Decimal or a float by its shortest text, exactly, within its
    precision and scale; a double an int it holds exactly). A timestamp or a date may also be
    ISO 8601 text. None stays None."""
    if value is None:
        return None
    kind = column.kind
    try:
        if kind == "timestamp" and isinstance(value, datetime):
            return value
        if kind == "date" and isinstance(value, date) and not isinstance(value, datetime):
            return value
        if kind == "bytes":
            if isinstance(value, (bytes, bytearray, memoryview)):
                return bytes(value)
            raise _Wrong()
        if kind == "json":
            return value
        if kind in ("int", "decimal", "double") and not isinstance(value, (int, float, Decimal)):
            raise _Wrong()
        if kind == "int" and isinstance(value, Decimal):      # Flink's DECIMAL(20, 0): bigint unsigned
            value = _exact_integer(value)
        return _COERCE[kind](value, column, False, "changelog-json")
    except _Wrong as wrong:
        raise ValueError(f"expected {column.spelled}{f' ({wrong.why})' if wrong.why else ''}, "
                         f"got {_shown(value)}") from None
