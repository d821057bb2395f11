"""Replay a captured CDC stream through a job: the product's main job from the command line."""
from __future__ import annotations

import datetime
import json
import math
import sys
import time
from decimal import Decimal
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from pruner.cdc import decode
from pruner.cdc.decode import FORMATS, line_text
from pruner.cdc.model import Change, DeadLetter, DecodeStats
from pruner.planfile import read_plan
from pruner.runtime.engine import Engine, RunStats, SinkTable
from pruner.runtime.order import SourceOrder
from pruner.runtime.stores import sqlite_stores
from pruner.spec import load_spec

PROGRESS_EVERY_S = 2.0
# When this many messages came and every one was a dead letter of the decoder, the input is
# not in the format given: stop instead of dead-lettering the whole file.
FIRST_MESSAGES_CHECKED = 50


class WrongFormatError(Exception):
    """The first messages of the input were all unusable: it is not in the format given."""


@dataclass
class ReplayResult:
    sink: SinkTable
    stats: RunStats
    decode_stats: DecodeStats
    dead_letters: list[DeadLetter]
    older_skipped: int = 0          # redelivered messages older than their row's last change
    # With replay(..., hold_store=True): the --dim-store's open transaction, for the caller to
    # end with finish_store once it knows whether the run's outputs were written.
    store: Any = None
    engine: Engine | None = None    # the engine that ran (its tables: the final source state)

    def finish_store(self, keep: bool) -> None:
        """Commit (`keep`) or roll back what the run did to its --dim-store; once."""
        connection, self.store = self.store, None
        if connection is not None:
            connection.execute("COMMIT" if keep else "ROLLBACK")

    def stats_json(self) -> dict[str, Any]:
        data = self.stats.to_json()
        data["older_skipped"] = self.older_skipped
        data["messages"] = self.decode_stats.messages
        data["changes"] = self.stats.messages
        data["dead_letter"] = len(self.dead_letters)
        data["decode"] = self.decode_stats.to_json()
        return data


class SinkValueError(ValueError):
    """A sink value that RFC 8259 JSON cannot hold (a processor made NaN or Infinity)."""


class _Lines:
    """Iterates input lines (``str`` or ``bytes``) and remembers the recent ones, for dead letters."""

    def __init__(self, lines: Iterable[str] | Iterable[bytes]) -> None:
        self._lines = lines
        self._recent: dict[int, str | bytes] = {}
        self.count = 0

    def __iter__(self) -> Iterator[str | bytes]:
        for self.count, line in enumerate(self._lines, start=1):
            self._recent[self.count] = line
            if len(self._recent) > 64:
                self._recent.pop(min(self._recent))
            yield line

    def text(self, line: int) -> str:
        """The text of a recent line, as ``decode()`` puts it in a dead letter: bytes that are
        not UTF-8 escaped, never replaced."""
        item = self._recent.get(line)
        return "" if item is None else line_text(item)[0]

    def recent_texts(self) -> list[str]:
        return [self.text(n) for n in sorted(self._recent)]


def replay(spec_path: str | Path, plan_path: str | Path, lines: Iterable[str] | Iterable[bytes], fmt: str,
           mode: str, *, on_stale: str = "stop", progress: IO[str] | None = None,
           dim_store: str | Path | None = None, dedup=None, source_order: bool = True,
           hold_store: bool = False, finish: bool = True) -> ReplayResult:
    """Decode and run `lines` (``str`` or ``bytes``, see ``decode()``); with `dim_store`, the
    dimension tables live in that SQLite file.

    The run is one transaction of the store: a run that raises changes nothing in it. It is
    committed at the end, or with `hold_store` left open in the result (``finish_store``), so
    that a caller writing outputs commits the store only when they are written.

    With `source_order`, a message older than the last one applied to its row (by the
    source position the format carries, see pruner.runtime.order) is skipped and counted.

    Raises ``SinkValueError`` (a ``ValueError``) at the end if a sink row holds NaN or Infinity,
    which a processor computed (the input cannot carry them: ``decode()`` dead-letters them):
    RFC 8259 JSON has no such value, and writing it as null or as a string would alter it.
    Raises ``WrongFormatError`` when the first messages are all unusable.

    Without `finish` the engine's ``finish`` is not called: a batch-mode run then only builds
    the final source state (``result.engine.tables``), running no unit (``pruner backfill``).
    """
    spec = load_spec(spec_path)
    plan = read_plan(plan_path)
    stores = sqlite_stores(dim_store, list(spec.dimensions)) if dim_store is not None else None
    connection = next(iter(stores.values())).connection if stores else None
    if connection is None:
        return _replay(spec, plan, lines, fmt, mode, on_stale, progress, None, dedup, source_order, finish)
    connection.execute("BEGIN")
    try:
        result = _replay(spec, plan, lines, fmt, mode, on_stale, progress, stores, dedup, source_order, finish)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    result.store = connection
    if not hold_store:
        result.finish_store(True)
    return result


