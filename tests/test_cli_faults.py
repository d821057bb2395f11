"""The command line under faults: errors and exit codes, never a traceback, never lost work.

Bad plugins at replay, output paths that cannot be written (checked before the run, written
whole at the end), outputs that would overwrite the input or each other, the exit status
with dead letters, the early stop on a file in another format, batch-mode unit failures.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pruner.cli import main
from pruner.compiler import build
from pruner.planfile import write_plan

ROOT = Path(__file__).resolve().parents[1]
STREAM = ROOT / "examples/ecommerce/stream.debezium.jsonl"


def _items(*rows: dict) -> str:
    return "".join(json.dumps({"op": "c", "before": None, "after": row, "source": {"table": "items"}}) + "\n"
                   for row in rows)


def _replay(job: Path, stream: Path, *extra: str) -> int:
    return main(["replay", str(job / "job.yaml"), "--plan", str(job / "job.plan"), "--input", str(stream),
                 "--format", "debezium-json", "--quiet", *extra])


# ---------------------------------------------------------------------- plugins at replay
def test_a_plugin_raising_at_import_is_an_error_naming_file_and_line(reference: Path, tmp_path: Path, capsys) -> None:
    plugin = reference / "plugins/reference_udtfs.py"
    plugin.write_text(plugin.read_text() + "\nCONFIG = {}\nLIMIT = CONFIG['limit']\n")
    write_plan(build(reference / "job.yaml").plan, reference / "job.plan")    # compiles: it is never run
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    assert _replay(reference, stream, "--sink-out", str(tmp_path / "sink.jsonl")) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{plugin}:{len(plugin.read_text().splitlines())}: KeyError: 'limit'" in err
    assert not (tmp_path / "sink.jsonl").exists()


@pytest.mark.parametrize("fault", ["syntax error", "deleted"])
def test_a_broken_or_deleted_plugin_after_compiling_is_an_error(reference: Path, tmp_path: Path, fault: str,
                                                                capsys) -> None:
    plugin = reference / "plugins/reference_udtfs.py"
    if fault == "deleted":
        plugin.unlink()
    else:
        plugin.write_text(plugin.read_text() + "\ndef broken(:\n")
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    for policy in ("stop", "full", "compile"):
        assert _replay(reference, stream, "--on-stale", policy) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and "reference_udtfs.py" in err and "pruner compile" in err


# ---------------------------------------------------------------------- outputs
@pytest.mark.parametrize("where", ["missing dir", "a directory", "under a file", "in /proc"])
def test_an_output_that_cannot_be_written_is_refused_before_the_run(reference: Path, tmp_path: Path, where: str,
                                                                    capsys) -> None:
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    (tmp_path / "file").write_text("")
    path = {"missing dir": tmp_path / "no/such/dir/sink.jsonl", "a directory": tmp_path,
            "under a file": tmp_path / "file/sink.jsonl", "in /proc": Path("/proc/sink.jsonl")}[where]
    for option in ("--sink-out", "--stats-out", "--dead-letter"):
        assert _replay(reference, stream, option, str(path)) == 2
        err = capsys.readouterr().err
        assert option in err and str(path) in err and "Traceback" not in err


def test_a_write_failing_at_the_end_replaces_nothing_and_leaves_no_temp_file(reference: Path, tmp_path: Path,
                                                                            capsys) -> None:
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    sink = tmp_path / "sink.jsonl"
    sink.write_text("the previous sink\n")
    assert _replay(reference, stream, "--sink-out", str(sink), "--stats-out", "/dev/full") == 1
    err = capsys.readouterr().err
    assert "/dev/full" in err and "No space left on device" in err
    assert sink.read_text() == "the previous sink\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "reference", "sink.jsonl"]


@pytest.mark.parametrize("clash", ["input", "stats", "dead letters", "plan", "spec", "a link to the input"])
def test_an_output_equal_to_the_input_or_another_output_is_refused(reference: Path, tmp_path: Path, clash: str,
                                                                   capsys) -> None:
    stream = tmp_path / "in.jsonl"
    text = _items({"id": 1, "a": "x", "b": 1})
    stream.write_text(text)
    (tmp_path / "link.jsonl").symlink_to(stream)
    sink = {"input": stream, "stats": tmp_path / "out", "dead letters": tmp_path / "out",
            "plan": reference / "job.plan", "spec": reference / "job.yaml",
            "a link to the input": tmp_path / "link.jsonl"}[clash]
    extra = {"stats": ["--stats-out", str(tmp_path / "out")],
             "dead letters": ["--dead-letter", str(tmp_path / "out")]}.get(clash, [])
    plan_before = (reference / "job.plan").read_bytes()
    assert _replay(reference, stream, "--sink-out", str(sink), *extra) == 2
    assert "is the same file as" in capsys.readouterr().err
    assert stream.read_text() == text and (reference / "job.plan").read_bytes() == plan_before


def test_outputs_keep_the_permissions_of_the_files_they_replace(reference: Path, tmp_path: Path) -> None:
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    sink = tmp_path / "sink.jsonl"
    sink.write_text("")
    os.chmod(sink, 0o640)
    assert _replay(reference, stream, "--sink-out", str(sink)) == 0
    assert sink.stat().st_mode & 0o777 == 0o640
    assert json.loads(sink.read_text())["d"] == "x:1"


# ---------------------------------------------------------------------- exit status
def test_dead_letters_give_exit_status_3_unless_tolerated(reference: Path, tmp_path: Path, capsys) -> None:
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}) + "{not json\n" + _items({"id": 2, "a": "y", "b": 1}))
    sink = tmp_path / "sink.jsonl"
    assert _replay(reference, stream, "--sink-out", str(sink)) == 3
    assert len(sink.read_text().splitlines()) == 2            # the outputs are written either way
    assert _replay(reference, stream, "--max-dead-letters", "1") == 0
    assert _replay(reference, stream, "--max-dead-letters", "-1") == 2


def test_a_file_in_another_format_stops_early_with_a_guess(tmp_path: Path, capsys) -> None:
    sink = tmp_path / "sink.jsonl"
    code = main(["replay", str(ROOT / "examples/ecommerce/job.yaml"), "--plan",
                 str(ROOT / "compiled_plans/ecommerce.plan"), "--input", str(STREAM), "--format", "canal-json",
                 "--quiet", "--sink-out", str(sink)])
    assert code == 1
    err = capsys.readouterr().err
    assert "the first 50 messages are all unusable as canal-json" in err
    assert "does this look like debezium-json?" in err
    assert not sink.exists()


def test_a_short_file_in_another_format_ends_with_the_guess(reference: Path, tmp_path: Path, capsys) -> None:
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    code = main(["replay", str(reference / "job.yaml"), "--plan", str(reference / "job.plan"), "--input",
                 str(stream), "--format", "maxwell-json"])
    assert code == 3
    assert "does this look like debezium-json?" in capsys.readouterr().err


# ---------------------------------------------------------------------- batch mode = the other modes
def test_batch_mode_dead_letters_a_row_a_unit_fails_on_and_writes_the_rest(reference: Path, tmp_path: Path,
                                                                          capsys) -> None:
    plugin = reference / "plugins/reference_udtfs.py"
    plugin.write_text(plugin.read_text().replace(
        "def process(self, row, out):", "def process(self, row, out):\n        if row.get('a') == 'BOOM':\n"
        "            raise ValueError('bad value')", 1))
    write_plan(build(reference / "job.yaml").plan, reference / "job.plan")
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}, {"id": 2, "a": "BOOM", "b": 1}, {"id": 3, "a": "z", "b": 1}))
    sinks = {}
    for mode in ("batch", "full", "pruned"):
        sink, dead = tmp_path / f"{mode}.jsonl", tmp_path / f"{mode}.dead"
        assert _replay(reference, stream, "--mode", mode, "--sink-out", str(sink), "--dead-letter", str(dead)) == 3
        letters = [json.loads(line) for line in dead.read_text().splitlines()]
        assert [d["line"] for d in letters] == [2] and "ValueError: bad value" in letters[0]["reason"]
        sinks[mode] = [json.loads(line)["id"] for line in sink.read_text().splitlines()]
    assert sinks == {"batch": [1, 3], "full": [1, 3], "pruned": [1, 3]}
    assert "Traceback" not in capsys.readouterr().err


# ---------------------------------------------------------------------- compile -o
def test_compile_into_a_directory_writes_job_plan_there(tmp_path: Path) -> None:
    out = tmp_path / "build"
    out.mkdir()
    assert main(["compile", str(ROOT / "examples/reference/job.yaml"), "-o", str(out), "--no-cache"]) == 0
    assert (out / "reference.plan").is_file()
    assert main(["compile", str(ROOT / "examples/reference/job.yaml"), "-o", str(tmp_path / "new") + "/",
                 "--no-cache"]) == 0
    assert (tmp_path / "new/reference.plan").is_file()


def test_compile_to_an_unwritable_place_is_an_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("")
    for target in (tmp_path / "file/sub/x.plan", Path("/proc/x.plan")):
        assert main(["compile", str(ROOT / "examples/reference/job.yaml"), "-o", str(target), "--no-cache"]) == 1
        err = capsys.readouterr().err
        assert "no plan written" in err and "Traceback" not in err


# ---------------------------------------------------------------------- follow's sink
@pytest.mark.parametrize("where", ["missing dir", "a directory", "the spec", "/dev/full"])
def test_follow_refuses_a_sink_it_cannot_use_before_connecting(tmp_path: Path, where: str, capsys) -> None:
    """Checked before any connection (the DSN here reaches nothing). /dev/full would be read
    back without end at start: the follow sink must be a regular file."""
    spec = ROOT / "examples/reference/job.yaml"
    sink = {"missing dir": str(tmp_path / "no/sink.jsonl"), "a directory": str(tmp_path),
            "the spec": str(spec), "/dev/full": "/dev/full"}[where]
    code = main(["follow", str(spec), "--plan", str(ROOT / "compiled_plans/reference.plan"),
                 "--dsn", "postgresql://nobody@127.0.0.1:1/none", "--sink-out", sink, "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--sink-out" in err and "Traceback" not in err
