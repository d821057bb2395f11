"""The decoding fast paths against the naive reference they replace.

- JSON: msgspec first, the stdlib parser for what msgspec refuses (``decode._fast``). Every
  text must give what the stdlib parser alone gives: the same value (exact types, ``same_value``)
  or the same refusal (a dead letter with the same reason).
- ``changed_fields``: its plain-type shortcut must equal the per-field ``same_value`` diff.
- ``Change(changed=DIFF)``: the lazy diff equals the eager one, and survives ``replace``.
"""
from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pruner.cdc import decode
from pruner.cdc.decode import _EXACT, _PARSE_FLOATS, _STRICT_EXACT, _STRICT_FLOATS, _refuse_unpaired_surrogates
from pruner.cdc.message import BadMessage, changed_fields, same_value
from pruner.cdc.model import DIFF, UPDATE, Change, DeadLetter, DecodeStats

_MISSING = object()

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-2, max_value=2),
    st.floats(allow_nan=True, allow_infinity=False), st.sampled_from([0.0, -0.0, 1.0, 1, True, False, 0]),
    st.text(max_size=6), st.sampled_from(["", "a", "é", "\U0001f600"]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.sampled_from([Decimal("12.5"), Decimal("12.50"), Decimal("-0"), Decimal("0")]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("abc"), inner, max_size=3)), max_leaves=6)
names = st.sampled_from(["id", "a", "b", "c", "d", "price", "tags", "e", "f", "g", "h", "i"])
rows = st.one_of(st.dictionaries(names, values, max_size=7),
                 st.dictionaries(names, values, min_size=9, max_size=12))    # wide: diffed in C


_WIDE = {f"w{i}": i for i in range(8)}        # with two more fields: a row diffed in C


def _naive(before: dict, after: dict) -> frozenset[str]:
    return frozenset({n for n, v in after.items() if not same_value(before.get(n, _MISSING), v)}
                     | {n for n in before if n not in after})


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(rows, rows, st.data())
@example({"a": 1}, {"a": 1.0}, None)
@example({"a": 0.0}, {"a": -0.0}, None)
@example({"a": float("nan")}, {"a": float("nan")}, None)
@example({"a": Decimal("12.5")}, {"a": Decimal("12.50")}, None)
@example({"a": True}, {"a": 1}, None)
@example({"a": 1, "b": 2}, {"b": 2, "c": 3}, None)
@example({**_WIDE, "a": [1], "b": 0.0}, {**_WIDE, "a": [1.0], "b": 0.0}, None)   # same types and order
@example({**_WIDE, "a": float("nan"), "b": 2.5}, {**_WIDE, "a": 1.0, "b": 2.5}, None)
@example({**_WIDE, "a": -0.0, "b": "x"}, {**_WIDE, "a": -0.0, "b": "y"}, None)
@example({**_WIDE, "a": float("nan"), "b": -0.0}, {**_WIDE, "a": float("nan"), "b": 0.0}, None)
def test_changed_fields_is_the_same_value_diff(before: dict, after: dict, data) -> None:
    if data is not None:          # also rows that share keys (and often values) with `before`
        after = {**before, **data.draw(st.dictionaries(st.sampled_from(sorted(before) or ["id"]), values,
                                                       max_size=2))} if before else after
    assert changed_fields(before, after) == _naive(before, after)
    same = dict(before)                                  # the same objects: nothing changed
    assert changed_fields(before, same) == frozenset()
    change = Change(UPDATE, "t", before, after, DIFF, 1)
    assert change.changed == _naive(before, after) and change.diffed
    moved = change.replace(after=before)                 # DIFF stays DIFF: a diff of the new images
    assert moved.changed == frozenset() and moved.diffed


def _same_parse(text: str, fast, strict) -> None:
    """`fast` (msgspec, the stdlib on what it refuses, unpaired surrogates searched for only then)
    against the naive reference: the stdlib parser, then every string searched."""
    try:
        expected = strict(text)
        _refuse_unpaired_surrogates(expected)
    except (BadMessage, ValueError, RecursionError) as error:
        with pytest.raises(type(error)) as caught:
            fast(text)
        assert str(caught.value) == str(error)
        return
    got = fast(text)
    assert same_value(got, expected), (text, got, expected)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2 ** 62, max_value=2 ** 80),
              st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=8)