def _replay(spec, plan, lines, fmt: str, mode: str, on_stale: str, progress: IO[str] | None, stores, dedup,
            source_order: bool, finish: bool = True) -> ReplayResult:
    engine = Engine(spec, plan, mode, on_stale=on_stale, stores=stores, dedup=dedup)
    sink = SinkTable(spec.sink.fields, spec.sink.primary_key)
    decode_stats = DecodeStats()
    dead: list[DeadLetter] = []
    source = _Lines(lines)
    order = SourceOrder(spec) if source_order else None
    last_report = start = time.perf_counter()
    def run(message: list[Change]) -> None:
        """One message's changes (a Canal message holds several rows) as one transaction."""
        if order is not None:
            message = [change for change in message if not order.older(change)]
            if not message:
                return
        result = engine.process_all(message)
        if isinstance(result, DeadLetter):
            dead.append(DeadLetter(message[0].line, result.reason, source.text(message[0].line)))
            return
        if order is not None:
            for change in message:
                order.applied(change)
        sink.apply_all(result)

    message: list[Change] = []
    for item in decode(source, fmt, decode_stats, spec.types):
        if message and (isinstance(item, DeadLetter) or item.line != message[0].line):
            run(message)
            message = []
        if isinstance(item, DeadLetter):
            dead.append(item)
            if decode_stats.messages == FIRST_MESSAGES_CHECKED and decode_stats.dead_letter == decode_stats.messages:
                guess = guess_format(source.recent_texts(), fmt)
                if guess is not None:           # bad messages of the right format are only dead letters
                    raise WrongFormatError(f"the first {len(dead)} messages are all unusable as {fmt} "
                                           f"(line {dead[0].line}: {dead[0].reason}); does this look like "
                                           f"{guess}? (try --format {guess})")
            continue
        message.append(item)
        if progress is not None:
            now = time.perf_counter()
            if now - last_report >= PROGRESS_EVERY_S:
                last_report = now
                rate = engine.stats.messages / (now - start)
                progress.write(f"\r{source.count:,} lines, {engine.stats.messages:,} changes, "
                               f"{engine.stats.dropped:,} dropped ({rate:,.0f} changes/s)")
                progress.flush()
    if message:
        run(message)
    if finish:
        sink.apply_all(engine.finish())
        dead.extend(engine.finish_dead_letters)
    if progress is not None and time.perf_counter() - start >= PROGRESS_EVERY_S:
        progress.write("\n")
    check_sink(sink)
    return ReplayResult(sink=sink, stats=engine.stats, decode_stats=decode_stats, dead_letters=dead,
                        older_skipped=order.skipped if order is not None else 0, engine=engine)


def guess_format(lines: list[str], fmt: str) -> str | None:
    """The other format that reads most of `lines`, if any reads one."""
    scores = []
    for other in FORMATS:
        if other == fmt:
            continue
        stats = DecodeStats()
        for _ in decode(lines, other, stats):
            pass
        if stats.changes:
            scores.append((stats.messages - stats.dead_letter, other))
    return max(scores)[1] if scores else None


def format_hint(lines: list[str], fmt: str) -> str:
    """A guess at the format of `lines` for an error message."""
    guess = guess_format(lines, fmt)
    if guess is None:
        return ("no other format reads them either: is this a file of CDC messages, one JSON object "
                "per line, in UTF-8?")
    return f"does this look like {guess}? (try --format {guess})"


def check_sink(sink: SinkTable) -> None:
    """Raise ``SinkValueError`` naming the key and field of the first sink value JSON cannot
    hold exactly (at any depth): NaN or Infinity (a float or a Decimal), an integer beyond
    Python's digit limit, a dict key that is not a string, number, bool or null, or a value
    of a type that has no JSON form here (a set, an arbitrary object: written with ``str`` it
    would be text that differs between runs). What is overwritten or deleted before the end is
    never written, so it does not count."""
    for key, row in sink.rows.items():
        for name in sink.fields:
            bad = _bad_value(row.get(name))
            if bad is None:
                continue
            shown = dict(zip(sink.key_fields, key))
            if isinstance(bad, (float, Decimal)):
                token = "NaN" if bad != bad else "Infinity" if bad > 0 else "-Infinity"
                raise SinkValueError(
                    f"the sink row with key {shown} has {token} in field {name!r}: RFC 8259 JSON has "
                    f"no NaN or Infinity, so the sink is not written; make the processor that sets "
                    f"{name!r} give null or a finite number")
            raise SinkValueError(f"the sink row with key {shown} has {bad} in field {name!r}, which JSON cannot "
                                 f"hold, so the sink is not written; make the processor that sets {name!r} give "
                                 "JSON values (null, booleans, numbers, strings, lists, objects with string keys)")


