"""Flink in production: failures injected mid-stream, savepoints, exactly-once files.

Each run reads CDC lines with Flink's FileSource, runs the keyed job with checkpoints every
200 ms and a fixed-delay restart strategy, and writes records and dead letters with FileSink
(``pruner.flink_run``, the code `pruner flink run` uses). A ``Drill`` fails tasks at seeded
points (several stages, each point once). Then, from the committed files only:
- the sink table equals ``pruner replay --mode full`` on the same lines;
- each key's records are numbered 1..N with no gap and no repeat (nothing lost, nothing
  written twice, although the failed attempts wrote part files that were never committed);
- each bad line is a dead letter exactly once;
- at least one restart restored state from a checkpoint (Flink's log says which).
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from pruner.runtime.replay import replay

from plugin_sdk import flink
from pruner import flink_run

from .test_flink import JOB, PLAN, STREAM, _generated, _stable

BAD_LINES = ("this is not JSON", '{"payload": {"op": "u", "source": {"table": "items"}}', "[1, 2")


def _with_bad_lines(lines: list[str], seed: int) -> tuple[list[str], set[int]]:
    out = list(lines)
    rng = random.Random(seed)
    for text in BAD_LINES:
        out.insert(rng.randrange(1, len(out)), text)
    return out, {i + 1 for i, line in enumerate(out) if line in BAD_LINES}


def _points(seed: int, n_lines: int, bad: set[int]) -> tuple[tuple[str, int], ...]:
    """Seeded failure points: a stage and a line in the second half (after a checkpoint or two)."""
    rng = random.Random(seed)
    good = [i for i in range(n_lines // 3, n_lines + 1) if i not in bad]
    return tuple(sorted(zip(("decode", "S", "D", "R"), rng.sample(good, 4))))


def _run(tmp_path: Path, name: str, lines: list[str], points=(), **options) -> tuple[flink_run.FlinkRun, str]:
    folder = tmp_path / name
    (folder / "drill").mkdir(parents=True)
    source = folder / "input.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = flink_run.RunConfig(str(JOB), str(PLAN), str(source), "debezium-json", str(folder / "sink"),
                                 parallelism=2, checkpoint_ms=200, restart_delay_ms=100,
                                 drill=flink.Drill(tuple(points), str(folder / "drill")) if points else None,
                                 **options)
    run = flink_run.FlinkRun(config)
    run.start()
    return run, run.wait(every=0.2)


def _check_sink(run: flink_run.FlinkRun, lines: list[str], bad: set[int]) -> dict:
    job = flink.FlinkJob.load(JOB, PLAN)
    by_key = flink.read_records(run.config.sink_dir)
    lost, repeated = flink.gaps_and_repeats(by_key)
    assert (lost, repeated) == (0, 0)
    full = replay(JOB, PLAN, lines, "debezium-json", "full")
    assert _stable(flink.sink_table(job, by_key).sorted_rows()) == _stable(
        json.loads(json.dumps(full.sink.sorted_rows(), default=str)))
    letters = flink.read_dead_letters(run.config.sink_dir)
    assert [d["line"] for d in letters] == sorted(bad)                  # each exactly once
    assert {d["raw"] for d in letters} == set(BAD_LINES) & {lines[i - 1] for i in bad}
    return {"records": sum(len(r) for r in by_key.values()), "keys": len(by_key)}


@pytest.mark.parametrize("stream, seed", [("bundled", 1), ("daily", 2)])
def test_failures_mid_stream_lose_and_duplicate_nothing(flink_env, tmp_path: Path, stream: str, seed: int) -> None:
    base = STREAM.read_text(encoding="utf-8").splitlines() if stream == "bundled" else _generated("daily", seed, 600)
    lines, bad = _with_bad_lines(base, seed)
    points = _points(seed, len(lines), bad)
    run, status = _run(tmp_path, stream, lines, points)
    assert status == "FINISHED", (run.error or "")[-6000:]              # Flink's root cause when not
    drill = Path(run.config.drill.folder)
    fired = sorted(p.name for p in drill.glob("fired-*"))
    assert len(fired) == len(points), fired                            # every failure happened
    assert run.restores(), "no restart restored a checkpoint"          # not only restarts from the start
    counts = _check_sink(run, lines, bad)
    assert counts["records"] > 0


def _watched(tmp_path: Path, name: str, lines: list[str], **options) -> tuple[flink_run.RunConfig, Path, int]:
    """A watched input directory holding the first half of `lines`: (config, folder, half)."""
    half = len(lines) // 2
    inputs = tmp_path / name / "input"
    inputs.mkdir(parents=True)
    (inputs / "1.jsonl").write_text("\n".join(lines[:half]) + "\n", encoding="utf-8")
    config = flink_run.RunConfig(str(JOB), str(PLAN), str(inputs), "debezium-json", str(tmp_path / name / "sink"),
                                 parallelism=2, checkpoint_ms=200, monitor_ms=200, **options)
    return config, inputs, half


def _command(tmp_path: Path, *args: str):
    """`python -m pruner ARGS` in its own process (its own JVM, logging in a folder of its own,
    not over this session's log, which FlinkRun.restores() reads; a job run in this process
    marks it a Python worker with PYFLINK_GATEWAY_DISABLED: not the command's)."""
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "PYFLINK_GATEWAY_DISABLED"}
    env["FLINK_LOG_DIR"] = str(tmp_path / "log")
    (tmp_path / "log").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "pruner", *args], capture_output=True, text=True, timeout=600,
                          env=env)


