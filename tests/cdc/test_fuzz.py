"""Every decoder fuzzed: good streams with bad lines of every kind mixed in.

A good stream is drawn as abstract row changes rendered in the format under test (plus the
format's control and DDL messages, which decode to nothing). Bad lines are mixed in between
its messages (never between a changelog ``-U`` and its ``+U``: see the plain tests below):
bytes that are not UTF-8 (inside a string value or anywhere), byte order marks, truncated
JSON, a wrong type or a missing value at every key the format reads, NaN/Infinity tokens
and numbers beyond a double, deep nesting, over-long integers, JSON that is not an object,
empty objects, valid messages of another format, whitespace-only lines and random bytes.
The stream is fed as ``bytes`` lines or as ``str`` lines (bytes that are not UTF-8 then
arrive as lone surrogates, as ``errors="surrogateescape"`` reads them). Asserted:
- nothing escapes ``decode()``, and every Change and dead letter can be written as strict
  UTF-8 JSON (no NaN, no unpaired surrogate);
- each bad line is exactly one dead letter on its own line, keeping the line's text
  (invalid bytes escaped); a whitespace-only line gives nothing; a random byte line gives
  what decoding it alone, on the same line number, gives;
- the good lines give the Changes that decoding the good lines alone gives, each on the
  line the good line moved to.

``FUZZ_EXAMPLES`` (default 40) is the example count per format; ``make soak`` raises it.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pruner.cdc import FORMATS, Change, DeadLetter, DecodeStats, decode
from pruner.cdc.message import same_value

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 40)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BOM = "\ufeff"
NAME_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters=".\n")
NAMES = st.text(NAME_CHARS, min_size=1, max_size=6)
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=8))
VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=3)
                      | st.dictionaries(st.text(max_size=4), children, max_size=3), max_leaves=6)
ROWS = st.dictionaries(NAMES, VALUES, min_size=1, max_size=4)
# Byte sequences that are invalid UTF-8 whatever follows them at a character boundary.
NOT_UTF8 = (b"\xff", b"\xfe", b"\x80", b"\xc3\x28", b"\xe2\x82", b"\xc0\xaf", b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80", b"\xef\xbb")
SENTINEL = "@@fuzz@@"


# ------------------------------------------------------------------ good messages, per format
@dataclass(frozen=True)
class RowChange:
    """A change before it is rendered in a format; ``rows`` pairs (before, after) images."""

    kind: str                     # insert, snapshot, update, delete
    table: str
    database: str | None
    ts_ms: int
    rows: tuple[tuple[dict | None, dict | None], ...]
    flavour: bool                 # debezium: wrapped in schema/payload; changelog: a lone +U; wal2json: identity


@st.composite
def row_changes(draw: st.DrawFn, many_rows: bool = False) -> RowChange:
    kind = draw(st.sampled_from(["insert", "snapshot", "update", "delete"]))
    rows = []
    for _ in range(draw(st.integers(1, 3)) if many_rows else 1):
        before = draw(ROWS)
        if kind == "update":
            changed = draw(st.sets(st.sampled_from(sorted(before))))
            rows.append((before, {**before, **{name: draw(VALUES) for name in changed}}))
        elif kind == "delete":
            rows.append((before, None))
        else:
            rows.append((None, before))
    return RowChange(kind, draw(NAMES), draw(st.none() | NAMES), draw(st.integers(0, 2**42)),
                     tuple(rows), draw(st.booleans()))


def _old(before: dict, after: dict) -> dict:
    return {name: before[name] for name in after if not same_value(before[name], after[name])}


def render_debezium(c: RowChange) -> list[Any]:
    (before, after), = c.rows
    op = {"insert": "c", "snapshot": "r", "update": "u", "delete": "d"}[c.kind]
    payload = {"before": before, "after": after, "op": op, "ts_ms": c.ts_ms,
               "source": {"db": c.database, "table": c.table, "snapshot": "false"}}
    return [{"schema": {"type": "struct"}, "payload": payload} if c.flavour else payload]


def render_canal(c: RowChange) -> list[Any]:
    type_ = {"insert": "INSERT", "snapshot": "INIT", "update": "UPDATE", "delete": "DELETE"}[c.kind]
    data = [after if after is not None else before for before, after in c.rows]
    old = [_old(before, after) for before, after in c.rows] if c.kind == "update" else None
    return [{"data": data, "old": old, "type": type_, "database": c.database, "table": c.table,
             "isDdl": False, "ts": c.ts_ms, "es": c.ts_ms, "pkNames": None}]


def render_maxwell(c: RowChange) -> list[Any]:
    (before, after), = c.rows
    type_ = {"insert": "insert", "snapshot": "bootstrap-insert", "update": "update", "delete": "delete"}[c.kind]
    message = {"database": c.database, "table": c.table, "type": type_, "ts": c.ts_ms // 1000,
               "xid": 7, "data": after if after is not None else before}
    if c.kind == "update":
        message["old"] = _old(before, after)
    return [message]


def render_ogg(c: RowChange) -> list[Any]:
    (before, after), = c.rows
    op = {"insert": "I", "snapshot": "I", "update": "U", "delete": "D"}[c.kind]
    table = f"{c.database}.{c.table}" if c.database else c.table
    message = {"table": table, "op_type": op, "op_ts": "2020-05-13 17:26:27.936000", "pos": "00001"}
    if before is not None:
        message["before"] = before
    if after is not None:
        message["after"] = after
    return [message]


def render_changelog(c: RowChange) -> list[Any]:
    (before, after), = c.rows
    head = {"table": c.table, "database": c.database, "ts_ms": c.ts_ms}
    if c.kind == "update":
        plus = {"kind": "+U", **head, "row": after}
        return [plus] if c.flavour else [{"kind": "-U", **head, "row": before}, plus]
    if c.kind == "delete":
        return [{"kind": "-D", **head, "row": before}]
    return [{"kind": "+I", **head, "row": after}]


def render_wal2json(c: RowChange) -> list[Any]:
    (before, after), = c.rows
    columns = lambda row: [{"name": k, "type": "text", "value": v} for k, v in row.items()]  # noqa: E731
    message: dict[str, Any] = {"action": {"update": "U", "delete": "D"}.get(c.kind, "I"), "xid": 1,
                               "table": c.table}
    if c.database is not None:
        message["schema"] = c.database
    if after is not None:
        message["columns"] = columns(after)
    if before is not None and (c.kind == "delete" or c.flavour):
        message["identity"] = columns(before)      # REPLICA IDENTITY FULL; without it: DEFAULT
    return [message]


RENDER: dict[str, Callable[[RowChange], list[Any]]] = {
    "debezium-json": render_debezium, "canal-json": render_canal, "maxwell-json": render_maxwell,
    "ogg-json": render_ogg, "changelog-json": render_changelog, "wal2json": render_wal2json}
# Valid messages that hold no row change (decode() skips and counts them).
NO_ROWS: dict[str, list[Any]] = {
    "debezium-json": [None],
    "canal-json": [None, {"data": None, "type": "CREATE", "isDdl": True, "database": "d", "table": "t",
                          "sql": "CREATE TABLE t (id int)"}],
    "maxwell-json": [None, {"type": "bootstrap-start", "database": "d", "table": "t", "ts": 1, "data": {}},
                     {"type": "table-create", "database": "d", "table": "t", "ts": 1}],
    "ogg-json": [None],
    "changelog-json": [None],
    "wal2json": [None, {"action": "B", "xid": 1}, {"action": "C", "xid": 1},
                 {"action": "M", "transactional": False, "prefix": "p", "content": "x"}],
}
TRUNCATE = {"action": "T", "schema": "public", "table": "t"}


def good_units(fmt: str) -> st.SearchStrategy[list[Any]]:
    """One good message (a changelog update: its -U and +U lines) as JSON values."""
    units = row_changes(many_rows=fmt == "canal-json").map(RENDER[fmt]) | st.sampled_from(NO_ROWS[fmt]).map(
        lambda value: [value])
    return units | st.just([TRUNCATE]) if fmt == "wal2json" else units


# ------------------------------------------------------------------ bad lines
@dataclass(frozen=True)
class Bad:
    """A bad line and what decode() must make of it."""

    line: str | bytes
    expect: str                          # "dead", "skip" (nothing at all) or "alone" (as decoded alone)
    where: tuple[int, int] | None = None     # (byte, character) offset of the invalid text, 0-based
    says: tuple[str, ...] = ()           # words the dead letter's reason holds


# Keys each format reads, with the JSON types it accepts there ("str+": a non-empty string;
# "absent": the key may be left out). A value of another type, or leaving out a key that may
# not be, must make the message a dead letter.
STR = frozenset({"str+"})
OPT_STR = frozenset({"str", "null", "absent"})
OPT_INT = frozenset({"int", "null", "absent"})
OBJECT = frozenset({"object"})
OPT_OBJECT = frozenset({"object", "null", "absent"})
ARRAY = frozenset({"array"})
ANY = frozenset({"null", "bool", "int", "float", "str", "array", "object"})


def typed_paths(fmt: str, message: dict[str, Any]) -> list[tuple[tuple, frozenset[str]]]:
    if fmt == "debezium-json":
        p: tuple = ("payload",) if "payload" in message else ()
        return [*([(p, OBJECT)] if p else []), (p + ("op",), STR), (p + ("source",), OBJECT),
                (p + ("source", "table"), STR), (p + ("source", "db"), OPT_STR), (p + ("ts_ms",), OPT_INT),
                (p + ("before",), OPT_OBJECT), (p + ("after",), OPT_OBJECT)]
    if fmt == "canal-json":
        paths = [(("type",), STR), (("table",), STR), (("database",), OPT_STR), (("ts",), OPT_INT),
                 (("data",), ARRAY), (("data", 0), OBJECT), (("isDdl",), frozenset({"bool", "null", "absent"}))]
        if message["type"] == "UPDATE":
            paths += [(("old",), frozenset({"array", "null", "absent"})), (("old", 0), OBJECT)]
        return paths
    if fmt == "maxwell-json":
        paths = [(("type",), STR), (("table",), STR), (("database",), OPT_STR), (("ts",), OPT_INT),
                 (("data",), OBJECT)]
        return paths + [(("old",), OPT_OBJECT)] if message["type"] == "update" else paths
    if fmt == "ogg-json":
        paths = [(("op_type",), STR), (("table",), STR), (("op_ts",), OPT_STR)]
        op = message["op_type"]
        return paths + {"I": [(("after",), OBJECT)], "U": [(("after",), OBJECT), (("before",), OPT_OBJECT)],
                        "D": [(("before",), OBJECT)]}[op]
    if fmt == "changelog-json":
        return [(("kind",), STR), (("table",), STR), (("row",), OBJECT), (("database",), OPT_STR),
                (("ts_ms",), OPT_INT)]
    assert fmt == "wal2json"
    paths = [(("action",), STR), (("table",), STR), (("schema",), OPT_STR)]
    for key in ("columns", "identity"):
        if key in message:
            may_go = key == "identity" and message["action"] == "U"      # no identity: REPLICA IDENTITY DEFAULT
            paths += [((key,), ARRAY | ({"absent"} if may_go else set())), ((key, 0), OBJECT),
                      ((key, 0, "name"), frozenset({"str"})), ((key, 0, "value"), ANY)]
    return paths


_TYPES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(), "bool": st.booleans(), "int": st.integers(),
    "float": st.floats(allow_nan=False, allow_infinity=False), "str": st.text(max_size=5),
    "array": st.lists(SCALARS, max_size=2), "object": st.dictionaries(st.text(max_size=3), SCALARS, max_size=2)}


def _wrong_types(allowed: frozenset[str]) -> list[str]:
    """The JSON types ``allowed`` does not accept ("str+" accepts strings but the empty one)."""
    wrong = [kind for kind in _TYPES if kind not in allowed and not (kind == "str" and "str+" in allowed)]
    return wrong + ["empty str"] if "str+" in allowed else wrong


def wrong_values(allowed: frozenset[str]) -> st.SearchStrategy[Any]:
    """JSON values of a type ``allowed`` does not accept (a missing key is drawn elsewhere)."""
    return st.one_of([st.just("") if kind == "empty str" else _TYPES[kind] for kind in _wrong_types(allowed)])


def _at(message: Any, path: tuple) -> tuple[Any, Any]:
    parent = message
    for key in path[:-1]:
        parent = parent[key]
    return parent, path[-1]


def _value_slots(fmt: str, message: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(container, key) of every row value in a message, and one new top-level key."""
    images: list[Any] = []
    if fmt == "debezium-json":
        payload = message.get("payload", message)
        images = [payload["before"], payload["after"]]
    elif fmt in ("canal-json", "maxwell-json"):
        images = [*(message.get("data") or []), *(message.get("old") or [])] if fmt == "canal-json" else \
            [message.get("data"), message.get("old")]
    elif fmt == "ogg-json":
        images = [message.get("before"), message.get("after")]
    elif fmt == "changelog-json":
        images = [message["row"]]
    slots = [(image, name) for image in images if isinstance(image, dict) for name in image]
    if fmt == "wal2json":
        slots = [(column, "value") for key in ("columns", "identity") for column in message.get(key, [])]
    return slots + [(message, "x_fuzz")]