_SCALARS = (str, int, bool, type(None), bytes, datetime.date, datetime.time)     # datetime is a date


def _bad_value(value: Any) -> Any:
    """The first value in `value` (at any depth) that JSON cannot hold, or a description of it;
    None when all is well. Decimal, dates, times and bytes are written as their text."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is float:
            if not math.isfinite(item):
                return item
        elif kind is Decimal:
            if not item.is_finite():
                return item
        elif kind is dict:
            for k in item:
                if not isinstance(k, (str, int, float, bool, type(None))) or isinstance(k, float) and not math.isfinite(k):
                    return f"a dict key {k!r} (a {type(k).__name__})"
            pending.extend(item.values())
        elif kind in (list, tuple):
            pending.extend(item)
        elif kind is int:
            if limit and item.bit_length() > 3 * limit:      # fewer bits cannot reach `limit` digits
                try:
                    str(item)
                except ValueError:
                    return f"an integer of more than {limit:,} digits"
        elif not isinstance(item, _SCALARS):
            return f"a value of type {kind.__name__} ({_short(item)})"
    return None


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:          # a value whose repr fails: its type says enough
        return "no repr"
    return text if len(text) <= 40 else text[:37] + "..."


def write_sink(result: ReplayResult, out: IO[str]) -> None:
    """One JSON object per sink row, by key. Strict RFC 8259 JSON: a NaN or Infinity raises
    ``SinkValueError`` (see ``check_sink``) before anything is written."""
    check_sink(result.sink)
    for row in result.sink.sorted_rows():
        out.write(json.dumps(row, default=str, ensure_ascii=False, allow_nan=False) + "\n")


def write_dead_letters(result: ReplayResult, out: IO[str]) -> None:
    for letter in result.dead_letters:
        out.write(json.dumps({"line": letter.line, "reason": letter.reason, "raw": letter.raw},
                             ensure_ascii=False, allow_nan=False) + "\n")


def summary(result: ReplayResult) -> str:
    stats = result.stats
    lines = [f"{result.decode_stats.messages:,} messages, {stats.messages:,} row changes, "
             f"{stats.dropped:,} dropped at the source, {len(result.dead_letters):,} "
             f"dead letter{'' if len(result.dead_letters) == 1 else 's'}, "
             f"{stats.unknown_table:,} for tables the job does not use, "
             f"{result.older_skipped:,} older than their row's last change (redelivered) skipped; "
             f"{stats.records:,} sink records, "
             f"{len(result.sink.rows):,} rows in the sink; {stats.seconds:.3f} s in the engine"]
    width = max([len(n) for n in stats.units] + [4])
    lines.append(f"{'UNIT':<{width}}  {'RUN':>9}  {'SKIPPED':>9}  PRUNED")
    for name, (run, skipped) in stats.units.items():
        total = run + skipped
        rate = f"{skipped / total:6.1%}" if total else "     -"
        lines.append(f"{name:<{width}}  {run:>9,}  {skipped:>9,}  {rate}")
    run = sum(r for r, _ in stats.units.values())
    skipped = sum(s for _, s in stats.units.values())
    if run + skipped:
        lines.append(f"{'all units':<{width}}  {run:>9,}  {skipped:>9,}  {skipped / (run + skipped):6.1%}")
    if stats.dedup is not None:
        d = stats.dedup
        lines.append(f"dedup: {d.suppressed:,} of {d.records:,} records pruning alone would send were not "
                     f"sent ({d.rate:.1%}); {d.full_rows:,} full rows after a forgotten key")
        fields = sorted(((u / c, f) for f, (c, u) in d.fields.items() if c), reverse=True)[:8]
        if fields:
            lines.append("  unchanged when compared: " + ", ".join(f"{f} {r:.0%}" for r, f in fields))
    return "\n".join(lines)


def open_input(path: str) -> Iterable[bytes]:
    """The input's lines as bytes (``-``: standard input): ``decode()`` reads them as strict
    UTF-8, so a line that is not UTF-8 becomes a dead letter, never altered data."""
    if path == "-":
        return sys.stdin.buffer
    return Path(path).open("rb")