def test_stop_with_a_savepoint_and_resume(flink_env, tmp_path: Path) -> None:
    """A watched directory: the first half, stop with a savepoint, add the second half, resume
    from the savepoint: the sink equals full over both halves, nothing lost or repeated."""
    lines, bad = _with_bad_lines(STREAM.read_text(encoding="utf-8").splitlines(), 3)
    config, inputs, half = _watched(tmp_path, "savepoint", lines)
    job = flink.FlinkJob.load(JOB, PLAN)
    first_half = _stable(json.loads(json.dumps(replay(JOB, PLAN, lines[:half], "debezium-json", "full")
                                               .sink.sorted_rows(), default=str)))

    def sink_is(expected):
        return lambda: _stable(flink.sink_table(job, flink.read_records(config.sink_dir)).sorted_rows()) == expected

    run = flink_run.FlinkRun(config)
    run.start()
    assert run.wait(every=0.3, until=sink_is(first_half)) == "RUNNING"
    savepoint = run.stop()
    assert Path(savepoint.removeprefix("file:")).is_dir()
    (inputs / "2.jsonl").write_text("\n".join(lines[half:]) + "\n", encoding="utf-8")
    config.savepoint = savepoint
    resumed = flink_run.FlinkRun(config)
    resumed.start()
    everything = _stable(json.loads(json.dumps(replay(JOB, PLAN, lines, "debezium-json", "full")
                                               .sink.sorted_rows(), default=str)))
    try:
        assert resumed.wait(every=0.3, until=sink_is(everything)) == "RUNNING"
    finally:
        resumed.cancel()
    # the letters of the second half are numbered from where the first half stopped
    _check_sink(resumed, lines, bad)


