"""`pruner replay` never alters its input and writes only strict JSON.

The input is read as bytes: a line that is not UTF-8 is a dead letter with its bytes escaped
(never U+FFFD as data), a BOM on the first line is ignored, a NaN line is a dead letter, and
the sink parses with a strict parser. A NaN a processor computes stops the run with an
error naming the key and field, before anything is written. Exit codes are not asserted here.
"""
from __future__ import annotations

import io
import json
from decimal import Decimal
import shutil
import sys
from pathlib import Path

import pytest

from pruner.cli import main
from pruner.compiler import build
from pruner.planfile import write_plan
from pruner.runtime.replay import SinkValueError, open_input, replay, write_sink

ROOT = Path(__file__).resolve().parents[2]
JOB, PLAN = ROOT / "examples/ecommerce/job.yaml", ROOT / "compiled_plans/ecommerce.plan"
STREAM = ROOT / "examples/ecommerce/stream.debezium.jsonl"
CLOCK_FIELDS = ("indexed_at", "index_lag_ms")   # IndexStamp stamps wall-clock time


def strict_json(text: str) -> object:
    def refuse(token: str) -> None:
        raise ValueError(f"non-standard JSON token {token}")
    return json.loads(text, parse_constant=refuse)


def _run(tmp_path: Path, name: str, data: bytes, *extra: str) -> tuple[list[dict], list[dict]]:
    source, sink, dead = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.sink.jsonl", tmp_path / f"{name}.dead.jsonl"
    source.write_bytes(data)
    main(["replay", str(JOB), "--plan", str(PLAN), "--input", str(source), "--format", "debezium-json",
          "--sink-out", str(sink), "--dead-letter", str(dead), "--quiet", *extra])
    rows = [strict_json(line) for line in sink.read_text(encoding="utf-8").splitlines()]
    letters = [strict_json(line) for line in dead.read_text(encoding="utf-8").splitlines()]
    return [{k: v for k, v in row.items() if k not in CLOCK_FIELDS} for row in rows], letters


def test_replay_bom_invalid_utf8_and_nan_lines(tmp_path: Path) -> None:
    lines = STREAM.read_bytes().splitlines(keepends=True)
    assert b'"seller_name":"Hooli Store 3"' in lines[2] and b'"seller_rating":' in lines[3]
    not_utf8 = lines[2].replace(b"Hooli", b"Hoo\xffli")
    nan = lines[3].replace(b'"seller_rating":', b'"seller_rating":NaN,"was":', 1)
    rows, letters = _run(tmp_path, "bad", b"\xef\xbb\xbf" + lines[0] + lines[1] + not_utf8 + nan + b"".join(lines[4:]))

    assert [letter["line"] for letter in letters] == [3, 4]
    at = not_utf8.index(b"\xff") + 1
    assert letters[0]["reason"] == f"invalid UTF-8 at byte {at} of the line (invalid start byte: ff)"
    assert letters[0]["raw"] == not_utf8.rstrip(b"\n").decode("utf-8", "backslashreplace")
    assert "Hoo\\xffli" in letters[0]["raw"] and "\ufffd" not in letters[0]["raw"]
    assert letters[1]["reason"].startswith("NaN is not a JSON value: RFC 8259")
    assert letters[1]["raw"] == nan.rstrip(b"\n").decode()

    # The same as the stream without those two lines: the BOM line was read, the rest untouched.
    clean, no_letters = _run(tmp_path, "clean", lines[0] + lines[1] + b"\n\n" + b"".join(lines[4:]))
    assert rows == clean and no_letters == [] and len(rows) > 10


def test_replay_reads_standard_input_as_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = STREAM.read_bytes()
    lines = data.splitlines(keepends=True)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines[0] + b"\x80\n" + b"".join(lines[1:]))))
    assert isinstance(next(iter(open_input("-"))), bytes)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines[0] + b"\x80\n" + b"".join(lines[1:]))))
    dead = tmp_path / "dead.jsonl"
    main(["replay", str(JOB), "--plan", str(PLAN), "--input", "-", "--format", "debezium-json",
          "--dead-letter", str(dead), "--quiet"])
    [letter] = [strict_json(line) for line in dead.read_text().splitlines()]
    assert letter == {"line": 2, "reason": "invalid UTF-8 at byte 1 of the line (invalid start byte: 80)",
                      "raw": "\\x80"}


# ---------------------------------------------------------------------- a NaN a processor computes
@pytest.fixture()
def nan_job(tmp_path: Path) -> Path:
    """The reference job whose P2 makes e = NaN when a is "NAN", compiled."""
    job = tmp_path / "reference"
    shutil.copytree(ROOT / "examples/reference", job, ignore=shutil.ignore_patterns(".pruner-cache"))
    plugin = job / "plugins/reference_udtfs.py"
    text = plugin.read_text()
    old = '        out["e"] = str(row["d"]).upper()'
    assert old in text
    plugin.write_text(text.replace(old, '        out["e"] = float("nan") if str(row["d"]).startswith("NAN") '
                                        'else str(row["d"]).upper()'))
    write_plan(build(job / "job.yaml").plan, job / "job.plan")
    return job


