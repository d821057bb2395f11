"""The one entry point: JSON lines of one CDC format in, ``Change``s and ``DeadLetter``s out.

Each format has a module with one function ``(obj, line) -> list[Change] | Skip`` that raises
``BadMessage`` for what it cannot use; this module reads the lines, parses the JSON, runs the
format's function, turns every failure into a ``DeadLetter`` and keeps ``DecodeStats``. It
never raises on bad input: every non-blank line ends as Changes, a DeadLetter or a counted
skip (a changelog ``-U``/``+U`` pair ends as one Change).

With ``types`` (a job's typed tables, ``JobSpec.types``), numbers are read exactly and every
Change is coerced to its table's types (``pruner.cdc.types``): a value that does not fit makes
its message a dead letter.
"""
from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any, Callable, Final, Iterable, Iterator, Mapping

from pruner.cdc.canal import decode_canal
from pruner.cdc.changelog import Result, UpdateBefore, decode_changelog, pair_updates
from pruner.cdc.debezium import decode_debezium
from pruner.cdc.maxwell import decode_maxwell
from pruner.cdc.message import BadMessage, Skip, json_type
from pruner.cdc.model import UPDATE, Change, DeadLetter, DecodeStats
from pruner.cdc.ogg import decode_ogg
from pruner.cdc.types import ColumnType, coerce, coerce_row
from pruner.cdc.wal2json import decode_wal2json

CHANGELOG_JSON: Final = "changelog-json"
_DECODERS: Final[dict[str, Callable[[dict[str, Any], int], Result]]] = {
    "debezium-json": decode_debezium,
    "canal-json": decode_canal,
    "maxwell-json": decode_maxwell,
    "ogg-json": decode_ogg,
    CHANGELOG_JSON: decode_changelog,
    "wal2json": decode_wal2json,
}
FORMATS: Final = tuple(_DECODERS)
# How each format's JSON is parsed: wal2json numerics are exact (numeric(30,10) never via float).
_EXACT: Final = partial(json.loads, parse_float=Decimal)
_PARSE: Final[dict[str, Callable[[str], Any]]] = {"wal2json": _EXACT}
_JSON_WHITESPACE: Final = " \t\r\n"


def decode(lines: Iterable[str], fmt: str, stats: DecodeStats | None = None,
           types: Mapping[str, Mapping[str, ColumnType]] | None = None) -> Iterator[Change | DeadLetter]:
    """Decode ``lines`` (one message per line, 1-based line numbers) lazily, updating ``stats``.

    Blank lines are skipped; a JSON ``null`` line (a tombstone) and control messages are
    skipped and counted in ``skipped_empty``, DDL messages in ``skipped_ddl``. ``types``:
    table -> field -> type, for the tables that have types.
    """
    decoder = _DECODERS.get(fmt)
    if decoder is None:
        raise ValueError(f"unknown CDC format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    if isinstance(lines, (str, bytes)):
        raise TypeError("decode() takes an iterable of lines, not one string: "
                        "pass text.splitlines() or an open text file")
    parse = _PARSE.get(fmt, json.loads)
    if types:
        decoder, parse = _typed(decoder, types, fmt), _EXACT
    return _decode(lines, decoder, fmt == CHANGELOG_JSON, stats if stats is not None else DecodeStats(), parse)


def _typed(decoder: Callable[[dict[str, Any], int], Result], types: Mapping[str, Mapping[str, ColumnType]],
           fmt: str) -> Callable[[dict[str, Any], int], Result]:
    """`decoder` whose Changes (and changelog -U rows) come out coerced to their tables' types."""
    def decode_typed(obj: dict[str, Any], line: int) -> Result:
        result = decoder(obj, line)
        if isinstance(result, list):
            return [coerce(change, types.get(change.table), fmt) for change in result]
        if isinstance(result, UpdateBefore):
            return replace(result, row=coerce_row(result.row, types.get(result.table), fmt, result.table))
        return result
    return decode_typed


def _decode(lines: Iterable[str], decoder: Callable[[dict[str, Any], int], Result], pair: bool,
            stats: DecodeStats, parse: Callable[[str], Any]) -> Iterator[Change | DeadLetter]:
    results = _decode_each(lines, decoder, stats, parse)
    if pair:
        results = pair_updates(results)
    for _, _, result in results:
        if isinstance(result, DeadLetter):
            stats.dead_letter += 1
            yield result
        elif result is Skip.DDL:
            stats.skipped_ddl += 1
        elif result is Skip.EMPTY:
            stats.skipped_empty += 1
        else:
            assert isinstance(result, list)
            for change in result:
                stats.changes += 1
                stats.by_table[change.table] = stats.by_table.get(change.table, 0) + 1
                if change.kind == UPDATE and change.changed is None:
                    stats.no_before_image += 1
                yield change


def _decode_each(lines: Iterable[str], decoder: Callable[[dict[str, Any], int], Result],
                 stats: DecodeStats, parse: Callable[[str], Any]) -> Iterator[tuple[int, str, Result]]:
    for line, text in enumerate(lines, 1):
        raw = text.rstrip("\r\n")
        if not raw.strip(_JSON_WHITESPACE):
            stats.skipped_empty += 1
            continue
        stats.messages += 1
        yield line, raw, _decode_one(raw, line, decoder, parse)


def _decode_one(raw: str, line: int, decoder: Callable[[dict[str, Any], int], Result],
                parse: Callable[[str], Any] = json.loads) -> Result:
    try:
        obj = parse(raw)
    except (ValueError, RecursionError) as error:   # ValueError also covers over-long integers
        return DeadLetter(line, f"invalid JSON: {error}", raw)
    if obj is None:
        return Skip.EMPTY          # a tombstone (Kafka null value written as JSON)
    if not isinstance(obj, dict):
        return DeadLetter(line, f"message must be a JSON object, got {json_type(obj)}", raw)
    try:
        return decoder(obj, line)
    except BadMessage as error:
        return DeadLetter(line, error.reason, raw)