def test_dedup_ttl_is_flink_state_ttl(flink_env, tmp_path: Path) -> None:
    """Engine dedup in R with a ttl of 1 s: a watched directory, the first half of a daily
    stream, a pause longer than the ttl, the second half. Flink's state TTL expired every key's
    emitted values in the pause, so the first record of a key after it is a full row (never a
    partial one against values nobody remembers), later ones are partial again, and the sink
    equals full."""
    from .test_flink import CLOCK
    import time
    from pruner.runtime.engine import Dedup
    lines = _generated("daily", 6, 400)
    config, inputs, half = _watched(tmp_path, "ttl", lines, dedup=Dedup(ignore=frozenset(CLOCK), ttl=1.0))
    job = flink.FlinkJob.load(JOB, PLAN)
    sink_fields = set(job.spec().sink.fields)

    def full_of(part):
        return _stable(json.loads(json.dumps(replay(JOB, PLAN, part, "debezium-json", "full")
                                             .sink.sorted_rows(), default=str)))

    def sink_is(expected):
        return lambda: _stable(flink.sink_table(job, flink.read_records(config.sink_dir)).sorted_rows()) == expected

    run = flink_run.FlinkRun(config)
    run.start()
    try:
        assert run.wait(every=0.3, until=sink_is(full_of(lines[:half]))) == "RUNNING", run.error
        time.sleep(2.5)                                   # > ttl, and every record committed
        before = {key: len(records) for key, records in flink.read_records(config.sink_dir).items()}
        # a watched directory takes whole files: written under a name Flink skips, then renamed
        # (a file found while still being written fails the job: "SimpleStreamFormat is not splittable")
        (inputs / "_2.jsonl").write_text("\n".join(lines[half:]) + "\n", encoding="utf-8")
        (inputs / "_2.jsonl").rename(inputs / "2.jsonl")
        assert run.wait(every=0.3, until=sink_is(full_of(lines))) == "RUNNING", run.error
    finally:
        run.cancel()
    by_key = flink.read_records(config.sink_dir)
    assert flink.gaps_and_repeats(by_key) == (0, 0)
    first_after, partial_before, partial_after = [], 0, 0
    for key, records in by_key.items():
        old = before.get(key, 0)
        upserts = [(n, r) for n, r in records if r.op == "upsert"]
        partial_before += sum(1 for n, r in upserts if n <= old and set(r.fields) < sink_fields)
        partial_after += sum(1 for n, r in upserts if n > old + 1 and set(r.fields) < sink_fields)
        if old and records[old:] and records[old][1].op == "upsert":
            first_after.append(set(records[old][1].fields) >= sink_fields)
    assert partial_before > 0 and partial_after > 0        # dedup sends partial records...
    assert len(first_after) >= 5 and all(first_after)      # ...but not right after the ttl expired


def test_pruner_flink_run_on_the_ecommerce_example(tmp_path: Path) -> None:
    """The command a user runs: one command, its own mini-cluster, committed files equal full."""
    lines, bad = _with_bad_lines(STREAM.read_text(encoding="utf-8").splitlines(), 4)
    source = tmp_path / "input.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sink = tmp_path / "sink"
    done = _command(tmp_path, "flink", "run", str(JOB), "--plan", str(PLAN), "--input", str(source),
                    "--format", "debezium-json", "--sink-dir", str(sink), "--checkpoint-interval", "300",
                    "--max-dead-letters", str(len(bad)))
    assert done.returncode == 0, done.stderr[-3000:]
    summary = done.stderr[done.stderr.rindex("finished in "):].splitlines()
    last = summary[:2]
    assert f"{len(lines):,} messages read" in last[0]
    assert f"{len(bad)} dead letters committed" in last[0]
    assert "units run" in last[1] and "checkpoints" in last[1]

    class _Run:
        config = flink_run.RunConfig(str(JOB), str(PLAN), str(source), "debezium-json", str(sink))
    _check_sink(_Run, lines, bad)


def test_every_line_a_dead_letter_exits_3_and_names_the_format(tmp_path: Path) -> None:
    """The wrong --format: every message is a dead letter; exit status 3 and the format that
    reads them (as pruner replay says it), not a run that looks fine."""
    source = tmp_path / "input.jsonl"
    source.write_text("\n".join(STREAM.read_text(encoding="utf-8").splitlines()[:40]) + "\n", encoding="utf-8")
    done = _command(tmp_path, "flink", "run", str(JOB), "--plan", str(PLAN), "--input", str(source),
                    "--format", "canal-json", "--sink-dir", str(tmp_path / "sink"), "--checkpoint-interval", "300")
    assert done.returncode == 3, done.stderr[-3000:]
    assert "40 dead letters" in done.stderr and "try --format debezium-json" in done.stderr


