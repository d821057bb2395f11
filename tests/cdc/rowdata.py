"""Changes rendered the way Flink's tests print them: ``RowData.toString()`` of the product table.

``product(id INT, name VARCHAR(255), description VARCHAR(512), weight FLOAT)``: an update is a
``-U`` (before) and a ``+U`` (after) row; ``weight`` prints as Java's ``Float.toString``.
"""
from __future__ import annotations

import struct
from decimal import Decimal
from typing import Any, Iterable, Mapping

from pruner.cdc import DELETE, INSERT, SNAPSHOT, UPDATE, Change

COLUMNS = ("id", "name", "description", "weight")


def java_float(value: float) -> str:
    """Java ``Float.toString``: the shortest decimal that reads back as the same float32.

    Only the plain-notation range (1e-3 <= |v| < 1e7) that the fixtures use is supported.
    """
    f32 = _f32(value)
    assert f32 == 0 or 1e-3 <= abs(f32) < 1e7, f"{value!r}: scientific notation not supported"
    for digits in range(1, 10):
        text = f"{f32:.{digits}g}"
        if _f32(float(text)) == f32:
            break
    plain = format(Decimal(text), "f")
    return plain if "." in plain else plain + ".0"


def _f32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "null"
    if column == "weight" and not isinstance(value, str):
        return java_float(value)
    return str(value)    # Canal sends every value as a string: printed as given


def row_string(kind: str, image: Mapping[str, Any]) -> str:
    return f"{kind}({','.join(_cell(c, image[c]) for c in COLUMNS)})"


def flink_rows(changes: Iterable[Change]) -> list[str]:
    rows = []
    for change in changes:
        if change.kind in (INSERT, SNAPSHOT):
            rows.append(row_string("+I", change.row))
        elif change.kind == UPDATE:
            assert change.before is not None, f"line {change.line}: update without a before image"
            rows += [row_string("-U", change.before), row_string("+U", change.row)]
        else:
            assert change.kind == DELETE
            rows.append(row_string("-D", change.row))
    return rows
