"""The runtime inside PyFlink jobs (``pip install 'cdc-pruner[flink]'``, apache-flink 2.x).

Two adapters, both built from a job spec and its compiled plan:

- ``keyed_pipeline(env, job, changes)``: the whole job as a DataStream topology, in the
  stateful mode, with its state in Flink keyed state (``ValueState``), so it is checkpointed
  and scales out with the key space. The stages are those of ``pruner.runtime.keyed``:
  M (aggregated rows, by their key), S (numbering, by row key), one D per DimJoin (by
  dimension key: the fan-out of dimension changes), R (the units, by row key).
- ``PrunedUDTF``: one UDTF step of the job as a Table API table function for Flink SQL
  (``LATERAL TABLE(...)``) over a changelog table, pruned statelessly: each row carries its
  row kind (``_op``) and the fields its update changed (``_changed``, see
  ``changelog_rows``), and only the Processors those fields reach run.

The plan travels with the job: the driver reads and verifies it (a missing or corrupt plan
fails before submission), every task parses it again in ``open()``, and a plan that does not
match the plugin files on the task's disk behaves as in the local runtime: with ``"stop"``
(the default) the task fails; with ``"full"`` or ``"compile"`` the task compiles the job in
memory and runs its current units (all of them, or pruned), and a warning is logged.

Counters: the Flink metrics ``units_run``, ``units_skipped`` and ``messages_dropped`` (group
``pruner``) per task; each task also logs its totals when it closes, and adds to ``TOTALS`` as
it goes (readable during and after a local job, whose Python workers run in the driver
process; work redone after a restore counts again).
"""
from __future__ import annotations

import builtins
import copy
import sys
import time


def _numba_under_pyflink_workers() -> None:
    """PyFlink's process-mode workers replace ``print`` with a method of a module that has no
    ``print`` attribute, and numba's import looks it up there. Give that module one."""
    printer = builtins.print
    module = sys.modules.get(getattr(printer, "__module__", None) or "builtins")
    if module is not None and not hasattr(module, printer.__name__):
        setattr(module, printer.__name__, printer)


_numba_under_pyflink_workers()

import json  # noqa: E402
import logging  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from datetime import timezone  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Iterable  # noqa: E402

from pyflink.common import Row, RowKind, Types  # noqa: E402
from pyflink.datastream import KeyedProcessFunction, RuntimeContext, StreamExecutionEnvironment  # noqa: E402
from pyflink.datastream.state import StateTtlConfig, ValueStateDescriptor  # noqa: E402
from pyflink.table.udf import FunctionContext, TableFunction  # noqa: E402

from pruner.cdc.decode import line_text  # noqa: E402
from pruner.cdc.message import changed_fields  # noqa: E402
from pruner.cdc.model import DELETE, INSERT, SNAPSHOT, UPDATE, Change, DeadLetter  # noqa: E402
from pruner.decide import change_mask  # noqa: E402
from pruner.plan import to_int  # noqa: E402
from pruner.planfile import loads, read_plan  # noqa: E402
from pruner.runtime.plugins import STALE_POLICIES  # noqa: E402
from pruner.runtime.engine import Dedup, SinkRecord  # noqa: E402
from pruner.runtime.keyed import KeyedJob  # noqa: E402
from pruner.cdc.types import ColumnType, coerce_value  # noqa: E402
from pruner.spec import DimJoinStep, JobSpec, RenameStep, load_spec  # noqa: E402

log = logging.getLogger("pruner.flink")
TOTALS: dict[str, int] = {"units_run": 0, "units_skipped": 0, "messages_dropped": 0}
# What a local job's tasks have done so far, for a driver's progress line (a local job's Python
# workers run in the driver process); after a restart, messages read again count again.
PROGRESS: dict[str, int] = {"messages_read": 0, "dead_letters": 0}
PICKLED = Types.PICKLED_BYTE_ARRAY()