# Texts msgspec and the stdlib may disagree on: non-standard tokens, huge numbers, escapes
# (lone and paired surrogates), duplicate keys, odd whitespace, truncation.
oddities = st.sampled_from([
    '{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', '{"a": 1e400}', '{"a": -1e400}', '{"a": 1e-400}',
    '{"a": "\\ud800"}', '{"a": "\\udc00x"}', '{"a": "\\ud83d\\ude00"}', '{"\\ud800": 1}', '{"a": 1, "a": 2}',
    '{"a": 01}', '{"a": 1.}', '{"a": .5}', '{"a": +1}', '{"a": 1E5}', '{"a": -0}', '{"a": -0.0}',
    '{"a": 1.0000000000000000001}', '{"a": ' + "9" * 4300 + '}', '{"a": ' + "9" * 4301 + '}',
    '{"a":\u00a01}', '{"a": "\x01"}', '{"a": 1} x', '{"a": tru}', '[' * 3000 + ']' * 3000, '',
    '{"a": 123456789012345678901234567890.5}', '"\\u00e9"', '{"a": [1, 2,]}', '{"a": "\\x"}'])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_values.map(json.dumps), oddities,
                 st.tuples(json_values.map(json.dumps), st.integers(0, 40)).map(lambda t: t[0][:t[1]])))
def test_the_fast_parser_gives_what_the_stdlib_parser_gives(text: str) -> None:
    _same_parse(text, _PARSE_FLOATS, _STRICT_FLOATS)
    _same_parse(text, _EXACT, _STRICT_EXACT)


def test_exact_parsing_keeps_decimals_and_big_integers() -> None:
    parsed = _EXACT('{"n": 12.50, "big": 123456789012345678901234567890, "f": 1e400}')
    assert parsed == {"n": Decimal("12.50"), "big": 123456789012345678901234567890, "f": Decimal("1E+400")}
    assert str(parsed["n"]) == "12.50"
    floats = _PARSE_FLOATS('{"x": 0.1, "big": 123456789012345678901234567890}')
    assert floats["x"] == 0.1 and floats["big"] == 123456789012345678901234567890
    assert not math.isnan(floats["x"])


@pytest.mark.parametrize("line, reason", [
    ('{"op": "c", "after": {"id": NaN}, "source": {"table": "t"}}', "NaN is not a JSON value"),
    ('{"op": "c", "after": {"id": 1e400}, "source": {"table": "t"}}', "beyond the range of a double"),
    ('{"op": "c", "after": {"id": "\\ud800"}, "source": {"table": "t"}}', "unpaired surrogate"),
    ('{"op": "c", "after": {"id": 01}, "source": {"table": "t"}}', "invalid JSON"),
])
def test_a_refused_line_is_a_dead_letter_with_the_stdlib_reason(line: str, reason: str) -> None:
    good = '{"op": "c", "after": {"id": 2}, "source": {"table": "t"}}'
    out = list(decode([good, line, good], "debezium-json", DecodeStats()))
    letters = [o for o in out if isinstance(o, DeadLetter)]
    assert [d.line for d in letters] == [2] and reason in letters[0].reason
    assert [o.after for o in out if isinstance(o, Change)] == [{"id": 2}, {"id": 2}]


def test_decoding_an_update_leaves_its_diff_for_later() -> None:
    """Debezium updates are built with DIFF: the engine diffs against its own row and never asks,
    so decoding does not compute a diff (the stats' count of updates without a before image
    does not ask either)."""
    line = json.dumps({"op": "u", "before": {"id": 1, "a": 1}, "after": {"id": 1, "a": 2}, "source": {"table": "t"}})
    stats = DecodeStats()
    (change,) = decode([line], "debezium-json", stats)
    assert change.diffed and not hasattr(change, "_diff") and stats.no_before_image == 0
    assert change.changed == frozenset({"a"})