def _row_messages(fmt: str) -> st.SearchStrategy[dict[str, Any]]:
    """One good line with a row change (for changelog never a -U: alone it is a dead letter anyway,
    and it must not pair with the good +U after it)."""
    lines = row_changes(many_rows=fmt == "canal-json").map(RENDER[fmt])
    return lines.map(lambda messages: messages[-1])


def _around(fmt: str, draw: st.DrawFn) -> tuple[str, str]:
    """A good line cut where one of its row values (or a new top-level value) goes: the JSON
    text before that value and after it."""
    message = draw(_row_messages(fmt))
    parent, key = draw(st.sampled_from(_value_slots(fmt, message)))
    parent[key] = SENTINEL
    before, _, after = json.dumps(message, ensure_ascii=draw(st.booleans())).partition(json.dumps(SENTINEL))
    return before, after


@st.composite
def bad_lines(draw: st.DrawFn, fmt: str) -> Bad:
    how = draw(st.sampled_from(["not utf-8 in a value", "not utf-8 anywhere", "bom", "truncated", "wrong type",
                                "missing key", "nan", "huge float", "deep", "huge int", "not an object",
                                "empty object", "other format", "unpaired surrogate", "whitespace",
                                "random bytes"]))
    if how == "not utf-8 in a value":
        before, after = _around(fmt, draw)
        before += '"' + draw(st.text(max_size=3))
        bad = draw(st.sampled_from(NOT_UTF8))
        return Bad(before.encode() + bad + ('"' + after).encode(), "dead", (len(before.encode()), len(before)),
                   ("UTF-8",))
    if how == "not utf-8 anywhere":
        text = json.dumps(draw(_row_messages(fmt)), ensure_ascii=draw(st.booleans()))
        cut = draw(st.integers(0, len(text)))
        bad = draw(st.sampled_from(NOT_UTF8))
        return Bad(text[:cut].encode() + bad + text[cut:].encode(), "dead", (len(text[:cut].encode()), cut),
                   ("UTF-8",))
    if how == "bom":
        return Bad(BOM + json.dumps(draw(_row_messages(fmt))), "dead", None, ("byte order mark",))
    if how == "truncated":
        text = json.dumps(draw(_row_messages(fmt)), ensure_ascii=draw(st.booleans())).encode()
        return Bad(text[:draw(st.integers(1, len(text) - 1))], "dead")
    if how in ("wrong type", "missing key"):
        message = draw(_row_messages(fmt))
        if how == "missing key":
            paths = [(path, allowed) for path, allowed in typed_paths(fmt, message)
                     if "absent" not in allowed and isinstance(path[-1], str)]
        else:
            paths = [(path, allowed) for path, allowed in typed_paths(fmt, message) if allowed != ANY]
        path, allowed = draw(st.sampled_from(paths))
        parent, key = _at(message, path)
        if how == "missing key":
            del parent[key]
        else:
            parent[key] = draw(wrong_values(allowed))
        return Bad(json.dumps(message), "dead")
    if how == "nan":
        token = draw(st.sampled_from(["NaN", "Infinity", "-Infinity"]))
        before, after = _around(fmt, draw)
        return Bad(before + token + after, "dead", None, (token, "RFC 8259"))
    if how == "huge float":
        number = draw(st.sampled_from(["1e400", "-1e400", "1" + "0" * 400 + ".5", "1.5E+99999"]))
        before, after = _around(fmt, draw)
        # wal2json reads numbers as Decimal: exact, never Infinity
        return Bad(before + number + after, "alone" if fmt == "wal2json" else "dead", None,
                   () if fmt == "wal2json" else ("Infinity",))
    if how == "deep":
        # beyond any recursion limit: Hypothesis raises the limit while it runs a test (by 2,000),
        # so a value nested 1,000 deep can parse here and not in `pruner replay`
        depth = draw(st.sampled_from([5000, 100_000]))
        nested = "[" * depth + "]" * depth
        if draw(st.booleans()):
            return Bad(nested, "dead")
        before, after = _around(fmt, draw)
        return Bad(before + nested + after, "dead")
    if how == "huge int":
        before, after = _around(fmt, draw)
        return Bad(before + str(draw(st.integers(1, 9))) + "0" * 5000 + after, "dead")
    if how == "not an object":
        value = draw(st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                     | st.text(max_size=5) | st.lists(VALUES, max_size=3))
        return Bad(json.dumps(value), "dead", None, ("JSON object",))
    if how == "empty object":
        return Bad(draw(st.sampled_from(["{}", "{ }", " {}\t"])), "dead")
    if how == "other format":
        other = draw(st.sampled_from([f for f in FORMATS if f != fmt]))
        controls = [m for m in NO_ROWS[other] if m is not None]
        message = draw(_row_messages(other) | st.sampled_from(controls) if controls else _row_messages(other))
        return Bad(json.dumps(message), "dead")
    if how == "unpaired surrogate":
        escape = draw(st.sampled_from(["\\ud800", "\\uDFFF", "\\udc80x", "x\\ud83d"]))
        before, after = _around(fmt, draw)
        return Bad(f'{before}"{escape}"{after}', "dead", None, ("surrogate",))
    if how == "whitespace":
        return Bad(draw(st.text(" \t\r", max_size=4)), "skip")
    return Bad(draw(st.binary(max_size=30)).replace(b"\n", b" "), "alone")