def _refusal(tmp_path: Path, capsys, *args: str) -> str:
    from pruner.cli import main
    argv = ["flink", "run", str(JOB), "--plan", str(PLAN), "--format", "debezium-json", *args]
    assert main(argv) == 2
    return capsys.readouterr().err


def test_runs_that_would_mix_or_lose_output_are_refused_before_starting(tmp_path: Path, capsys) -> None:
    """Each case the adversary ran into, refused with what to do, before Flink starts."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "1.jsonl").write_text(STREAM.read_text(encoding="utf-8"), encoding="utf-8")
    # a sink folder inside the input folder: the job would read its own output
    err = _refusal(tmp_path, capsys, "--input", str(inputs), "--sink-dir", str(inputs / "out"), "--monitor", "500")
    assert "overlap" in err and not (inputs / "out").exists()
    # a sink folder that holds an earlier run's committed output, no --savepoint
    sink = tmp_path / "sink"
    (sink / "records").mkdir(parents=True)
    (sink / "records/part-0-0").write_text('{"n": 1}\n', encoding="utf-8")
    point = sink / "_state/checkpoints/abc/chk-7"
    point.mkdir(parents=True)
    (point / "_metadata").write_bytes(b"x")
    err = _refusal(tmp_path, capsys, "--input", str(inputs), "--sink-dir", str(sink))
    assert "holds the output of an earlier run" in err and f"--savepoint {point.as_uri()}" in err
    # a --savepoint that is not one
    err = _refusal(tmp_path, capsys, "--input", str(inputs), "--sink-dir", str(sink), "--savepoint",
                   str(tmp_path / "nothing"))
    assert "is not a savepoint or a retained checkpoint" in err
    # resuming a watched run without --monitor (new files would be ignored), or another input or format
    (sink / "_state/run.json").write_text(json.dumps({"input": str(inputs.resolve()), "fmt": "debezium-json",
                                                      "monitor_ms": 500}), encoding="utf-8")
    err = _refusal(tmp_path, capsys, "--input", str(inputs), "--sink-dir", str(sink), "--savepoint", str(point))
    assert "resume it with --monitor too" in err
    (tmp_path / "other").mkdir()
    err = _refusal(tmp_path, capsys, "--input", str(tmp_path / "other"), "--sink-dir", str(sink),
                   "--savepoint", str(point), "--monitor", "500")
    assert "resume it with the same --input" in err


def test_files_flink_does_not_read_are_named_before_the_run(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    for name in ("a.jsonl", "_late.jsonl", ".hidden.jsonl", "sub/b.jsonl"):
        (inputs / name).write_text("", encoding="utf-8")
    config = flink_run.RunConfig(str(JOB), str(PLAN), str(inputs), "debezium-json", str(tmp_path / "sink"))
    (warning,) = flink_run.check_start(config)
    assert warning.startswith("2 file(s) under --input are not read") and "_late.jsonl" in warning
    assert ".hidden.jsonl" in warning and "b.jsonl" not in warning


@pytest.mark.parametrize("args, message", [
    (["--input", "missing.jsonl"], "does not exist"),
    (["--monitor", "100"], "--monitor watches a directory"),
    (["--parallelism", "0"], "--parallelism must be at least 1"),
    (["--dedup-ttl", "5"], "need --dedup"),
])
def test_pruner_flink_run_refuses_bad_options_before_starting(tmp_path: Path, capsys, args, message) -> None:
    from pruner.cli import main
    base = {"--input": str(STREAM), "--format": "debezium-json", "--sink-dir": str(tmp_path / "sink")}
    for option, value in zip(args[::2], args[1::2]):
        base[option] = value
    argv = ["flink", "run", str(JOB), "--plan", str(PLAN)] + [x for kv in base.items() for x in kv]
    if "--input" in args and args[1] == "missing.jsonl":
        argv[argv.index("missing.jsonl")] = str(tmp_path / "missing.jsonl")
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "sink").exists()


def _changelog_lines(debezium_lines: list[str]) -> list[str]:
    """The same changes as changelog-json: an update is a -U line and its +U line."""
    from pruner.cdc import decode
    from pruner.cdc.model import DELETE, INSERT, DeadLetter
    out = []
    for change in decode(debezium_lines, "debezium-json"):
        if isinstance(change, DeadLetter):
            continue
        if change.kind == INSERT or (change.before is None and change.after is not None):
            out.append({"kind": "+I", "table": change.table, "row": change.after})
        elif change.kind == DELETE:
            out.append({"kind": "-D", "table": change.table, "row": change.before})
        else:
            out += [{"kind": "-U", "table": change.table, "row": change.before},
                    {"kind": "+U", "table": change.table, "row": change.after}]
    return [json.dumps(m, ensure_ascii=False) for m in out]


def test_bytes_and_changelog_pairs_are_read_as_replay_reads_them(flink_env, tmp_path: Path) -> None:
    """The file's bytes reach the decoder: invalid UTF-8 and a byte order mark inside the file
    are dead letters (never text altered into the sink), UTF-8 text is kept. A changelog-json
    -U waits in keyed state for its +U (the next message); one left at the end of the input
    is a dead letter. Sink and dead letters equal `pruner replay` on the same bytes."""
    lines = [text.encode("utf-8") for text in _changelog_lines(STREAM.read_text(encoding="utf-8").splitlines())]
    updates = [i for i, line in enumerate(lines) if line.startswith(b'{"kind": "+U", "table": "items"')]
    assert len(updates) > 20
    a, b, c = updates[5], updates[10], updates[15]
    lines[a] = lines[a].replace(b'"title": "', b'"title": "caf\xc3\xa9 \xe2\x82\xac ', 1)        # UTF-8: kept
    lines[b] = lines[b].replace(b'"title": "', b'"title": "caf\xe9 ', 1)                      # invalid UTF-8
    lines[c] = b"\xef\xbb\xbf" + lines[c]                                                    # a BOM mid-file
    lines.append(lines[updates[3] - 1])                                                      # a -U at the end
    assert lines[-1].startswith(b'{"kind": "-U"')
    folder = tmp_path / "bytes"
    folder.mkdir()
    (folder / "input.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    config = flink_run.RunConfig(str(JOB), str(PLAN), str(folder / "input.jsonl"), "changelog-json",
                                 str(folder / "sink"), parallelism=2, checkpoint_ms=200)
    run = flink_run.FlinkRun(config)
    run.start()
    assert run.wait(every=0.2) == "FINISHED", (run.error or "")[-6000:]
    job = flink.FlinkJob.load(JOB, PLAN)
    by_key = flink.read_records(config.sink_dir)
    assert flink.gaps_and_repeats(by_key) == (0, 0)
    full = replay(JOB, PLAN, lines, "changelog-json", "full")
    assert _stable(flink.sink_table(job, by_key).sorted_rows()) == _stable(
        json.loads(json.dumps(full.sink.sorted_rows(), default=str)))
    assert any(str(r.fields.get("title", "")).startswith("café €") for rs in by_key.values() for _, r in rs)
    letters = flink.read_dead_letters(config.sink_dir)
    assert [(d["line"], d["reason"]) for d in letters] == [(d.line, d.reason) for d in full.dead_letters]
    reasons = " / ".join(d["reason"] for d in letters)
    assert "invalid UTF-8" in reasons and "byte order mark" in reasons and "the input ends" in reasons
