"""`pruner flink run`: a job on a local Flink mini-cluster, from CDC files to committed sink files.

    pruner flink run JOB.yaml --plan PLAN --input PATH --format F --sink-dir DIR

The topology is ``plugin_sdk.flink``'s keyed job: Flink's ``FileSource`` reads the input (a
file, or a directory, optionally watched for new files), the keyed stages run the job with
their state in Flink keyed state, and Flink's ``FileSink`` writes the sink records and the
dead letters as JSON lines, committed on checkpoints. Checkpointing and a restart strategy
are on: a failed task restarts from the last checkpoint, and the committed files hold every
record exactly once. Ctrl-C stops the job with a savepoint; ``--savepoint PATH`` resumes from
one (or from a retained checkpoint).

Under DIR:

    records/         the sink records, part files committed per checkpoint
    dead_letters/    messages set aside, with line, reason, raw text and stage
    _state/          checkpoints/, savepoints/, run.json (how the run was started: a resume is
                     checked against it), and Flink's temp files and logs (flink/)

``check_start`` refuses, before anything runs, what would mix or lose output: a sink folder
that already holds an earlier run's committed files (resume it with ``--savepoint``), a sink
folder inside the input or the reverse, a ``--savepoint`` that is not one, a resume without
the ``--monitor`` (or with another input or format) of the run it resumes.

Needs the ``flink`` extra (apache-flink); this module imports it only when a job runs.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

TERMINAL = ("FINISHED", "FAILED", "CANCELED")


@dataclass
class RunConfig:
    spec: str
    plan: str
    input: str
    fmt: str
    sink_dir: str
    parallelism: int = 2
    checkpoint_ms: int = 1000
    restarts: int = 10                     # fixed-delay restart attempts
    restart_delay_ms: int = 500
    savepoint: str | None = None           # resume from this savepoint or retained checkpoint
    monitor_ms: int | None = None          # watch the input directory for new files
    on_stale: str = "stop"
    dedup: Any = None                      # pruner.runtime.engine.Dedup
    drill: Any = None                      # plugin_sdk.flink.Drill

    @property
    def state_dir(self) -> Path:
        return Path(self.sink_dir).resolve() / "_state"


@dataclass
class RunSummary:
    status: str
    seconds: float
    messages_read: int
    records: int
    dead_letters: int
    units_run: int
    units_skipped: int
    messages_dropped: int
    checkpoints: int                        # completed checkpoints seen
    checkpoint_bytes: int                   # size of the largest one seen
    savepoint: str | None = None
    error: str | None = None                # why the job failed
    checkpoint: str | None = None           # cancelled: the retained checkpoint to resume from


class RunRefused(ValueError):
    """A run that would mix or lose output: refused before it starts (the message says why
    and what to do)."""


class StartError(RuntimeError):
    """The job did not start (e.g. a savepoint Flink cannot read or map to this job)."""


def _local(path: str) -> Path:
    return Path(path.removeprefix("file://") if path.startswith("file://") else path.removeprefix("file:"))


def _metadata_files(folder: Path) -> list[Path]:
    """The savepoints and retained checkpoints under `folder`, newest last."""
    found = [*folder.glob("savepoints/*/_metadata"), *folder.glob("checkpoints/*/chk-*/_metadata")]
    return sorted(found, key=lambda p: p.stat().st_mtime)


def latest_restore_point(config: RunConfig) -> str | None:
    """The newest savepoint or retained checkpoint of the runs into this sink folder."""
    found = _metadata_files(config.state_dir)
    return found[-1].parent.as_uri() if found else None


def check_start(config: RunConfig) -> list[str]:
    """Refuse (``RunRefused``) a run that would mix or lose output; the warnings to show."""
    source, sink = Path(config.input).resolve(), Path(config.sink_dir).resolve()
    if sink == source or sink.is_relative_to(source) or any(
            source.is_relative_to(sink / name) for name in ("records", "dead_letters", "_state")):
        raise RunRefused(f"--sink-dir {config.sink_dir} and --input {config.input} overlap: the job would read "
                         "its own output (and with --monitor, for ever); put them in separate folders")
    earlier = [p for name in ("records", "dead_letters") for p in (sink / name).rglob("*") if p.is_file()]
    recorded = _recorded(config)
    if config.savepoint is None:
        if earlier:
            point = latest_restore_point(config)
            how = (f"resume that run with --savepoint {point}" if point is not None
                   else "no savepoint or retained checkpoint of it is left to resume from")
            raise RunRefused(f"--sink-dir {config.sink_dir} holds the output of an earlier run ({len(earlier)} "
                             f"files): a new run would number its records from 1 again beside them. Give an empty "
                             f"--sink-dir, or {how}")
    else:
        where = _local(config.savepoint)
        if not (where / "_metadata").is_file() and not (where.name == "_metadata" and where.is_file()):
            raise RunRefused(f"--savepoint {config.savepoint} is not a savepoint or a retained checkpoint (no "
                             "_metadata in it); they are under the sink folder's _state/savepoints/ and "
                             "_state/checkpoints/<job>/chk-N/")
        if recorded is not None:
            if recorded.get("monitor_ms") is not None and config.monitor_ms is None:
                raise RunRefused(f"the run you resume watched its input (--monitor {recorded['monitor_ms']}): "
                                 "resume it with --monitor too; without it the source reads only the files it "
                                 "had listed before, and new files would be ignored")
            for what, option, now in (("input", "--input", str(source)), ("fmt", "--format", config.fmt)):
                if recorded.get(what) not in (None, now):
                    raise RunRefused(f"the run you resume read {option} {recorded[what]}, not {now}: resume "
                                     f"it with the same {option}")
    warnings = []
    if source.is_dir():
        hidden = sorted(str(p.relative_to(source)) for p in source.rglob("*")
                        if p.is_file() and any(part.startswith((".", "_")) for part in p.relative_to(source).parts))
        if hidden:
            shown = ", ".join(hidden[:5]) + (f" and {len(hidden) - 5} more" if len(hidden) > 5 else "")
            warnings.append(f"{len(hidden)} file(s) under --input are not read: Flink's FileSource skips names "
                            f"starting with '.' or '_' (hidden and in-progress files): {shown}")
    return warnings


def _recorded(config: RunConfig) -> dict | None:
    try:
        return json.loads((config.state_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _record(config: RunConfig) -> None:
    config.state_dir.mkdir(parents=True, exist_ok=True)
    (config.state_dir / "run.json").write_text(json.dumps({
        "input": str(Path(config.input).resolve()), "fmt": config.fmt, "monitor_ms": config.monitor_ms,
        "spec": str(Path(config.spec).resolve()), "plan": str(Path(config.plan).resolve()),
        "parallelism": config.parallelism}, indent=2) + "\n", encoding="utf-8")


def _root_cause(error: BaseException) -> str:
    """The innermost 'Caused by:' line of a Java exception's text (py4j), else its first line."""
    text = str(error)
    causes = [line.strip() for line in text.splitlines() if line.strip().startswith("Caused by:")]
    line = causes[-1].removeprefix("Caused by:").strip() if causes else text.strip().splitlines()[0]
    return line[:500]