# ------------------------------------------------------------------ the property
@dataclass(frozen=True)
class Placed:
    """One line of the mixed stream: a good line (its index among the good lines) or a bad one."""

    good: int | None
    bad: Bad | None


def _as(text: str | bytes, as_bytes: bool) -> str | bytes:
    if as_bytes:
        return text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
    return text if isinstance(text, str) else text.decode("utf-8", "surrogateescape")


def _escaped(line: str | bytes) -> str:
    """A line's text as a dead letter must keep it: without its line ending, nothing replaced."""
    if isinstance(line, bytes):
        return line.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
    return line.rstrip("\r\n").encode("utf-8", "backslashreplace").decode("utf-8")


def _same_change(a: Change, b: Change) -> bool:
    return ((a.kind, a.table, a.database, a.ts_ms, a.partial, a.changed)
            == (b.kind, b.table, b.database, b.ts_ms, b.partial, b.changed)
            and same_value(a.before, b.before) and same_value(a.after, b.after))


def _writable(item: Change | DeadLetter) -> None:
    """Strict UTF-8 JSON can hold it: no NaN or Infinity, no unpaired surrogate."""
    value = [item.before, item.after] if isinstance(item, Change) else [item.line, item.reason, item.raw]
    json.dumps(value, allow_nan=False, default=str, ensure_ascii=False).encode("utf-8")


