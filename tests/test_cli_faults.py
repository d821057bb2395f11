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
    code = main(["replay", str(reference / "job.yaml"), "--plan", str(reference / "job.plan"), "--input",
                 str(stream), "--format", "maxwell-json", "--quiet", "--max-dead-letters", "1000"])
    assert code == 0            # tolerated, but said
    err = capsys.readouterr().err
    assert "every message (1) was a dead letter" in err and "does this look like debezium-json?" in err


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


# ---------------------------------------------------------------------- found by the adversary (issue 13)
def test_compile_and_explain_never_write_onto_the_job_or_the_plan(reference: Path, capsys) -> None:
    spec, plugin, plan = reference / "job.yaml", reference / "plugins/reference_udtfs.py", reference / "job.plan"
    kept = {p: p.read_bytes() for p in (spec, plugin, plan)}
    for target in (spec, plugin):
        assert main(["compile", str(spec), "-o", str(target), "--no-cache"]) == 1
        assert "is the same file as" in capsys.readouterr().err
    for target in (plan, spec, plugin):     # explain knows only the plan: a graph is named *.dot / *.svg
        assert main(["explain", str(plan), "--graph", "dot", "-o", str(target)]) == 2
        assert "*.dot" in capsys.readouterr().err
    for link, target in (("g.dot", spec), ("h.gv", plugin)):     # a graph name linked to a job file
        (reference / link).symlink_to(target)
        assert main(["explain", str(plan), "--graph", "dot", "-o", str(reference / link)]) == 2
        assert "*.dot" in capsys.readouterr().err
    assert main(["explain", str(plan), "--graph", "dot", "-o", str(reference / "graph.gv")]) == 0
    assert (reference / "graph.gv").read_text().startswith("digraph")
    assert {p: p.read_bytes() for p in kept} == kept


@pytest.mark.parametrize("option", ["--sink-out", "--stats-out", "--dead-letter"])
def test_replay_never_writes_onto_a_plugin_module(reference: Path, tmp_path: Path, option: str, capsys) -> None:
    plugin = reference / "plugins/reference_udtfs.py"
    (reference / "plugins/helpers").mkdir()
    nested = reference / "plugins/helpers/__init__.py"
    nested.write_text("X = 1\n")
    write_plan(build(reference / "job.yaml").plan, reference / "job.plan")
    kept = {p: p.read_bytes() for p in (plugin, nested)}
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    for target in (plugin, nested):
        assert _replay(reference, stream, option, str(target)) == 2
        assert "is the same file as plugin" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in kept} == kept


def test_follow_never_writes_onto_a_plugin_module(reference: Path, capsys) -> None:
    plugin = reference / "plugins/reference_udtfs.py"
    kept = plugin.read_bytes()
    code = main(["follow", str(reference / "job.yaml"), "--plan", str(reference / "job.plan"),
                 "--dsn", "postgresql://nobody@127.0.0.1:1/none", "--sink-out", str(plugin), "--quiet"])
    assert code == 2 and "is the same file as plugin" in capsys.readouterr().err
    assert plugin.read_bytes() == kept


