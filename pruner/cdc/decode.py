"""The one entry point: JSON lines of one CDC format in, ``Change``s and ``DeadLetter``s out.

Each format has a module with one function ``(obj, line) -> list[Change] | Skip`` that raises
``BadMessage`` for what it cannot use; this module reads the lines, parses the JSON, runs the
format's function, turns every failure into a ``DeadLetter`` and keeps ``DecodeStats``. It
never raises on bad input: every non-blank line ends as Changes, a DeadLetter or a counted
skip (a changelog ``-U``/``+U`` pair ends as one Change).

Input is never altered on the way in; what cannot be read exactly is a dead letter:
- A line given as ``bytes`` is decoded as strict UTF-8; invalid bytes make it a dead letter
  whose ``raw`` is the line with those bytes escaped (``\\xff``). A ``str`` line holding a
  lone surrogate (bytes read with ``errors="surrogateescape"``) is one too.
- A UTF-8 byte order mark at the start of the first line is ignored (one at the start of
  another line makes it a dead letter); ``raw`` keeps it.
- ``NaN``, ``Infinity`` and ``-Infinity`` (which ``json.loads`` accepts) are not JSON, and a
  number beyond the double range (``1e400``) would turn into one: dead letters. So is a string
  with an unpaired surrogate escape (``"\\ud800"``): it cannot be written back as UTF-8.

With ``types`` (a job's typed tables, ``JobSpec.types``), numbers are read exactly and every
Change is coerced to its table's types (``pruner.cdc.types``): a value that does not fit makes
its message a dead letter.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any, Callable, Final, Iterable, Iterator, Mapping

import msgspec

from pruner.cdc.canal import decode_canal
from pruner.cdc.changelog import Pending, Result, UpdateBefore, decode_changelog, pair_end, pair_step, pair_updates
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
_JSON_WHITESPACE: Final = " \t\r\n"
_BOM: Final = "\ufeff"
# Only a line with such an escape can hold an unpaired surrogate once parsed: a cheap test first.
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")


def _reject_constant(token: str) -> Any:
    raise BadMessage(f"{token} is not a JSON value: RFC 8259 JSON has no NaN, Infinity or -Infinity")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise BadMessage(f"number {shown} is beyond the range of a double: it would become Infinity, "
                         "and RFC 8259 JSON has no Infinity")
    return value


def _exact_number(text: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:             # an exponent beyond what a Decimal holds (1e2345678901234567890)
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise BadMessage(f"number {shown} is beyond the range of an exact decimal") from None


def _fast(fast: Callable[[str], Any], strict: Callable[[str], Any]) -> Callable[[str], Any]:
    """``fast`` (msgspec, about 2× ``json.loads``), and ``strict`` for a text ``fast`` refuses.

    Every text msgspec accepts, the stdlib parser accepts with the same value (RFC 8259
    numbers, the same 4,300-digit integer limit, the last of duplicate keys wins, floats out
    of double range refused). msgspec refuses what the stdlib accepts (NaN, lone surrogate
    escapes) and words its errors differently, so every refusal is parsed again by ``strict``:
    the dead letter's reason is the one it has always been, and only bad lines pay twice.

    An unpaired surrogate (``"\\ud800"``) is refused: msgspec refuses every one, so only what
    ``strict`` accepts is searched for them (a search of every line cost a fifth of decoding).
    """
    def parse(text: str) -> Any:
        try:
            return fast(text)
        except (msgspec.DecodeError, RecursionError, ArithmeticError):   # ArithmeticError: Decimal's
            obj = strict(text)
        if "\\u" in text and _SURROGATE_ESCAPE.search(text):
            _refuse_unpaired_surrogates(obj)
        return obj
    return parse


# How each format's JSON is parsed: wal2json numerics are exact (numeric(30,10) never via float).
# One decoder object each: json.loads(text, **options) would build one per line.
_STRICT_EXACT: Final = json.JSONDecoder(parse_float=_exact_number, parse_constant=_reject_constant).decode
_STRICT_FLOATS: Final = json.JSONDecoder(parse_float=_finite_float, parse_constant=_reject_constant).decode
_EXACT: Final = _fast(msgspec.json.Decoder(float_hook=Decimal).decode, _STRICT_EXACT)
_PARSE: Final[dict[str, Callable[[str], Any]]] = {"wal2json": _EXACT}
_PARSE_FLOATS: Final = _fast(msgspec.json.Decoder().decode, _STRICT_FLOATS)


def decode(lines: Iterable[str] | Iterable[bytes], fmt: str, stats: DecodeStats | None = None,
           types: Mapping[str, Mapping[str, ColumnType]] | None = None) -> Iterator[Change | DeadLetter]:
    """Decode ``lines`` (one message per line, 1-based line numbers) lazily, updating ``stats``.

    ``lines`` are ``str`` (an open text file, ``text.splitlines()``) or ``bytes`` (an open
    binary file, ``sys.stdin.buffer``), decoded as strict UTF-8. Blank lines are skipped; a
    JSON ``null`` line (a tombstone) and control messages are skipped and counted in
    ``skipped_empty``, DDL messages in ``skipped_ddl``. ``types``: table -> field -> type, for
    the tables that have types.
    """
    if isinstance(lines, (str, bytes, bytearray)):
        raise TypeError("decode() takes an iterable of lines, not one string: "
                        "pass text.splitlines() or an open file")
    decoder, parse = _decoder_of(fmt, types)
    return _decode(lines, decoder, fmt == CHANGELOG_JSON, stats if stats is not None else DecodeStats(), parse)


def _decoder_of(fmt: str, types: Mapping[str, Mapping[str, ColumnType]] | None
                ) -> tuple[Callable[[dict[str, Any], int], Result], Callable[[str], Any]]:
    decoder = _DECODERS.get(fmt)
    if decoder is None:
        raise ValueError(f"unknown CDC format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    parse = _PARSE.get(fmt, _PARSE_FLOATS)
    if types:
        decoder, parse = _typed(decoder, types, fmt), _EXACT
    return decoder, parse


class MessageDecoder:
    """``decode()`` one message at a time, for a stream that hands them over one by one (the
    keyed Flink decode stage). What spans messages, a changelog ``-U`` waiting for its ``+U``,
    is `pending`: plain data the caller keeps (in keyed state) and passes back, so the result
    is the same as ``decode()`` over the whole input, line numbers included."""

    def __init__(self, fmt: str, types: Mapping[str, Mapping[str, ColumnType]] | None = None) -> None:
        self.decoder, self.parse = _decoder_of(fmt, types)
        self.pair = fmt == CHANGELOG_JSON

    def feed(self, line: int, item: str | bytes, pending: Pending | None = None,
             stats: DecodeStats | None = None) -> tuple[list[Change | DeadLetter], Pending | None]:
        """The message on `line` (1-based): (what it completes, the -U now waiting or None)."""
        stats = stats if stats is not None else DecodeStats()
        out: list[tuple[int, str, Result]] = []
        for found in _decode_each([item], self.decoder, stats, self.parse, start=line):
            if self.pair:
                pending, step = pair_step(pending, *found)
                out += step
            else:
                out.append(found)
        return list(_outputs(out, stats)), pending

    def end(self, pending: Pending | None, stats: DecodeStats | None = None) -> list[Change | DeadLetter]:
        """The input ended: a -U still waiting is a dead letter."""
        return list(_outputs(pair_end(pending), stats if stats is not None else DecodeStats()))

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


def line_text(line: str | bytes) -> tuple[str, str | None]:
    """A line's text without its line ending, and why it is not Unicode text (None when it is).

    Text that is not Unicode comes back escaped (``\\xff`` for an invalid byte, ``\\udcff``
    for a lone surrogate), so that a dead letter keeps every byte and can still be written.
    """
    if not isinstance(line, str):
        data = line.rstrip(b"\r\n")
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError as error:
            bad = data[error.start:error.end].hex(" ")
            return (data.decode("utf-8", "backslashreplace"),
                    f"invalid UTF-8 at byte {error.start + 1} of the line ({error.reason}: {bad})")
    text = line.rstrip("\r\n")
    if text.isascii():
        return text, None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return (text.encode("utf-8", "backslashreplace").decode("utf-8"),
                f"not Unicode text: lone surrogate U+{ord(text[error.start]):04X} at character "
                f"{error.start + 1} of the line (bytes that are not UTF-8, read with surrogateescape?)")
    return text, None


def _decode(lines: Iterable[str] | Iterable[bytes], decoder: Callable[[dict[str, Any], int], Result], pair: bool,
            stats: DecodeStats, parse: Callable[[str], Any]) -> Iterator[Change | DeadLetter]:
    results = _decode_each(lines, decoder, stats, parse)
    if pair:
        results = pair_updates(results)
    return _outputs(results, stats)


def _outputs(results: Iterable[tuple[int, str, Result]], stats: DecodeStats) -> Iterator[Change | DeadLetter]:
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
                if change.kind == UPDATE and not change.changed_known:
                    stats.no_before_image += 1
                yield change


def _decode_each(lines: Iterable[str] | Iterable[bytes], decoder: Callable[[dict[str, Any], int], Result],
                 stats: DecodeStats, parse: Callable[[str], Any], start: int = 1) -> Iterator[tuple[int, str, Result]]:
    for line, item in enumerate(lines, start):
        raw, not_text = line_text(item)
        body = raw[1:] if line == 1 and raw.startswith(_BOM) else raw
        if not body or (body[0] in _JSON_WHITESPACE and not body.strip(_JSON_WHITESPACE)):   # blank
            # (only a line starting with whitespace is stripped: a copy of a long line is not free)
            stats.skipped_empty += 1
            continue
        stats.messages += 1
        if not_text is not None:
            yield line, raw, DeadLetter(line, not_text, raw)
        elif body.startswith(_BOM):
            yield line, raw, DeadLetter(line, "a byte order mark (U+FEFF) starts the line: only the first "
                                              "line may have one (files joined together?)", raw)
        else:
            yield line, raw, _decode_one(body, raw, line, decoder, parse)


def _decode_one(body: str, raw: str, line: int, decoder: Callable[[dict[str, Any], int], Result],
                parse: Callable[[str], Any] = _PARSE_FLOATS) -> Result:
    try:
        obj = parse(body)
    except BadMessage as error:
        return DeadLetter(line, error.reason, raw)
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




def strict_json(text: str, *, exact: bool = False) -> Any:
    """One JSON text parsed as a message line is (a typed ``json`` column's text, for one):
    RFC 8259 only, so no NaN or Infinity, no number beyond a double's range (with `exact`,
    numbers with a point are Decimals), no unpaired surrogate. ``BadMessage`` or
    ``ValueError`` (not JSON at all) says why not."""
    return (_EXACT if exact else _PARSE_FLOATS)(text)


def _refuse_unpaired_surrogates(obj: Any) -> None:
    """Raise ``BadMessage`` if a string (key or value) in ``obj`` holds an unpaired surrogate.

    ``json.loads`` turns ``"\\ud800"`` into a one-character string that no UTF-8 writer can
    write: it would fail at the end of a run, far from its line. Iterative: any nesting.
    """
    pending = [obj]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError as error:
                    raise BadMessage(f"a string holds the unpaired surrogate \\u{ord(value[error.start]):04x}: "
                                     "not Unicode text, it cannot be written as UTF-8") from None
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