def _decode_all(lines: Iterable[str | bytes], fmt: str) -> tuple[list[Change | DeadLetter], DecodeStats]:
    stats = DecodeStats()
    return list(decode(lines, fmt, stats)), stats


def check_mixed(fmt: str, units: list[list[Any]], bads: list[Bad], order: list[int], as_bytes: bool,
                bom: bool, endings: list[str]) -> None:
    """Mix ``bads`` between the messages of ``units`` in ``order`` and check the property."""
    good_lines = [json.dumps(message, ensure_ascii=False) for unit in units for message in unit]
    placed: list[Placed] = []
    first_good = 0
    for index in order:
        if index < len(units):
            starts = sum(len(unit) for unit in units[:index])
            placed += [Placed(starts + j, None) for j in range(len(units[index]))]
        else:
            placed.append(Placed(None, bads[index - len(units)]))
    texts: list[str | bytes] = [good_lines[p.good] if p.good is not None else p.bad.line for p in placed]
    texts = [_as(text, as_bytes) for text in texts]
    if bom and texts:
        texts[0] = (b"\xef\xbb\xbf" if as_bytes else BOM) + texts[0]
    lines = [text + _as(endings[i % len(endings)], as_bytes) for i, text in enumerate(texts)]

    out, stats = _decode_all(lines, fmt)                # nothing escapes
    assert [o.line for o in out] == sorted(o.line for o in out), "out of line order"
    on_line: dict[int, list[Change | DeadLetter]] = {}
    for item in out:
        _writable(item)
        on_line.setdefault(item.line, []).append(item)

    messages = 0
    for number, (p, line) in enumerate(zip(placed, lines), 1):
        got = on_line.get(number, [])
        if p.bad is None:
            assert not any(isinstance(o, DeadLetter) for o in got), f"good line {number}: {got}"
            messages += 1
            continue
        bad = p.bad
        expect = bad.expect
        if number == 1 and not bom and bad.says == ("byte order mark",):
            expect = "alone"                # the first line's BOM is ignored: it is a good line there
        if expect == "skip":
            assert got == [], f"whitespace line {number}: {got}"
        elif expect == "alone":
            blank = b"" if as_bytes else ""
            alone, alone_stats = _decode_all([blank] * (number - 1) + [line], fmt)
            assert len(got) == len(alone), f"line {number}: {got} != {alone} decoded alone"
            for a, b in zip(got, alone):
                assert a == b if isinstance(a, DeadLetter) else (isinstance(b, Change) and _same_change(a, b))
            messages += alone_stats.messages
        else:
            assert len(got) == 1 and isinstance(got[0], DeadLetter), f"bad line {number} ({bad}): {got}"
            letter = got[0]
            assert letter.raw == _escaped(line), f"line {number}: raw {letter.raw!r}"
            for word in bad.says:
                assert word in letter.reason, f"line {number}: {word!r} not in {letter.reason!r}"
            if bad.where is not None:
                shift = (3 if as_bytes else 1) if bom and number == 1 else 0
                at = (f"at byte {bad.where[0] + shift + 1} of the line" if as_bytes
                      else f"at character {bad.where[1] + shift + 1} of the line")
                assert at in letter.reason, f"line {number}: {at!r} not in {letter.reason!r}"
            messages += 1
    assert stats.messages == messages
    assert stats.dead_letter == sum(isinstance(o, DeadLetter) for o in out)
    assert stats.changes == sum(isinstance(o, Change) for o in out)

    # The good lines alone, in the same order and encoding: the same Changes, moved.
    where = [number for number, p in enumerate(placed, 1) if p.good is not None]
    alone, _ = _decode_all([_as(good_lines[p.good], as_bytes) + _as("\n", as_bytes)
                            for p in placed if p.good is not None], fmt)
    assert not any(isinstance(o, DeadLetter) for o in alone), f"a good line is a dead letter: {alone}"
    mixed = [o for o in out if isinstance(o, Change) and placed[o.line - 1].good is not None]
    assert len(mixed) == len(alone)
    for m, a in zip(mixed, alone):
        assert isinstance(a, Change) and _same_change(m, a), f"{m} != {a}"
        assert m.line == where[a.line - 1], f"line {m.line}, alone line {a.line}: expected {where[a.line - 1]}"