def flink_files_under(folder: Path) -> None:
    """Flink's temp files and logs under `folder`. Call it before the first PyFlink environment
    of the process: the gateway JVM inherits these when it starts."""
    (folder / "log").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TMPDIR", str(folder))
    os.environ.setdefault("FLINK_LOG_DIR", str(folder / "log"))
    os.environ.setdefault("JAVA_TOOL_OPTIONS", f"-Djava.io.tmpdir={folder} -XX:-UsePerfData")
    tempfile.tempdir = None


def configuration(config: RunConfig):
    """The Flink configuration of a run: checkpoints (kept on cancel, so a killed run can
    resume from the last one), a fixed-delay restart strategy, and the state to resume from."""
    from pyflink.common import Configuration
    conf = Configuration()
    state = config.state_dir
    conf.set_string("execution.checkpointing.interval", f"{config.checkpoint_ms} ms")
    conf.set_string("execution.checkpointing.dir", (state / "checkpoints").as_uri())
    conf.set_string("execution.checkpointing.savepoint-dir", (state / "savepoints").as_uri())
    conf.set_string("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
    conf.set_string("execution.checkpointing.unaligned.enabled", "true")
    conf.set_string("restart-strategy.type", "fixed-delay")
    conf.set_string("restart-strategy.fixed-delay.attempts", str(config.restarts))
    conf.set_string("restart-strategy.fixed-delay.delay", f"{config.restart_delay_ms} ms")
    if config.savepoint:
        conf.set_string("execution.state-recovery.path", config.savepoint)
    return conf


class FlinkRun:
    """One run of a job on a local mini-cluster: ``start()``, then ``wait()`` or ``stop()``."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.client = None
        self.started = 0.0
        self._counted: dict[Path, int] = {}
        self._checkpoints: set[Path] = set()
        self.checkpoint_bytes = 0

    def start(self) -> None:
        from pyflink.datastream import StreamExecutionEnvironment

        from plugin_sdk import flink
        config = self.config
        job = flink.FlinkJob.load(config.spec, config.plan, on_stale=config.on_stale, dedup=config.dedup,
                                  drill=config.drill)
        env = StreamExecutionEnvironment.get_execution_environment(configuration(config))
        env.set_parallelism(config.parallelism)
        env.set_python_executable(sys.executable)
        source = flink.file_source(env, config.input, monitor_ms=config.monitor_ms)
        flink.file_sinks(flink.keyed_topology(env, job, source, config.fmt), config.sink_dir)
        for name in flink.PROGRESS:
            flink.PROGRESS[name] = 0
        for name in flink.TOTALS:
            flink.TOTALS[name] = 0
        self.started = time.monotonic()
        self.client = env.execute_async(f"pruner: {Path(config.spec).name}")
        self.result = self.client.get_job_execution_result()
        self.error: str | None = None

    def status(self) -> str:
        """RUNNING, FINISHED, FAILED (``error`` says why), CANCELED, ... (a local mini-cluster
        shuts down when its job ends: the end comes from the job's result)."""
        if self.result.done():
            try:
                self.result.result()
            except Exception as error:      # noqa: BLE001 - py4j wraps the job's failure
                text = str(error)
                self.error = text
                return "CANCELED" if "cancel" in text.lower() and "JobCancellationException" in text else "FAILED"
            return "FINISHED"
        try:
            return str(self.client.get_job_status().result()).rsplit(".", 1)[-1]
        except Exception:                   # noqa: BLE001 - shutting down between the two calls
            return "RUNNING" if not self.result.done() else self.status()

    def committed(self) -> int:
        """Sink records committed so far (finished part files are never changed again)."""
        from plugin_sdk import flink
        for path in flink.committed_files(Path(self.config.sink_dir) / flink.RECORDS):
            if path not in self._counted:
                self._counted[path] = _lines(path)
        return sum(self._counted.values())

    def _look_at_checkpoints(self) -> None:
        for metadata in (self.config.state_dir / "checkpoints").glob("*/chk-*/_metadata"):
            folder = metadata.parent
            if folder not in self._checkpoints:
                self._checkpoints.add(folder)
                try:
                    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
                except OSError:
                    continue        # subsumed while measured
                self.checkpoint_bytes = max(self.checkpoint_bytes, size)

    def poll(self) -> str:
        self._look_at_checkpoints()
        return self.status()

    def wait(self, progress: IO[str] | None = None, every: float = 1.0, until=None) -> str:
        """Until the job ends (or `until()` holds); progress lines on `progress`."""
        from plugin_sdk import flink
        while True:
            status = self.poll()
            if progress is not None:
                p = flink.PROGRESS
                progress.write(f"\r{status.lower():<9} {time.monotonic() - self.started:6.1f}s  read "
                               f"{p['messages_read']:,} messages, {self.committed():,} records committed, "
                               f"{p['dead_letters']:,} dead letters, {len(self._checkpoints)} checkpoints  ")
                progress.flush()
            if status in TERMINAL or (until is not None and until()):
                if progress is not None:
                    progress.write("\n")
                return status
            time.sleep(every)

    def stop(self) -> str:
        """Stop the job with a savepoint (under _state/savepoints); its path."""
        from pyflink.common.completable_future import CompletableFuture
        from pyflink.java_gateway import get_gateway
        canonical = get_gateway().jvm.org.apache.flink.core.execution.SavepointFormatType.CANONICAL
        folder = (self.config.state_dir / "savepoints").as_uri()
        # PyFlink 2.x's JobClient.stop_with_savepoint misses the format argument: the Java call
        return CompletableFuture(self.client._j_job_client.stopWithSavepoint(False, folder, canonical), str).result()

    def restores(self) -> list[int]:
        """The checkpoints this job was restored from after a failure (from Flink's log)."""
        import re
        folder = os.environ.get("FLINK_LOG_DIR")
        if not folder or self.client is None:
            return []
        pattern = re.compile(rf"Restoring job {self.client.get_job_id()} from Checkpoint (\d+)")
        found = []
        for log in Path(folder).glob("*.log*"):
            with open(log, encoding="utf-8", errors="replace") as lines:
                found += [int(m.group(1)) for line in lines if (m := pattern.search(line))]
        return found

    def cancel(self) -> None:
        self.client.cancel().result()

    def summary(self, status: str, savepoint: str | None = None, checkpoint: str | None = None) -> RunSummary:
        from plugin_sdk import flink
        self._look_at_checkpoints()
        letters = sum(_lines(path) for path in flink.committed_files(Path(self.config.sink_dir) / flink.DEAD_LETTERS))
        return RunSummary(status, time.monotonic() - self.started, flink.PROGRESS["messages_read"],
                          self.committed(), letters, flink.TOTALS["units_run"], flink.TOTALS["units_skipped"],
                          flink.TOTALS["messages_dropped"], len(self._checkpoints), self.checkpoint_bytes,
                          savepoint, getattr(self, "error", None), checkpoint)


def _lines(path: Path) -> int:
    with open(path, "rb") as lines:
        return sum(1 for line in lines if line.strip())


def run(config: RunConfig, progress: IO[str] | None = sys.stderr) -> RunSummary:
    """Run to the end (a bounded input) or until Ctrl-C, which stops with a savepoint (a second
    Ctrl-C cancels: the last retained checkpoint is then the point to resume from). Call
    ``check_start`` first. Raises ``StartError`` when the job does not start."""
    flink_files_under(config.state_dir / "flink")
    job = FlinkRun(config)
    try:
        job.start()
    except Exception as error:              # noqa: BLE001 - py4j wraps what Flink refused
        hint = " (is --savepoint a savepoint of this job?)" if config.savepoint else ""
        raise StartError(f"the job did not start: {_root_cause(error)}{hint}") from None
    _record(config)
    try:
        status = job.wait(progress)
    except KeyboardInterrupt:
        if progress is not None:
            progress.write("\nstopping with a savepoint (Ctrl-C again: cancel without one)...\n")
        try:
            savepoint = job.stop()
        except KeyboardInterrupt:
            if progress is not None:
                progress.write("cancelling...\n")
            try:
                job.cancel()
            except Exception:               # noqa: BLE001 - the gateway may be gone already
                pass
            return job.summary("CANCELED", None, latest_restore_point(config))
        return job.summary("STOPPED", savepoint)
    return job.summary(status)