def _items(*rows: dict) -> bytes:
    seller = {"op": "c", "before": None, "after": {"b": 1, "c": "s"}, "source": {"table": "sellers"}}
    changes = [seller] + [{"op": "c" if i == 0 else "u", "before": None if i == 0 else rows[i - 1], "after": row,
                           "source": {"table": "items"}} for i, row in enumerate(rows)]
    return b"".join(json.dumps(change).encode() + b"\n" for change in changes)


def test_a_nan_a_processor_computes_stops_the_run_before_anything_is_written(
        nan_job: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, sink = tmp_path / "in.jsonl", tmp_path / "sink.jsonl"
    source.write_bytes(_items({"id": 7, "a": "NAN", "b": 1}))
    main(["replay", str(nan_job / "job.yaml"), "--plan", str(nan_job / "job.plan"), "--input", str(source),
          "--format", "debezium-json", "--sink-out", str(sink), "--quiet"])
    err = capsys.readouterr().err
    assert "Traceback" not in err and not sink.exists()
    assert "pruner replay:" in err and "{'id': 7}" in err and "NaN in field 'e'" in err and "RFC 8259" in err

    with pytest.raises(SinkValueError) as error, source.open("rb") as lines:
        replay(nan_job / "job.yaml", nan_job / "job.plan", lines, "debezium-json", "pruned")
    assert "'e'" in str(error.value)


def test_a_nan_overwritten_before_the_end_is_never_written(nan_job: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(_items({"id": 7, "a": "NAN", "b": 1}, {"id": 7, "a": "fine", "b": 1}))
    with source.open("rb") as lines:
        result = replay(nan_job / "job.yaml", nan_job / "job.plan", lines, "debezium-json", "pruned")
    out = io.StringIO()
    write_sink(result, out)
    assert [strict_json(line) for line in out.getvalue().splitlines()] == [
        {"id": 7, "a": "fine", "b": 1, "c": "s", "d": "fine:1", "e": "FINE:1"}]

    result.sink.rows[(7,)]["e"] = [1.0, {"deep": float("-inf")}]
    out = io.StringIO()
    with pytest.raises(SinkValueError, match="-Infinity in field 'e'"):
        write_sink(result, out)
    assert out.getvalue() == ""


@pytest.mark.parametrize("value, shown", [
    ({1, 2}, "a value of type set"), (object(), "a value of type object"), ({(1, 2): 3}, "a dict key (1, 2)"),
    ([Decimal("NaN")], "NaN in field"), (10 ** 5000, "an integer of more than"),
    ({"deep": [frozenset()]}, "a value of type frozenset")], ids=["set", "object", "tuple-key", "decimal-nan", "huge-int", "deep"])
def test_a_value_json_cannot_hold_stops_the_run_naming_row_and_field(nan_job: Path, tmp_path: Path, value,
                                                                    shown: str) -> None:
    """Found by an adversary: a set or an object was written with str() (an address that differs
    between runs), a tuple dict key was a traceback, a 5,000-digit integer named no row."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(_items({"id": 7, "a": "fine", "b": 1}))
    with source.open("rb") as lines:
        result = replay(nan_job / "job.yaml", nan_job / "job.plan", lines, "debezium-json", "pruned")
    result.sink.rows[(7,)]["e"] = value
    out = io.StringIO()
    with pytest.raises(SinkValueError) as error:
        write_sink(result, out)
    assert shown in str(error.value) and "{'id': 7}" in str(error.value) and "'e'" in str(error.value)
    assert out.getvalue() == ""
    result.sink.rows[(7,)]["e"] = {"n": Decimal("12.50"), "t": (1, 2), 3: None}      # these JSON can hold
    write_sink(result, out)
    assert strict_json(out.getvalue())["e"] == {"n": "12.50", "t": [1, 2], "3": None}


def test_an_engine_dead_letter_keeps_the_text_of_its_bytes_line(nan_job: Path, tmp_path: Path) -> None:
    bad = json.dumps({"op": "c", "after": {"id": None, "a": "Zoë", "b": 1}, "source": {"table": "items"}},
                     ensure_ascii=False)
    with io.BytesIO(_items({"id": 7, "a": "x", "b": 1}) + bad.encode() + b"\r\n") as lines:
        result = replay(nan_job / "job.yaml", nan_job / "job.plan", lines, "debezium-json", "pruned")
    [letter] = result.dead_letters
    assert letter.line == 3 and "null" in letter.reason and letter.raw == bad