def test_a_regular_file_under_dev_shm_is_replaced_whole_not_written_in_place(reference: Path, tmp_path: Path,
                                                                            capsys) -> None:
    """/dev/shm is a tmpfs: its files are files. When another output fails, it keeps its content."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable /dev/shm here")
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    sink = shm / f"pruner-test-{os.getpid()}-sink.jsonl"
    fresh = shm / f"pruner-test-{os.getpid()}-new.jsonl"
    try:
        sink.write_text("the previous sink\n")
        assert _replay(reference, stream, "--sink-out", str(sink), "--stats-out", "/dev/full") == 1
        assert "nothing was replaced" in capsys.readouterr().err
        assert sink.read_text() == "the previous sink\n"
        assert _replay(reference, stream, "--sink-out", str(fresh)) == 0
        assert json.loads(fresh.read_text())["d"] == "x:1"
        assert not [p for p in shm.iterdir() if p.name.startswith((f".{sink.name}", f".{fresh.name}"))]
    finally:
        sink.unlink(missing_ok=True)
        fresh.unlink(missing_ok=True)


def test_a_missing_path_under_dev_is_never_created(reference: Path, tmp_path: Path, capsys) -> None:
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    assert _replay(reference, stream, "--sink-out", "/dev/pruner-no-such-device") == 2
    assert "nothing is created" in capsys.readouterr().err
    assert not Path("/dev/pruner-no-such-device").exists()


@pytest.mark.parametrize("when", ["writing", "renaming"])
def test_ctrl_c_while_outputs_are_written_leaves_no_temp_file_and_the_old_files(reference: Path, tmp_path: Path,
                                                                              monkeypatch, when: str) -> None:
    import pruner.outputs as outputs_module
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    out = tmp_path / "out"
    out.mkdir()
    sink, stats = out / "sink.jsonl", out / "stats.json"
    sink.write_text("OLD sink\n")
    stats.write_text("OLD stats\n")
    if when == "writing":
        import pruner.cli as cli_module

        def interrupted(data, handle):
            handle.write("{half")
            raise KeyboardInterrupt
        monkeypatch.setattr(cli_module, "_write_json", interrupted)
    else:
        real = os.replace

        def replace(src, dst, *args, **kwargs):
            if str(dst) == str(stats) and ".tmp" in str(src):
                raise KeyboardInterrupt
            return real(src, dst, *args, **kwargs)
        monkeypatch.setattr(outputs_module.os, "replace", replace)
    assert _replay(reference, stream, "--sink-out", str(sink), "--stats-out", str(stats)) == 130
    monkeypatch.undo()
    assert sink.read_text() == "OLD sink\n" and stats.read_text() == "OLD stats\n"
    assert sorted(p.name for p in out.iterdir()) == ["sink.jsonl", "stats.json"]


def test_a_place_where_no_backup_link_can_be_made_is_refused_before_the_run(reference: Path, tmp_path: Path,
                                                                           monkeypatch, capsys) -> None:
    import pruner.outputs as outputs_module
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    sink = tmp_path / "sink.jsonl"
    sink.write_text("OLD\n")

    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(outputs_module.os, "link", no_links)
    ran = []
    import pruner.runtime.replay as replay_module
    real_replay = replay_module.replay
    monkeypatch.setattr(replay_module, "replay", lambda *a, **k: ran.append(1) or real_replay(*a, **k))
    assert _replay(reference, stream, "--sink-out", str(sink)) == 2
    assert "hard link" in capsys.readouterr().err and not ran
    assert sink.read_text() == "OLD\n"


def test_outputs_that_are_not_files_are_written_in_place(reference: Path, tmp_path: Path) -> None:
    """A FIFO (and a device, as root) stays what it is: written through, never renamed onto."""
    import threading
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert main(["compile", str(reference / "job.yaml"), "-o", str(fifo), "--no-cache"]) == 0
    reader.join(10)
    assert got and got[0].startswith(b"CDC-PRUNER-PLAN") and fifo.is_fifo()
    if os.geteuid() == 0:
        null = tmp_path / "null"
        os.mknod(null, 0o666 | 0o020000, os.makedev(1, 3))          # a character device: /dev/null's
        assert main(["compile", str(reference / "job.yaml"), "-o", str(null), "--no-cache"]) == 0
        assert null.is_char_device()


def test_an_output_through_a_link_writes_the_target_and_keeps_the_link(reference: Path, tmp_path: Path) -> None:
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    target, link = tmp_path / "target.jsonl", tmp_path / "link.jsonl"
    target.write_text("old\n")
    link.symlink_to(target)
    assert _replay(reference, stream, "--sink-out", str(link)) == 0
    assert link.is_symlink() and json.loads(target.read_text())["d"] == "x:1"


def test_a_rename_failing_at_the_end_puts_back_what_was_already_replaced(reference: Path, tmp_path: Path,
                                                                        monkeypatch, capsys) -> None:
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    sink, stats = tmp_path / "sink.jsonl", tmp_path / "stats.json"
    sink.write_text("OLD sink\n")
    stats.write_text("OLD stats\n")
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if str(dst) == str(stats) and ".tmp" in str(src):
            raise PermissionError(1, "Operation not permitted")      # chattr +a does this
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    assert _replay(reference, stream, "--sink-out", str(sink), "--stats-out", str(stats)) == 1
    assert "nothing was replaced" in capsys.readouterr().err
    assert sink.read_text() == "OLD sink\n" and stats.read_text() == "OLD stats\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "reference", "sink.jsonl", "stats.json"]


def test_decimals_that_differ_only_in_trailing_zeros_are_a_change_in_every_mode(reference: Path,
                                                                              tmp_path: Path) -> None:
    """wal2json numerics are exact decimals; 12.5 -> 12.50 prints differently (d = f"{a}:{b}")."""
    def col(name, value):
        return {"name": name, "type": "numeric", "value": value}
    insert = {"action": "I", "table": "items", "columns": [col("id", 1), col("a", "@12.5"), col("b", 1)]}
    update = {"action": "U", "table": "items", "columns": [col("id", 1), col("a", "@12.50"), col("b", 1)],
              "identity": [col("id", 1), col("a", "@12.5"), col("b", 1)]}
    stream = tmp_path / "in.jsonl"
    stream.write_text("\n".join(json.dumps(m).replace('"@', "").replace('0"', "0").replace('5"', "5")
                                for m in (insert, update)) + "\n")
    assert '"value":12.50' in stream.read_text().replace(" ", "")
    for mode in ("pruned", "stateless", "full", "batch"):
        sink = tmp_path / f"{mode}.jsonl"
        assert main(["replay", str(reference / "job.yaml"), "--plan", str(reference / "job.plan"), "--input",
                     str(stream), "--format", "wal2json", "--mode", mode, "--quiet", "--sink-out", str(sink)]) == 0
        assert json.loads(sink.read_text())["d"] == "12.50:1", mode


@pytest.mark.parametrize("item_id, expect", [(True, "row 1"), (1.0, "row 1"), ([1], "dead letter")])
def test_a_udaf_key_is_a_normal_key_or_a_dead_letter(tmp_path: Path, item_id, expect) -> None:
    lines = STREAM.read_text().splitlines()[:200]
    extra = json.dumps({"op": "c", "before": None, "source": {"table": "item_images"},
                        "after": {"id": 901, "item_id": item_id, "url": "u901", "position": 0, "is_main": True}})
    stream = tmp_path / "in.jsonl"
    stream.write_text("\n".join([*lines, extra]) + "\n")
    ids = {}
    for mode in ("pruned", "full", "batch"):
        sink, dead = tmp_path / f"{mode}.jsonl", tmp_path / f"{mode}.dead"
        code = main(["replay", str(ROOT / "examples/ecommerce/job.yaml"), "--plan", str(ROOT / "compiled_plans/ecommerce.plan"),
                     "--input", str(stream), "--format", "debezium-json", "--mode", mode, "--quiet",
                     "--sink-out", str(sink), "--dead-letter", str(dead)])
        rows = [json.loads(line) for line in sink.read_text().splitlines()]
        ids[mode] = [repr(r["id"]) for r in rows]
        letters = [json.loads(line) for line in dead.read_text().splitlines()]
        if expect == "dead letter":
            assert code == 3 and [d["line"] for d in letters] == [201] and "item_id" in letters[0]["reason"]
        else:
            assert code == 0 and not letters
    assert ids["pruned"] == ids["full"] == ids["batch"] and all(i.isdigit() for i in ids["full"])


def test_bad_messages_of_the_right_format_do_not_stop_the_run(reference: Path, tmp_path: Path) -> None:
    bad = [json.dumps({"op": "c", "before": None, "after": {"id": i, "a": "x", "b": 1}, "source": {"table": "items"}})
           .replace('"b": 1', '"b": NaN') for i in range(60)]
    stream = tmp_path / "in.jsonl"
    stream.write_text("\n".join(bad) + "\n" + _items({"id": 1000, "a": "x", "b": 1}))
    sink = tmp_path / "sink.jsonl"
    assert _replay(reference, stream, "--sink-out", str(sink)) == 3
    assert [json.loads(line)["id"] for line in sink.read_text().splitlines()] == [1000]


def test_a_canal_message_of_several_rows_is_one_transaction(reference: Path, tmp_path: Path) -> None:
    message = {"type": "INSERT", "table": "items", "database": "d", "isDdl": False,
               "data": [{"id": "1", "a": "x", "b": "1"}, {"id": None, "a": "y", "b": "1"}]}
    stream = tmp_path / "in.jsonl"
    stream.write_text(json.dumps(message) + "\n")
    sink, dead = tmp_path / "sink.jsonl", tmp_path / "dead.jsonl"
    code = main(["replay", str(reference / "job.yaml"), "--plan", str(reference / "job.plan"), "--input",
                 str(stream), "--format", "canal-json", "--quiet", "--sink-out", str(sink), "--dead-letter", str(dead)])
    assert code == 3 and sink.read_text() == ""          # the first row is not applied alone
    assert [json.loads(line)["line"] for line in dead.read_text().splitlines()] == [1]


def test_unreadable_inputs_are_errors_fast(reference: Path, tmp_path: Path, capsys) -> None:
    assert main(["compile", "/dev/zero"]) == 1
    assert "not a regular file" in capsys.readouterr().err
    assert main(["explain", "/dev/zero", "--source", "items"]) == 1
    assert "not a regular file" in capsys.readouterr().err
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    if os.geteuid() == 0:
        full = tmp_path / "full"
        os.mknod(full, 0o666 | 0o020000, os.makedev(1, 7))          # /dev/full's device
        assert _replay(reference, stream, "--dim-store", str(full)) == 2
        assert "not a regular file" in capsys.readouterr().err
        assert not (tmp_path / "full-journal").exists()


def test_a_plugin_path_that_is_a_folder_is_named_not_the_input(reference: Path, tmp_path: Path, capsys) -> None:
    (reference / "plugins/odd.py").mkdir()
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    assert _replay(reference, stream) == 1
    err = capsys.readouterr().err
    assert "plugins/odd.py" in err and str(stream) not in err and "Traceback" not in err


def test_ctrl_c_is_exit_130_without_a_traceback(reference: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    import pruner.runtime.replay as replay_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(replay_module, "replay", interrupted)
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    assert _replay(reference, stream) == 130
    assert "interrupted" in capsys.readouterr().err


def test_dim_store_is_never_an_input_or_a_job_file(reference: Path, tmp_path: Path, capsys) -> None:
    """Found by an adversary: --dim-store onto an (empty) plugin module or the input turned them
    into SQLite databases. Both are refused before anything is opened."""
    notes = reference / "plugins/notes.py"
    notes.write_text("")
    write_plan(build(reference / "job.yaml").plan, reference / "job.plan")
    stream = tmp_path / "in.jsonl"
    stream.write_text("")
    kept = {p: p.read_bytes() for p in (notes, stream, reference / "job.yaml", reference / "job.plan")}
    for target in (notes, stream, reference / "job.yaml", reference / "job.plan"):
        assert _replay(reference, stream, "--dim-store", str(target)) == 2
        assert "is the same file as" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in kept} == kept
    assert _replay(reference, stream, "--dim-store", str(tmp_path / "dims.db")) == 0


@pytest.mark.parametrize("option", ["--sink-out", "--stats-out", "--dead-letter", "--dim-store"])
def test_no_output_becomes_a_new_plugin_module(reference: Path, tmp_path: Path, option: str, capsys) -> None:
    """A new .py file in a plugin folder would be a module of the job: its plan stale, the job broken."""
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    for target in (reference / "plugins/new_module.py", reference / "plugins/sub/deeper.py"):
        target.parent.mkdir(exist_ok=True)
        assert _replay(reference, stream, option, str(target)) == 2
        assert "is a Python file in the plugin folder" in capsys.readouterr().err
        assert not target.exists()
    assert main(["compile", str(reference / "job.yaml"), "-o", str(reference / "plugins/plan.py"), "--no-cache"]) == 2 \
        or not (reference / "plugins/plan.py").exists()


@pytest.mark.parametrize("fault, code, said", [
    ("init raises", 1, "P1() raised KeyError"),
    ("init needs an argument", 1, "P1() raised TypeError"),
    ("sys.exit at import", 1, "SystemExit: 7"),
    ("SystemExit in process", 3, "raised SystemExit"),
    ("GeneratorExit in process", 3, "raised GeneratorExit"),
])
def test_plugin_code_that_raises_or_exits_is_an_error_not_a_traceback(reference: Path, tmp_path: Path, fault: str,
                                                                       code: int, said: str, capsys) -> None:
    """Found by an adversary: tracebacks, and sys.exit in plugin code ending the run silently with
    its own exit status. Creating or importing fails the run (exit 1) naming the Processor; a
    message whose Processor raises or exits is a dead letter (exit 3)."""
    plugin = reference / "plugins/reference_udtfs.py"
    text = plugin.read_text()
    edits = {
        "init raises": ('class P1(Processor):\n', 'class P1(Processor):\n    def __init__(self):\n'
                                                  '        {}["config"]\n\n'),
        "init needs an argument": ('class P1(Processor):\n', 'class P1(Processor):\n    def __init__(self, config):\n'
                                                             '        self.config = config\n\n'),
        "sys.exit at import": ("from plugin_sdk import UDTF, Processor\n",
                               "import sys\nfrom plugin_sdk import UDTF, Processor\nsys.exit(7)\n"),
        "SystemExit in process": ('        out["d"] = f"{row[\'a\']}:{row[\'b\']}"\n',
                                  '        out["d"] = f"{row[\'a\']}:{row[\'b\']}"\n        raise SystemExit(5)\n'),
        "GeneratorExit in process": ('        out["d"] = f"{row[\'a\']}:{row[\'b\']}"\n',
                                     '        out["d"] = f"{row[\'a\']}:{row[\'b\']}"\n        raise GeneratorExit\n'),
    }
    old, new = edits[fault]
    assert old in text
    plugin.write_text(text.replace(old, new, 1))
    built = build(reference / "job.yaml")      # compiling never runs it
    assert not [d for d in built.diagnostics() if d.severity.name == "ERROR"]
    write_plan(built.plan, reference / "job.plan")
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    letters = tmp_path / "dead.jsonl"
    assert _replay(reference, stream, "--sink-out", str(tmp_path / "sink.jsonl"), "--dead-letter", str(letters)) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code == 3:
        (letter,) = [json.loads(line) for line in letters.read_text().splitlines()]
        assert letter["line"] == 1 and said in letter["reason"]
    else:
        assert said in err and not letters.exists()


def test_a_stale_plan_error_names_the_unreadable_file_first(reference: Path, tmp_path: Path, capsys) -> None:
    """Found by an adversary: a plugin that is not UTF-8 was named last, or cut by "(and 2 more)",
    behind the errors that follow from it (unknown classes, unproduced sink fields)."""
    plugin = reference / "plugins/reference_udtfs.py"
    plugin.write_bytes(plugin.read_bytes() + b"\n# caf\xe9\n")
    stream = tmp_path / "in.jsonl"
    stream.write_text(_items({"id": 1, "a": "x", "b": 1}))
    assert _replay(reference, stream, "--on-stale", "full") == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "PR002" in err
    assert err.index("PR002") < min(err.index(code) for code in ("PR501", "PR504") if code in err)


def test_a_failed_run_leaves_the_dim_store_as_it_was(reference: Path, tmp_path: Path, capsys) -> None:
    """Found by an adversary: a run that failed ("nothing written") had still applied its
    dimension changes to --dim-store. The store is one transaction, committed with the outputs."""
    import sqlite3

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    store = tmp_path / "dims.db"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    seller = {"b": 1, "c": "x"}
    first.write_text(json.dumps({"op": "c", "before": None, "after": seller, "source": {"table": "sellers"}}) + "\n")
    second.write_text(json.dumps({"op": "u", "before": seller, "after": {"b": 1, "c": "y"},
                                  "source": {"table": "sellers"}}) + "\n"
                      + json.dumps({"op": "c", "before": None, "after": {"b": 2, "c": "z"},
                                    "source": {"table": "sellers"}}) + "\n" + _items({"id": 1, "a": "x", "b": 1}))

    def rows() -> list:
        with sqlite3.connect(store) as db:
            return sorted(db.execute("SELECT * FROM pruner_sellers").fetchall())

    assert _replay(reference, first, "--dim-store", str(store)) == 0
    kept = rows()
    assert len(kept) == 1
    assert _replay(reference, second, "--dim-store", str(store), "--sink-out", "/dev/full") == 1
    assert "Traceback" not in capsys.readouterr().err
    assert rows() == kept
    assert _replay(reference, second, "--dim-store", str(store)) == 0
    assert len(rows()) == 2 and rows() != kept