@dataclass(frozen=True)
class FlinkJob:
    """What travels to every task: the spec's path (it and its plugins must exist there, e.g.
    shipped with ``add_python_archive``) and the plan's bytes, verified in the driver."""

    spec_path: str
    plan_bytes: bytes
    on_stale: str = "stop"
    dedup: Dedup | None = None          # engine message dedup in R, its emitted values in R's state
                                        # ("emitted", its ttl also Flink's state TTL: see _sent_descriptor)
    drill: Drill | None = None          # failures to inject (fault-tolerance tests and drills)

    @classmethod
    def load(cls, spec_path: str | Path, plan_path: str | Path, *, on_stale: str = "stop",
             dedup: Dedup | None = None, drill: Drill | None = None) -> FlinkJob:
        if on_stale not in STALE_POLICIES:
            raise ValueError(f"on_stale must be one of {', '.join(STALE_POLICIES)}, not {on_stale!r}")
        load_spec(spec_path)                       # a bad spec fails here, before submission
        read_plan(plan_path)                       # so does a missing or corrupt plan
        if dedup is not None and dedup.max_keys is not None:     # and a dedup R cannot keep
            raise ValueError("dedup max_keys bounds the keys one process remembers; on Flink the emitted "
                             "values live in each key's state: bound them with ttl")
        return cls(str(Path(spec_path).resolve()), Path(plan_path).read_bytes(), on_stale, dedup, drill)

    def spec(self) -> JobSpec:
        return load_spec(self.spec_path)

    def keyed(self, units: bool = True) -> KeyedJob:
        """The keyed job of the R stage (`units`), or a router for the others (no plugin loaded)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # the ttl is wall-clock time, as Flink's processing time: the time a value was emitted
            # travels with it in the key's state, to another process after a restore
            dedup = None if self.dedup is None else replace(self.dedup, clock=time.time)
            job = KeyedJob(self.spec(), loads(self.plan_bytes, "the job's plan"), on_stale=self.on_stale,
                           dedup=dedup, units=units)
        for warning in caught:
            log.warning("%s", warning.message)
        return job

    def router(self) -> KeyedJob:
        return self.keyed(units=False)


class _Counted:
    """Flink counters plus plain totals for one task."""

    def _open_counters(self, metrics) -> None:
        group = metrics.add_group("pruner")
        self._counters = {name: group.counter(name) for name in TOTALS}
        self._totals = dict.fromkeys(TOTALS, 0)
        self._seen = (0, 0, 0)

    def _open_dead_letters(self, metrics) -> None:
        self._dead_letters = metrics.add_group("pruner").counter("dead_letters")

    def _dead_letter(self) -> None:
        """One more message set aside: the Flink metric pruner.dead_letters, and PROGRESS."""
        self._dead_letters.inc(1)
        PROGRESS["dead_letters"] += 1

    def _count(self, stats) -> None:
        run = sum(r for r, _ in stats.units.values())
        skipped = sum(s for _, s in stats.units.values())
        now = (run, skipped, stats.dropped)
        for name, new, old in zip(TOTALS, now, self._seen):
            if new > old:
                self._counters[name].inc(new - old)
                self._totals[name] += new - old
                TOTALS[name] += new - old
        self._seen = now

    def _close_counters(self, what: str) -> None:
        log.info("%s: %s", what, ", ".join(f"{k} {v:,}" for k, v in self._totals.items()))


# ---------------------------------------------------------------------- the keyed pipeline
DEAD_LETTERS_TAG = "dead-letters"


def _dead_letters_tag():
    from pyflink.datastream import OutputTag
    return OutputTag(DEAD_LETTERS_TAG, Types.STRING())


def dead_letter_line(letter: DeadLetter, stage: str) -> str:
    """A dead letter as one JSON line: the message's line, why, its raw text ("" when a unit
    failed on it: the line names it) and the stage that set it aside."""
    return json.dumps({"line": letter.line, "reason": letter.reason, "raw": letter.raw, "stage": stage},
                      ensure_ascii=False)


def record_line(n: int, record: SinkRecord) -> str:
    """A sink record as one JSON line: ``n`` numbers the records of its key from 1, so that a
    reader can order them whatever file they landed in, and an upsert sink can skip a record
    it already applied (``n`` not above the last one applied for that key). Strict JSON: a NaN
    or Infinity raises ValueError (the R stage makes such a record a dead letter)."""
    return json.dumps({"n": n, "op": record.op, "key": list(record.key), "fields": record.fields},
                      ensure_ascii=False, allow_nan=False, default=str)


def parse_record_line(text: str) -> tuple[tuple, int, SinkRecord]:
    """(key, n, record) of one ``record_line``."""
    data = json.loads(text)
    key = tuple(data["key"])
    return key, data["n"], SinkRecord(data["op"], key, data["fields"])


@dataclass(frozen=True)
class Drill:
    """Failure drill: fail the task at given points, each once, to prove that a restart from
    the last checkpoint loses and duplicates nothing. A point is (stage, line): the stage
    ("decode", "S", "D", "M" or "R") raises when it handles the message of that line (its
    number in the order the decode stage read them). `folder` holds one marker file per point
    that fired, so a point fires once across restarts."""

    points: tuple[tuple[str, int], ...]
    folder: str

    def check(self, stage: str, line: int) -> None:
        if (stage, line) not in self.points:
            return
        try:
            with open(Path(self.folder) / f"fired-{stage}-{line}", "x") as marker:
                marker.write("1")
        except FileExistsError:
            return
        raise DrillFailure(f"failure drill: stage {stage} fails at line {line}")


class DrillFailure(RuntimeError):
    """Raised by a ``Drill`` point: an injected failure, not a bug."""


class _Decode(KeyedProcessFunction, _Counted):
    """Source side, one key for the whole input: numbers the messages in the order read (the
    count is keyed state, so it comes back with a checkpoint and a dead letter's line is right
    after a restart), decodes each one and routes its changes to M, S or a D stage. Messages
    that cannot be used go to the dead-letter side output.

    Messages are text, or bytes (``file_source`` hands over the file's bytes, so that invalid
    UTF-8 is a dead letter as in ``pruner replay``, never replaced). A changelog-json ``-U``
    waits in keyed state for its ``+U`` (the next message); when a bounded input ends with one
    still waiting, the end-of-input watermark fires a timer that makes it a dead letter."""

    END_OF_INPUT = 2 ** 63 - 2           # an event-time timer only the final watermark reaches

    def __init__(self, job: FlinkJob, fmt: str) -> None:
        self.job = job
        self.fmt = fmt

    def open(self, runtime_context: RuntimeContext) -> None:
        from pyflink.common import Types as T

        from pruner.cdc.decode import MessageDecoder
        self.keyed = self.job.router()
        self.count = runtime_context.get_state(ValueStateDescriptor("line", T.LONG()))
        self.decoder = MessageDecoder(self.fmt, self.keyed.spec.types)
        self.pending = runtime_context.get_state(ValueStateDescriptor("pending", PICKLED)) if self.decoder.pair else None
        self.tag = _dead_letters_tag()
        self._open_dead_letters(runtime_context.get_metrics_group())

    def process_element(self, message, ctx: KeyedProcessFunction.Context):
        line = (self.count.value() or 0) + 1
        if self.job.drill is not None:
            self.job.drill.check("decode", line)
        self.count.update(line)
        PROGRESS["messages_read"] += 1
        pending = self.pending.value() if self.pending is not None else None
        found, waiting = self.decoder.feed(line, message, pending)
        if self.pending is not None and waiting is not pending:
            if waiting is None:
                self.pending.clear()
            else:
                self.pending.update(waiting)
                ctx.timer_service().register_event_time_timer(self.END_OF_INPUT)
        yield from self._route(found, message)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):
        if self.pending is not None and self.pending.value() is not None:
            found = self.decoder.end(self.pending.value())
            self.pending.clear()
            yield from self._route(found, "")

    def _route(self, found: list, message: Any):
        for change in found:
            if isinstance(change, DeadLetter):
                self._dead_letter()
                yield self.tag, dead_letter_line(change, "decode")
                continue
            routed = self.keyed.route(change)
            if routed.bad:
                self._dead_letter()
                raw = line_text(message)[0] if message else ""
                yield self.tag, dead_letter_line(DeadLetter(change.line, "; ".join(routed.bad), raw), "decode")
            for key, part in routed.rows:
                yield ("S", repr(key), (key, part))
            for member_key, part in routed.members:
                yield ("M", repr((part.table, member_key)), part)
            for i, key, part in routed.dims:
                yield (("D", i), repr(key), {"t": "dim", "lookup": key, "change": part})

class _Stage(KeyedProcessFunction, _Counted):
    """One keyed stage; its state is one pickled ValueState per key (R: plus the number of
    records its key has emitted, and with dedup the values last emitted, in a ValueState of
    their own so that Flink's state TTL can expire them)."""

    def __init__(self, job: FlinkJob, stage: tuple) -> None:
        self.job = job
        self.stage = stage

    def open(self, runtime_context: RuntimeContext) -> None:
        from pyflink.common import Types as T
        self.keyed = self.job.keyed() if self.stage[0] == "R" else self.job.router()
        self.state = runtime_context.get_state(ValueStateDescriptor("pruner", PICKLED))
        self.sent = None
        if self.stage[0] == "R":
            self.emitted = runtime_context.get_state(ValueStateDescriptor("records", T.LONG()))
            self.tag = _dead_letters_tag()
            if self.job.dedup is not None:
                self.sent = runtime_context.get_state(_sent_descriptor(self.job.dedup))
        self._open_counters(runtime_context.get_metrics_group())
        self._open_dead_letters(runtime_context.get_metrics_group())

    def process_element(self, value, ctx: KeyedProcessFunction.Context):
        _, _, payload = value
        kind = self.stage[0]
        if self.job.drill is not None:
            self.job.drill.check(kind, _line_of(kind, payload))
        if kind == "M":
            state, out = self.keyed.member(self.state.value(), payload)
            self._store(state)
            for key, part in out:
                yield ("S", repr(key), (key, part))
        elif kind == "S":
            key, change = payload
            seq, event = self.keyed.sequence(self.state.value(), key, change)
            self.state.update(seq)
            yield self._forward(event, -1)
        elif kind == "D":
            state, out = self.keyed.dimension(self.stage[1], self.state.value(), payload)
            self.state.update(state)
            for event in out:
                yield ("R", repr(event["key"]), event) if event["t"] == "refresh" else self._forward(event, self.stage[1])
        else:
            key = payload["key"]
            state = self.state.value()
            before = self._with_sent(state)
            state, records = self.keyed.row(key, state, payload)
            self._keep_sent(state, before)
            self._store(state)
            self._count(self.keyed.engine.stats)
            for letter in self.keyed.take_dead_letters():
                self._dead_letter()
                yield self.tag, dead_letter_line(letter, "R")
            n = self.emitted.value() or 0
            for record in records:
                try:
                    text = record_line(n + 1, record)
                except ValueError as error:         # NaN or Infinity: no JSON sink holds it
                    self._dead_letter()
                    yield self.tag, dead_letter_line(DeadLetter(
                        _line_of("R", payload), f"sink record of key {list(key)} not written: {error}", ""), "R")
                    continue
                n += 1
                yield text
            if n:
                self.emitted.update(n)

    def _with_sent(self, state: dict | None) -> Any:
        """Dedup: put the values last emitted for the key (their own state) into the engine's."""
        if self.sent is None or state is None or state.get("engine") is None:
            return None
        state["engine"].pop("emitted", None)       # (a savepoint from before they had their own)
        sent = self.sent.value()                   # None once Flink's TTL expired them
        if sent is not None:
            state["engine"]["emitted"] = sent
        return sent

    def _keep_sent(self, state: dict | None, before: Any) -> None:
        """...and take them out again; written only when a record changed them, so the TTL
        counts from the last record emitted (as the local engine's does)."""
        if self.sent is None or state is None or state.get("engine") is None:
            return
        sent = state["engine"].pop("emitted", None)
        if sent is None:
            if before is not None:
                self.sent.clear()
        elif sent is not before:
            self.sent.update(sent)

    def _forward(self, event: dict, after: int) -> tuple:
        stage, key = self.keyed.next_stage(event, after)
        return (stage if stage[0] == "D" else "R", repr(key), event)

    def _store(self, state) -> None:
        if state is None:
            self.state.clear()
        else:
            self.state.update(state)

    def close(self) -> None:
        if self.stage[0] == "R":
            self._close_counters("pruner R stage")


def _sent_descriptor(dedup: Dedup) -> ValueStateDescriptor:
    """R's state for the values last emitted per key. With a ttl, two parts:
    - what is sent: the engine compares the time each value was emitted (wall clock, kept with
      it) at the key's next record, as the local engine does: past the ttl, a full row goes out.
      PyFlink's worker caches state reads, so Flink's TTL alone cannot be relied on there.
    - memory: Flink's state TTL (processing time, from the last write) drops the values of keys
      that saw no record for that long from the state backend and from full snapshots.
    Expired values may still be returned until cleaned up (NeverReturnExpired would turn
    PyFlink's read cache off for every state of the worker); the engine's check decides."""
    descriptor = ValueStateDescriptor("emitted", PICKLED)
    if dedup.ttl is not None:
        from pyflink.common.time import Time
        descriptor.enable_time_to_live(
            StateTtlConfig.new_builder(Time.milliseconds(max(1, round(dedup.ttl * 1000))))
            .set_update_type(StateTtlConfig.UpdateType.OnCreateAndWrite)
            .set_state_visibility(StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp)
            .cleanup_full_snapshot()
            .build())
    return descriptor


def _line_of(kind: str, payload: Any) -> int:
    if kind == "S":
        return payload[1].line
    if kind == "M":
        return payload.line
    return payload["change"].line


@dataclass(frozen=True)
class Topology:
    """The keyed job's two outputs: ``records``, sink records as JSON lines (``record_line``),
    and ``dead_letters``, messages set aside as JSON lines (``dead_letter_line``)."""

    records: Any
    dead_letters: Any


def keyed_topology(env: StreamExecutionEnvironment, job: FlinkJob, messages: Iterable[str] | Any,
                   fmt: str = "debezium-json") -> Topology:
    """The job as a keyed DataStream topology.

    `messages` is a DataStream of raw CDC messages (text, or bytes as ``file_source`` gives
    them: read as strict UTF-8; or a Kafka source), or a list of text messages (a bounded source, for examples and tests); `fmt` is one of
    ``pruner.cdc.FORMATS``. Every stage is partitioned by its key; each operator has a stable
    uid, so a savepoint restores into the same job compiled again.

    Changes of one key must reach S in the order the source has them. The decode stage keeps
    each source subtask's order (it is one keyed task: it numbers the messages), so give a
    source whose subtasks each read whole partitions of the change log (as Kafka partitions
    by key, or one file per partition), never a rebalanced stream."""
    if isinstance(messages, (list, tuple)):
        messages = env.from_collection(list(messages), type_info=Types.STRING()).set_parallelism(1)
    decoded = (messages.key_by(lambda m: 0, key_type=Types.INT())
               .process(_Decode(job, fmt), output_type=PICKLED).name("decode + route").uid("pruner-decode"))
    spec = job.spec()
    n_joins = sum(isinstance(s, DimJoinStep) for s in spec.pipeline)

    def only(stream, tag):
        return stream.filter(lambda t, tag=tag: t[0] == tag)

    def stage(stream, tag, name, uid, output_type=PICKLED):
        return (stream.key_by(lambda t: t[1], key_type=Types.STRING())
                .process(_Stage(job, tag if isinstance(tag, tuple) else (tag,)), output_type=output_type)
                .name(name).uid(uid))

    m_out = stage(only(decoded, "M"), "M", "M: aggregated rows", "pruner-M") if spec.aggregated_sources else None
    s_in = only(decoded, "S") if m_out is None else only(decoded, "S").union(m_out)
    s_out = stage(s_in, "S", "S: sequence", "pruner-S")
    feeds = [decoded, s_out]
    for i in range(n_joins):
        parts = [only(f, ("D", i)) for f in feeds]
        d_in = parts[0].union(*parts[1:])
        feeds.append(stage(d_in, ("D", i), f"D{i}: dimension", f"pruner-D{i}"))
    parts = [only(f, "R") for f in feeds[1:]]
    r_in = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    records = stage(r_in, "R", "R: units", "pruner-R", Types.STRING())
    tag = _dead_letters_tag()
    return Topology(records, decoded.get_side_output(tag).union(records.get_side_output(tag)))


def keyed_pipeline(env: StreamExecutionEnvironment, job: FlinkJob, messages: Iterable[str] | Any,
                   fmt: str = "debezium-json"):
    """The keyed job's sink records as a DataStream of ``SinkRecord``s (see ``keyed_topology``,
    which also gives the dead letters and the records as JSON lines)."""
    return keyed_topology(env, job, messages, fmt).records.map(
        lambda text: parse_record_line(text)[2], output_type=PICKLED).name("records")


# ---------------------------------------------------------------------- files in and out
def file_source(env: StreamExecutionEnvironment, path: str | Path, *, monitor_ms: int | None = None):
    """CDC messages, one per line, from a file or a directory (every file in it), read with
    Flink's own ``FileSource``: bounded, or with `monitor_ms` a directory watched for new files
    for ever. Its position is checkpointed: after a restore it reads on from there, and a file
    is never read twice. Each file is one split, read by one source subtask in order: put each
    key's changes in one file (as Kafka keeps them in one partition).

    A Kafka source instead is one line (with the Kafka connector jar added to the job):
    ``env.from_source(KafkaSource.builder()...set_value_only_deserializer(SimpleStringSchema())
    .build(), WatermarkStrategy.no_watermarks(), "cdc")``."""
    from pyflink.common import Duration, WatermarkStrategy
    from pyflink.datastream.connectors.file_system import FileSource, StreamFormat
    # Read as ISO-8859-1, one character per byte, and turned back into the line's bytes: the
    # decoder then reads them as strict UTF-8, as `pruner replay` does (read as UTF-8, Java
    # would replace invalid bytes with U+FFFD and the altered text would reach the sink)
    builder = FileSource.for_record_stream_format(StreamFormat.text_line_format("ISO-8859-1"),
                                                  str(Path(path).resolve()))
    if monitor_ms is not None:
        builder = builder.monitor_continuously(Duration.of_millis(monitor_ms))
    return (env.from_source(builder.build(), WatermarkStrategy.no_watermarks(), "CDC files").uid("pruner-source")
            .map(_latin1_bytes, output_type=Types.PRIMITIVE_ARRAY(Types.BYTE())).name("bytes").uid("pruner-bytes"))


def _latin1_bytes(text: str) -> bytes:
    return text.encode("latin-1")


RECORDS, DEAD_LETTERS = "records", "dead_letters"


def file_sinks(topology: Topology, sink_dir: str | Path) -> None:
    """Write the records and the dead letters with Flink's ``FileSink`` as JSON lines, under
    ``sink_dir/records`` and ``sink_dir/dead_letters``. Part files are committed on each
    checkpoint (and at the end of a bounded job): a committed file holds each line exactly
    once, whatever failed and was restored; files still being written are hidden (their name
    starts with a dot) and never read by ``read_records``."""
    from pyflink.common import Encoder
    from pyflink.datastream.connectors.file_system import BucketAssigner, FileSink, RollingPolicy

    def sink(folder: Path):
        return (FileSink.for_row_format(str(folder), Encoder.simple_string_encoder())
                .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
                .with_rolling_policy(RollingPolicy.on_checkpoint_rolling_policy()).build())
    base = Path(sink_dir).resolve()
    topology.records.sink_to(sink(base / RECORDS)).name("records: FileSink").uid("pruner-records-sink")
    topology.dead_letters.sink_to(sink(base / DEAD_LETTERS)).name("dead letters: FileSink").uid(
        "pruner-dead-letters-sink")


def committed_files(folder: str | Path) -> list[Path]:
    """The part files a FileSink has committed under `folder` (not the hidden in-progress ones)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(folder).parts))


def read_records(sink_dir: str | Path) -> dict[tuple, list[tuple[int, SinkRecord]]]:
    """The committed records of a `file_sinks` output, per key in record order (by ``n``)."""
    by_key: dict[tuple, list[tuple[int, SinkRecord]]] = {}
    for path in committed_files(Path(sink_dir) / RECORDS):
        with open(path, encoding="utf-8") as lines:
            for text in lines:
                if text.strip():
                    key, n, record = parse_record_line(text)
                    by_key.setdefault(key, []).append((n, record))
    for records in by_key.values():
        records.sort(key=lambda r: r[0])
    return by_key


def read_dead_letters(sink_dir: str | Path) -> list[dict]:
    """The committed dead letters of a `file_sinks` output, by line."""
    letters = []
    for path in committed_files(Path(sink_dir) / DEAD_LETTERS):
        with open(path, encoding="utf-8") as lines:
            letters += [json.loads(text) for text in lines if text.strip()]
    return sorted(letters, key=lambda d: (d["line"], d["stage"], d["reason"]))


def gaps_and_repeats(by_key: dict[tuple, list[tuple[int, SinkRecord]]]) -> tuple[int, int]:
    """(records lost, records duplicated) by the numbers: each key's records must be 1..N."""
    lost = repeated = 0
    for records in by_key.values():
        numbers = [n for n, _ in records]
        repeated += len(numbers) - len(set(numbers))
        lost += max(numbers) - len(set(numbers))
    return lost, repeated


def sink_table(job: FlinkJob, by_key: dict[tuple, list[tuple[int, SinkRecord]]]):
    """The sink table a downstream store builds from the records, applied per key in order."""
    from pruner.runtime.engine import SinkTable
    spec = job.spec()
    table = SinkTable(spec.sink.fields, spec.sink.primary_key)
    for records in by_key.values():
        table.apply_all(record for _, record in records)
    return table


# ---------------------------------------------------------------------- the stateless UDTF
OPS = {RowKind.INSERT: "+I", RowKind.UPDATE_BEFORE: "-U", RowKind.UPDATE_AFTER: "+U", RowKind.DELETE: "-D"}
KINDS = {v: k for k, v in OPS.items()}


def changelog_rows(changes: Iterable[Change], table: str, columns: tuple[str, ...],
                   key: tuple[str, ...]) -> list[Row]:
    """Changelog rows of one table for ``from_changelog_stream``: ``(_op, _changed, *columns)``
    with the row kind set. An update is a -U/+U pair; ``_changed`` is the comma-separated
    changed fields, or ``*`` when every field counts as changed (an insert, a row not seen before).

    The rows are normalized by primary key (`key`), as Flink's ChangelogNormalize does for a
    CDC source with a primary key: the -U image is the row as last seen, never the message's
    own before image, and ``_changed`` is the message's list plus every field that differs
    from that row (strict JSON equality). A redelivered old message then prunes by what it
    really changes; an insert of a row already seen is an update of it, a delete of a row not
    seen is nothing. Without this, a stateless UDTF that trusts a redelivered message's own
    diff would write part of an old row over the new one."""
    rows = []
    held: dict[tuple, dict] = {}

    def make(kind: str, image: dict, changed: str) -> Row:
        row = Row(kind, changed, *[_cell(image.get(c)) for c in columns])
        row.set_row_kind(KINDS[kind])
        return row

    def key_of(image: Any) -> tuple | None:
        if not isinstance(image, dict) or any(f not in image for f in key):
            return None
        return tuple(image[f] for f in key)

    def upsert(after: dict, listed: frozenset[str] | None) -> None:
        k = key_of(after)
        old = held.get(k) if k is not None else None
        if old is None:
            rows.append(make("+I", after, "*"))
        else:
            changed = "*" if listed is None else ",".join(sorted(set(listed) | changed_fields(old, after)))
            rows.append(make("-U", old, changed))
            rows.append(make("+U", after, changed))
        if k is not None:
            held[k] = after

    def delete(image: Any) -> None:
        old = held.pop(key_of(image), None)
        if old is not None:
            rows.append(make("-D", old, "*"))

    for change in changes:
        if change.table != table:
            continue
        if change.kind in (INSERT, SNAPSHOT):
            upsert(dict(change.after), frozenset())
        elif change.kind == DELETE:
            delete(change.before)
        elif change.kind == UPDATE:
            before_key, after_key = key_of(change.before), key_of(change.after)
            old = held.get(after_key)
            after = {**old, **change.after} if change.partial and old is not None else dict(change.after)
            if before_key is not None and before_key != after_key:
                delete(change.before)
                upsert(after, None)
            else:
                upsert(after, change.changed)
    return rows


def _cell(value: Any) -> str | None:
    """Column values travel as JSON text: the UDTF decodes them back to what the row held."""
    return None if value is None else json.dumps(value)


def flink_type(column: ColumnType | None, what: str = "a column"):
    """The Flink SQL type of a declared column type (None or json: JSON text, STRING)."""
    from pyflink.table import DataTypes
    if column is None or column.kind == "json":
        return DataTypes.STRING()
    kind = column.kind
    if kind == "int":
        for low, high, make in ((-2 ** 7, 2 ** 7 - 1, DataTypes.TINYINT), (-2 ** 15, 2 ** 15 - 1, DataTypes.SMALLINT),
                                (-2 ** 31, 2 ** 31 - 1, DataTypes.INT), (-2 ** 63, 2 ** 63 - 1, DataTypes.BIGINT)):
            if low <= column.low and column.high <= high:
                return make()
        return DataTypes.DECIMAL(20, 0)                  # bigint unsigned
    if kind == "decimal":
        if column.precision is None or column.precision > 38:
            raise ValueError(f"{what} is {column.spelled}: Flink's DECIMAL needs a precision of at most 38; "
                             "declare decimal(p,s) with p <= 38, or json for JSON text")
        return DataTypes.DECIMAL(column.precision, column.scale)
    return {"double": DataTypes.DOUBLE, "string": DataTypes.STRING, "bool": DataTypes.BOOLEAN,
            "timestamp": lambda: DataTypes.TIMESTAMP(6), "date": DataTypes.DATE, "bytes": DataTypes.BYTES}[kind]()


def _source_types(spec: JobSpec, step: str) -> dict[str, ColumnType]:
    """The declared type of each field as the step sees it (row-source fields, renamed by the
    rename steps before it)."""
    types: dict[str, ColumnType] = {}
    for table in spec.row_sources:
        for name, column in table.types:
            types.setdefault(name, column)
    for s in spec.pipeline:
        if s.name == step:
            break
        if isinstance(s, RenameStep):         # moves values, all at once: an old name is gone
            was = dict(types)
            for old, _ in s.fields:
                types.pop(old, None)
            for old, new in s.fields:
                types.pop(new, None)
                if old in was:
                    types[new] = was[old]
    return types


class PrunedUDTF(TableFunction, _Counted):
    """One UDTF step of the job, pruned statelessly by the ``_changed`` column.

    Called as ``LATERAL TABLE(f(_op, _changed, c1, c2, ...))`` with `columns` naming c1... as
    the step's Processors see them (after renames). It yields one row per call:
    ``(_set, out1, out2, ...)``, where ``_set`` lists the outputs computed this time (a
    partial update). A -U yields nothing (its +U follows); a -D yields one row with nothing
    set, so the delete reaches the sink. Register it with ``result_types(job, step)``.

    Typed columns: an output is typed by the sink's ``types`` (or, for an output named like a
    field of a row source, by that field's declared type), as ``flink_type`` maps it; a value
    that does not fit fails with the step, output and value. An untyped (or json) output is
    JSON text. An input column whose source field is typed (not json) takes Flink's value of
    that type; an untyped or json one takes JSON text (a non-text value is taken as it is)."""

    def __init__(self, job: FlinkJob, step: str, columns: tuple[str, ...]) -> None:
        self.job = job
        self.step = step
        self.columns = tuple(columns)

    @staticmethod
    def outputs_of(job: FlinkJob, step: str) -> tuple[str, ...]:
        plan = loads(job.plan_bytes, "the job's plan")
        names: list[str] = []
        for unit in plan.units:
            if unit.step == step:
                names += [w for w in unit.writes if w not in names]
        if not names:
            raise ValueError(f"the plan has no UDTF step {step!r} with outputs")
        return tuple(names)

    @staticmethod
    def output_columns(job: FlinkJob, step: str) -> tuple[tuple[str, ColumnType | None], ...]:
        """(output, its declared type or None: JSON text) in column order."""
        spec = job.spec()
        sources = _source_types(spec, step)
        return tuple((name, spec.sink.type_of(name) or sources.get(name))
                     for name in PrunedUDTF.outputs_of(job, step))

    @staticmethod
    def result_types(job: FlinkJob, step: str) -> list:
        """The UDTF's Flink result types: ``_set`` (STRING), then one per output."""
        from pyflink.table import DataTypes
        return [DataTypes.STRING()] + [flink_type(column, f"output {name!r} of step {step!r}")
                                       for name, column in PrunedUDTF.output_columns(job, step)]

    def open(self, function_context: FunctionContext) -> None:
        from pruner.runtime.plugins import load_class
        keyed = self.job.keyed()
        self.prune = keyed.engine.prune
        spec = keyed.spec
        self.units = [u for u in keyed.plan.units if u.step == self.step]
        self.instances = [load_class(spec, u.class_ref)() for u in self.units]
        self.plan = keyed.plan
        self.sources = tuple(t.name for t in spec.row_sources)
        self.deps = [to_int(u.dep) for u in self.units]
        self.outputs = self.outputs_of(self.job, self.step)
        self.output_types = [column for _, column in self.output_columns(self.job, self.step)]
        sources = _source_types(spec, self.step)
        self.input_types = [sources.get(c) for c in self.columns]
        self._open_counters(function_context.get_metric_group())
        self._run = self._skipped = 0

    def eval(self, op: str, changed: str | None, *values: str | None):
        if op == "-U":
            return
        if op == "-D":
            yield Row("", *([None] * len(self.outputs)))
            return
        row = {c: self._input(c, t, v) for c, t, v in zip(self.columns, self.input_types, values)}
        fields = None if (changed in (None, "*") or not self.prune) else set(changed.split(","))
        run = self._plan(fields)
        out: dict[str, Any] = {}
        for unit, instance, runs in zip(self.units, self.instances, run):
            if runs:
                result: dict[str, Any] = {}
                # a Processor the analyzer could not prove leaves values alone gets a private
                # copy of the row, as in the engine: its in-place changes reach nothing else
                instance.process(copy.deepcopy(row) if unit.isolated else row, result)
                row.update(result)
                out.update(result)
        self._run += sum(run)
        self._skipped += len(run) - sum(run)
        self._bump()
        yield Row(",".join(k for k in self.outputs if k in out),
                  *[self._output(k, t, out[k]) if k in out else None
                    for k, t in zip(self.outputs, self.output_types)])

    def _input(self, column: str, typed: ColumnType | None, value: Any) -> Any:
        if value is None:
            return None
        if typed is None or typed.kind == "json":
            return json.loads(value) if isinstance(value, str) else value
        try:
            return coerce_value(value, typed)
        except ValueError as error:
            raise ValueError(f"step {self.step!r}, input column {column!r}: {error}") from None

    def _output(self, name: str, typed: ColumnType | None, value: Any) -> Any:
        if typed is None or typed.kind == "json":
            return json.dumps(value)
        try:
            value = coerce_value(value, typed)
        except ValueError as error:
            raise ValueError(f"step {self.step!r}, output {name!r}: {error} (declare its type in the "
                             "sink's types, or json for JSON text)") from None
        if typed.kind == "timestamp" and value is not None and value.tzinfo is not None:
            # Flink's TIMESTAMP has no zone: the instant, in UTC
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        if typed.kind == "int" and typed.high is not None and typed.high > 2 ** 63 - 1:
            value = Decimal(value)            # bigint unsigned: DECIMAL(20, 0)
        return value

    def _plan(self, fields: set[str] | None) -> list[bool]:
        """Which Processors run: those whose dep (source fields, through every rename and every
        earlier step) meets the changed source fields, by the one rule (``change_mask``), plus
        those of this step supplying their inputs."""
        n = len(self.units)
        if fields is None:
            return [True] * n
        mask = 0
        unknown = set(fields)
        for source in self.sources:          # the changelog's table is one of the row sources
            known = self.plan.namespaces.get(source, {})
            names = tuple(sorted(f for f in fields if f in known))
            if names:
                mask |= change_mask(self.plan, source, names, "update")
                unknown -= set(names)
        if unknown:                           # a field no row source declares: the wildcard
            mask |= 1 << self.plan.wildcard_bit
        runs = [not u.dead and (not u.prunable or bool(dep & mask)) for u, dep in zip(self.units, self.deps)]
        position = {u.index: i for i, u in enumerate(self.units)}
        changed = True
        while changed:                                  # to a fixed point:
            changed = False
            for i in range(n):
                if not runs[i]:
                    continue
                unit = self.units[i]
                # its suppliers in this step (the plan's, writes of fields named by data too)
                needed = [position[j] for j in unit.supply if j in position]
                # and every later writer of a field it writes: what the step emits for a field is
                # its last writer's value, never an intermediate one
                needed += [k for k in range(i + 1, n) if not self.units[k].dead and (
                    unit.writes_all or self.units[k].writes_all or set(unit.writes) & set(self.units[k].writes))]
                for k in needed:
                    if not runs[k]:
                        runs[k] = changed = True
        return runs

    def _bump(self) -> None:
        for name, value in (("units_run", self._run), ("units_skipped", self._skipped)):
            if value:
                self._counters[name].inc(value)
                self._totals[name] += value
                TOTALS[name] += value
        self._run = self._skipped = 0

    def close(self) -> None:
        self._close_counters(f"pruner UDTF {self.step}")
