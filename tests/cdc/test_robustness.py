"""Malformed input never raises out of ``decode()`` and no line is silently lost.

Every line ends as exactly one of: a blank or skipped line (counted), one or more Changes
carrying its line number, one DeadLetter carrying it, or (changelog) the ``+U`` half of a
pair whose Change carries the ``-U``'s line. Inputs: random text, random JSON values built
from the formats' own keys and tokens, and fixture lines mutated at random.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pruner.cdc import DELETE, FORMATS, INSERT, KINDS, SNAPSHOT, UPDATE, Change, DeadLetter, DecodeStats, decode
from pruner.cdc.model import TRUNCATE

# Flink's messages live in the shared fixtures beside the checkout (never copied, never edited);
# our own changelog-json fixture lives here.
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "cdc"
OWN = Path(__file__).resolve().parent / "fixtures"
if not SHARED.is_dir():
    # A user's clone has no ../shared: this conformance check runs where it is (CI always has it).
    if os.environ.get("CI") == "true":
        raise AssertionError(f"the shared CDC fixtures are missing: expected them at {SHARED}")
    pytest.skip(f"no shared CDC fixtures beside this checkout ({SHARED}): conformance check skipped",
                allow_module_level=True)


def _fixture(path: str | Path) -> Path:
    return OWN / path if str(path).startswith(("changelog", "wal2json")) else SHARED / path
FIXTURE_LINES: dict[str, list[str]] = {
    "debezium-json": [],
    "canal-json": [],
    "maxwell-json": [],
    "ogg-json": [],
    "changelog-json": [],
    "wal2json": [],
}
for _path in sorted([*SHARED.glob("*/*.txt"), *OWN.glob("*/*.txt")]):
    if not _path.name.endswith(".expected-rows.txt"):
        _fmt = _path.parent.name if _path.parent.name == "wal2json" else f"{_path.parent.name}-json"
        FIXTURE_LINES[_fmt] += _path.read_text(encoding="utf-8").splitlines()
ALL_LINES = [line for lines in FIXTURE_LINES.values() for line in lines]

KEYS = ["schema", "payload", "before", "after", "source", "op", "ts_ms", "db", "table", "snapshot",
        "data", "old", "type", "database", "isDdl", "ts", "op_type", "op_ts", "kind", "row", "id",
        "name", "weight", "action", "columns", "identity", "value", "lsn"]
TOKENS = ["c", "r", "u", "d", "t", "INSERT", "UPDATE", "DELETE", "INIT", "CREATE", "insert", "update",
          "delete", "bootstrap-insert", "bootstrap-start", "table-create", "I", "U", "D", "T", "+I",
          "-U", "+U", "-D", "OGG.T", "2020-05-13 15:40:06.000000", "products", "B", "C", "M"]
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
           | st.sampled_from(TOKENS))
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), children, max_size=6),
    max_leaves=30)

ROBUST = settings(max_examples=120, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, path + (index,))
    return found


@st.composite
def mutated_lines(draw: st.DrawFn, fmt: str) -> str:
    text = draw(st.sampled_from(FIXTURE_LINES[fmt]))
    how = draw(st.sampled_from(["cut", "splice", "replace", "delete"]))
    if how == "cut":
        return text[:draw(st.integers(0, len(text)))]
    if how == "splice":
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 8)))
        return text[:start] + draw(st.text(max_size=6)) + text[end:]
    obj = json.loads(text)
    path = draw(st.sampled_from(_paths(obj)))
    if not path:
        return json.dumps(draw(JSON_VALUES))
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    if how == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON_VALUES)
    return json.dumps(obj)


def check_accounting(lines: list[str], fmt: str) -> None:
    stats = DecodeStats()
    out = list(decode(lines, fmt, stats))        # must not raise
    # blank: nothing but JSON whitespace, after the byte order mark the first line may start with
    blank = [not (text[1:] if i == 0 and text.startswith("\ufeff") else text).rstrip("\r\n").strip(" \t\r\n")
             for i, text in enumerate(lines)]
    changes = [o for o in out if isinstance(o, Change)]
    dead = [o for o in out if isinstance(o, DeadLetter)]
    assert len(changes) + len(dead) == len(out)
    assert stats.messages == blank.count(False)
    assert stats.changes == len(changes) and stats.dead_letter == len(dead)
    assert sum(stats.by_table.values()) == len(changes)
    assert stats.no_before_image == sum(c.kind == UPDATE and c.changed is None for c in changes)

    dead_lines = [d.line for d in dead]
    change_lines = {c.line for c in changes}
    assert len(set(dead_lines)) == len(dead_lines) and not change_lines & set(dead_lines)
    pairs = sum(fmt == "changelog-json" and c.kind == UPDATE and c.before is not None for c in changes)
    assert (len(change_lines) + len(dead_lines) + pairs + stats.skipped_ddl + stats.skipped_empty
            == len(lines)), "a line was lost or counted twice"
    for d in dead:
        assert not blank[d.line - 1] and d.raw == lines[d.line - 1].rstrip("\r\n") and d.reason
    for c in changes:
        assert not blank[c.line - 1]
        check_change(c)


def check_change(c: Change) -> None:
    assert c.kind in KINDS and isinstance(c.table, str) and c.table
    if c.kind in (INSERT, SNAPSHOT):
        assert c.before is None and isinstance(c.after, dict) and c.changed is None
    elif c.kind == DELETE:
        assert isinstance(c.before, dict) and c.after is None and c.changed is None
    elif c.kind == TRUNCATE:
        assert c.before is None and c.after is None and c.changed is None
    else:
        assert isinstance(c.after, dict) and (c.before is None or isinstance(c.before, dict))
        if c.before is None:
            assert c.changed is None
        if c.changed is not None:
            assert isinstance(c.changed, frozenset) and c.changed <= set(c.before or {}) | set(c.after)


@pytest.mark.parametrize("fmt", FORMATS)
@ROBUST
@given(lines=st.lists(st.text(max_size=40), max_size=8))
def test_random_text(fmt: str, lines: list[str]) -> None:
    check_accounting(lines, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@ROBUST
@given(values=st.lists(JSON_VALUES, max_size=8))
def test_random_json_values(fmt: str, values: list[Any]) -> None:
    check_accounting([json.dumps(v) for v in values], fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@ROBUST
@given(data=st.data())
def test_mutated_fixture_lines(fmt: str, data: st.DataObject) -> None:
    lines = data.draw(st.lists(mutated_lines(fmt) | st.sampled_from(FIXTURE_LINES[fmt]), max_size=8))
    check_accounting(lines, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@ROBUST
@given(data=st.data())
def test_one_message_at_a_time_equals_decode(fmt: str, data: st.DataObject) -> None:
    """MessageDecoder (the Flink decode stage: one message per call, the changelog -U waiting
    passed back by the caller, text or bytes) gives what decode() gives on the whole input,
    line numbers, dead letters and stats included."""
    from pruner.cdc.decode import MessageDecoder
    lines = data.draw(st.lists(mutated_lines(fmt) | st.sampled_from(FIXTURE_LINES[fmt]) | st.just("")
                               | st.just('{"kind": "-U", "table": "t", "row": {"id": 1}}'), max_size=10))
    as_bytes = data.draw(st.booleans())
    items = [line.encode("utf-8", "surrogateescape") for line in lines] if as_bytes else lines
    whole, one = DecodeStats(), DecodeStats()
    expected = list(decode(items, fmt, whole))
    decoder, pending, got = MessageDecoder(fmt), None, []
    for number, item in enumerate(items, 1):
        found, pending = decoder.feed(number, item, pending, one)
        got += found
    got += decoder.end(pending, one)
    assert got == expected and one == whole


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_fixture_line_in_every_format(fmt: str) -> None:
    check_accounting(ALL_LINES, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("depth", [100, 500, 900, 990, 5000, 200_000])
def test_deep_nesting(fmt: str, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    lines = [nested, f'{{"op": "u", "before": {{"a": {nested}}}, "after": {{"a": {nested}}}, '
                     f'"source": {{"table": "t"}}}}']
    check_accounting(lines, fmt)