@st.composite
def mixed_streams(draw: st.DrawFn, fmt: str) -> tuple:
    units = draw(st.lists(good_units(fmt), max_size=5))
    bads = draw(st.lists(bad_lines(fmt), max_size=5))
    order = draw(st.permutations(range(len(units) + len(bads))))
    endings = draw(st.lists(st.sampled_from(["\n", "\r\n", ""]), min_size=1, max_size=3))
    return units, bads, order, draw(st.booleans()), draw(st.booleans()), endings


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ
@given(data=st.data())
def test_bad_lines_are_dead_letters_and_good_lines_decode_as_alone(fmt: str, data: st.DataObject) -> None:
    check_mixed(fmt, *data.draw(mixed_streams(fmt)))


# ------------------------------------------------------------------ every key, every wrong type
ONE_OF_EACH: dict[str, Any] = {"null": None, "bool": True, "int": 7, "float": 1.5, "str": "x", "array": [1],
                               "object": {"a": 1}, "empty str": ""}
SAMPLE_CHANGES = [RowChange(kind, "t", database, 1_589_361_987_936, rows, flavour)
                  for kind, rows in [("insert", ((None, {"id": 1, "a": "x"}),)),
                                     ("snapshot", ((None, {"id": 1}),)),
                                     ("update", (({"id": 1, "a": "x"}, {"id": 1, "a": "y"}),)),
                                     ("delete", (({"id": 1, "a": "y"}, None),))]
                  for database in ("db", None) for flavour in (False, True)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_type_or_a_missing_key_anywhere_the_format_reads_is_a_dead_letter(fmt: str) -> None:
    """The fuzzer draws these at random; here each one is tried once, so none is left to luck."""
    tried = 0
    for change in SAMPLE_CHANGES:
        for message in RENDER[fmt](change)[-1:]:            # a changelog -U alone is dead anyway
            for path, allowed in typed_paths(fmt, message):
                variants = [ONE_OF_EACH[kind] for kind in _wrong_types(allowed)] if allowed != ANY else []
                for value in [*variants, *([] if "absent" in allowed or isinstance(path[-1], int) else ["absent"])]:
                    bad = json.loads(json.dumps(message))
                    parent, key = _at(bad, path)
                    if value == "absent":
                        del parent[key]
                    else:
                        parent[key] = value
                    out, _ = _decode_all([json.dumps(bad)], fmt)
                    assert [type(o) for o in out] == [DeadLetter], f"{path} = {value!r}: {out}"
                    tried += 1
    assert tried > 100


# ------------------------------------------------------------------ what the fuzzer found
@pytest.mark.parametrize("fmt, bad", [
    # canal: "isDdl": 0 was read as "not DDL" (only `true` was looked at): now a boolean or null
    ("canal-json", '{"data": [{"0": null}], "old": null, "type": "INSERT", "database": null, "table": "0", '
                   '"isDdl": 0, "ts": 0, "es": 0, "pkNames": null}'),
    # wal2json: a "schema" that is not a string was dropped (database None) instead of refused
    ("wal2json", '{"action": "I", "xid": 1, "table": "0", "columns": [{"name": "0", "type": "text", '
                 '"value": null}], "schema": false}'),
])
def test_found_by_the_fuzzer(fmt: str, bad: str) -> None:
    check_mixed(fmt, [], [Bad(bad, "dead")], [0], False, False, ["\n"])


# ------------------------------------------------------------------ changelog: a bad line inside a pair
PAIR = render_changelog(RowChange("update", "t", None, 1, (({"id": 1, "a": "x"}, {"id": 1, "a": "y"}),), False))


@pytest.mark.parametrize("between", ["{broken", b"\xff{}", "NaN", "{}", BOM + json.dumps(PAIR[1]), '"+U"'])
def test_a_dead_letter_between_minus_u_and_plus_u_parts_them(between: str | bytes) -> None:
    """The bad line may have been the ``+U`` itself: the ``-U`` is never paired across it. It is
    a dead letter naming the line that parted it; the ``+U`` after is a lone ``+U`` (an update
    with every field changed), so the row still ends right and nothing is guessed."""
    minus, plus = (json.dumps(m).encode() for m in PAIR)
    out, stats = _decode_all([minus, _as(between, True), plus], "changelog-json")
    assert [type(o) for o in out] == [DeadLetter, DeadLetter, Change]
    assert [o.line for o in out] == [1, 2, 3]
    assert "the next message, line 2, is a dead letter" in out[0].reason and out[0].raw == minus.decode()
    update = out[2]
    assert (update.kind, update.before, update.after, update.changed) == ("update", None, PAIR[1]["row"], None)
    assert stats.dead_letter == 2 and stats.no_before_image == 1


@pytest.mark.parametrize("between", ["", "  \t", b"\r", " \r"])
def test_a_blank_line_between_minus_u_and_plus_u_keeps_the_pair(between: str | bytes) -> None:
    minus, plus = (json.dumps(m).encode() for m in PAIR)
    out, stats = _decode_all([minus, _as(between, True), plus], "changelog-json")
    [update] = out
    assert (update.line, update.before, update.after, update.changed) == (1, PAIR[0]["row"], PAIR[1]["row"], {"a"})
    assert stats.skipped_empty == 1 and stats.messages == 2
