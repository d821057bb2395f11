"""Input text is never altered: strict UTF-8, the byte order mark, JSON without NaN or Infinity.

What ``decode()`` cannot read exactly is one dead letter on its line, with its text kept
(bytes that are not UTF-8 escaped); nothing is replaced, dropped or read as something else.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from pruner.cdc import FORMATS, Change, DeadLetter, DecodeStats, decode

INSERT = {"kind": "+I", "table": "t", "row": {"id": 1, "name": "Zoë"}}
GOOD = json.dumps(INSERT, ensure_ascii=False)
# One insert of {"id": 1, "v": <VALUE>} per format, VALUE left as a placeholder.
TEMPLATES = {
    "debezium-json": '{"op": "c", "before": null, "after": {"id": 1, "v": VALUE}, "source": {"table": "t"}}',
    "canal-json": '{"type": "INSERT", "table": "t", "data": [{"id": 1, "v": VALUE}]}',
    "maxwell-json": '{"type": "insert", "table": "t", "data": {"id": 1, "v": VALUE}}',
    "ogg-json": '{"op_type": "I", "table": "S.T", "after": {"id": 1, "v": VALUE}}',
    "changelog-json": '{"kind": "+I", "table": "t", "row": {"id": 1, "v": VALUE}}',
    "wal2json": '{"action": "I", "table": "t", "columns": [{"name": "id", "type": "integer", "value": 1}, '
                '{"name": "v", "type": "double precision", "value": VALUE}]}',
}


def run(lines: list, fmt: str = "changelog-json") -> tuple[list[Change | DeadLetter], DecodeStats]:
    stats = DecodeStats()
    return list(decode(lines, fmt, stats)), stats


def value(fmt: str, text: str) -> str:
    return TEMPLATES[fmt].replace("VALUE", text)


# ---------------------------------------------------------------- strict UTF-8
def test_bytes_lines_decode_as_str_lines() -> None:
    as_str, _ = run([GOOD, GOOD + "\r\n"])
    as_bytes, _ = run([GOOD.encode(), (GOOD + "\r\n").encode()])
    assert as_bytes == as_str and as_bytes[0].after == {"id": 1, "name": "Zoë"}


def test_an_open_binary_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(GOOD.encode() + b"\n" + GOOD.encode().replace("ë".encode(), b"\xeb") + b"\n\n")
    with path.open("rb") as lines:
        out, stats = run(lines)
    assert [type(o) for o in out] == [Change, DeadLetter] and stats.skipped_empty == 1


@pytest.mark.parametrize("bad, at, why", [
    (b"\xff", 58, "invalid start byte: ff"),
    (b"\xe2\x82", 58, "invalid continuation byte: e2 82"),
    (b"\xed\xa0\x80", 58, "invalid continuation byte: ed"),     # an encoded surrogate is not UTF-8
])
def test_invalid_utf8_is_one_dead_letter_with_the_bytes_escaped(bad: bytes, at: int, why: str) -> None:
    line = GOOD.encode().replace("ë".encode(), bad)
    out, stats = run([GOOD.encode(), line + b"\n", GOOD.encode()])
    assert [type(o) for o in out] == [Change, DeadLetter, Change]
    letter = out[1]
    assert letter.line == 2 and letter.reason == f"invalid UTF-8 at byte {at} of the line ({why})"
    assert letter.raw == line.decode("utf-8", "backslashreplace") and "\ufffd" not in letter.raw
    assert "\\x" in letter.raw and stats.dead_letter == 1 and stats.messages == 3


def test_a_lone_surrogate_in_a_str_line_is_a_dead_letter_not_data() -> None:
    line = GOOD.encode().replace("ë".encode(), b"\xeb").decode("utf-8", "surrogateescape")
    [letter] = run([line])[0]
    assert isinstance(letter, DeadLetter)
    assert letter.reason.startswith("not Unicode text: lone surrogate U+DCEB at character 58 of the line")
    assert letter.raw == GOOD.replace("ë", "\\udceb")
    letter.raw.encode("utf-8")          # writable


# ---------------------------------------------------------------- byte order mark
@pytest.mark.parametrize("bom", ["\ufeff", b"\xef\xbb\xbf"])
def test_a_bom_on_the_first_line_is_ignored(bom: str | bytes) -> None:
    first = bom + (GOOD.encode() if isinstance(bom, bytes) else GOOD)
    out, stats = run([first, GOOD])
    assert [type(o) for o in out] == [Change, Change] and out[0].after == out[1].after
    only_bom, stats = run([bom, GOOD])
    assert [o.line for o in only_bom] == [2] and stats.skipped_empty == 1


def test_a_bom_on_a_later_line_is_a_dead_letter() -> None:
    out, _ = run([GOOD, "\ufeff" + GOOD, b"\xef\xbb\xbf" + GOOD.encode()])
    assert [type(o) for o in out] == [Change, DeadLetter, DeadLetter]
    assert all("byte order mark" in o.reason for o in out[1:])
    assert out[1].raw == out[2].raw == "\ufeff" + GOOD          # kept: nothing lost


def test_a_dead_letter_on_the_first_line_keeps_its_bom() -> None:
    [letter] = run([b"\xef\xbb\xbf{broken"])[0]
    assert isinstance(letter, DeadLetter) and letter.raw == "\ufeff{broken"
    assert letter.reason.startswith("invalid JSON")


# ---------------------------------------------------------------- NaN, Infinity and overflow
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_dead_letters_in_every_format(fmt: str, token: str) -> None:
    good, _ = run([value(fmt, "1.5")], fmt)
    assert [type(o) for o in good] == [Change]
    out, stats = run([value(fmt, "1.5"), value(fmt, token)], fmt)
    assert [type(o) for o in out] == [Change, DeadLetter] and out[1].line == 2
    assert out[1].reason == f"{token} is not a JSON value: RFC 8259 JSON has no NaN, Infinity or -Infinity"
    assert stats.dead_letter == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_string_nan_is_data(fmt: str) -> None:
    [change] = run([value(fmt, '"NaN"')], fmt)[0]
    assert isinstance(change, Change) and change.after["v"] == "NaN"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" + "0" * 400 + ".5"])
def test_a_number_beyond_a_double_is_a_dead_letter_but_exact_in_wal2json(fmt: str, number: str) -> None:
    [result] = run([value(fmt, number)], fmt)[0]
    if fmt == "wal2json":
        assert isinstance(result, Change) and result.after["v"] == Decimal(number)
    else:
        assert isinstance(result, DeadLetter) and "beyond the range of a double" in result.reason
        assert "Infinity" in result.reason


def test_an_unpaired_surrogate_escape_is_a_dead_letter_and_a_pair_is_data() -> None:
    out, _ = run([GOOD.replace("Zoë", "\\ud83d\\ude00"), GOOD.replace("Zoë", "x\\ud83d"),
                  GOOD.replace("Zoë", "\\uDE00"), json.dumps({**INSERT, "\udc00key": 1})], "changelog-json")
    assert isinstance(out[0], Change) and out[0].after["name"] == "\U0001F600"
    assert [type(o) for o in out[1:]] == [DeadLetter] * 3
    assert "unpaired surrogate \\ud83d" in out[1].reason and "\\ude00" in out[2].reason


def test_one_bytes_object_instead_of_lines_is_refused() -> None:
    with pytest.raises(TypeError):
        decode(GOOD.encode(), "changelog-json")
