"""The benchmark's oracle (benchmarks/oracle/ecommerce_truth.yaml) checked against execution.

The fixture gives, written by hand, the true read/write sets of every Processor of the
ecommerce job. Here every Processor runs on a recording row while streams are replayed in
mode "full" (every unit on every message), and what the code really touched must be exactly
what the fixture says: the fixture cannot silently drift from the code.
"""
from __future__ import annotations

import importlib.util
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from plugin_sdk.declarations import ALWAYS_RUN_ATTR
from pruner.planfile import read_plan
from pruner.runtime import units as units_module
from pruner.runtime import plugins
from pruner.runtime.replay import replay
from pruner.spec import FilterStep, UdtfStep, load_spec

ROOT = Path(__file__).resolve().parents[1]
JOB = ROOT / "examples/ecommerce/job.yaml"
PLAN = ROOT / "compiled_plans/ecommerce.plan"
STREAM = ROOT / "examples/ecommerce/stream.debezium.jsonl"
TRUTH = ROOT / "benchmarks/oracle/ecommerce_truth.yaml"
ALL = "*"


# ---------------------------------------------------------------------- the fixture
def _truth() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(TRUTH.read_text())
    assert data["job"] == "ecommerce"
    return data["processors"]


def test_the_fixture_is_well_formed() -> None:
    for name, entry in _truth().items():
        assert set(entry) <= {"reads", "writes", "may_write", "always_run"}, name
        reads, writes = entry["reads"], entry["writes"]
        assert reads == ALL or (isinstance(reads, list) and len(set(reads)) == len(reads)), name
        assert isinstance(writes, list) and len(set(writes)) == len(writes), name
        assert set(entry.get("may_write", [])) <= set(writes), f"{name}: may_write must be part of writes"
        assert entry.get("always_run", False) in (True, False), name


def _job_classes() -> dict[str, type]:
    """Every Processor class of the job, as the job spec names it: filters and UDTF members."""
    spec = load_spec(JOB)
    classes = {}
    for step in spec.pipeline:
        if isinstance(step, FilterStep):
            found = [plugins.load_class(spec, step.class_ref)]
        elif isinstance(step, UdtfStep):
            found = list(plugins.load_class(spec, step.class_ref).processors)
        else:
            continue
        for cls in found:
            classes[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return classes


def test_the_fixture_lists_exactly_the_jobs_processors() -> None:
    classes = _job_classes()
    assert sorted(_truth()) == sorted(classes)
    in_plan = {u.class_ref for u in read_plan(PLAN).units if u.class_ref is not None}
    assert in_plan == set(classes)


def test_always_run_matches_the_declarations() -> None:
    for name, cls in _job_classes().items():
        assert bool(getattr(cls, ALWAYS_RUN_ATTR, False)) == _truth()[name].get("always_run", False), name


# ---------------------------------------------------------------------- recording execution
class RecordingRow(Mapping):
    """A read-only row that records which keys are read; iterating or sizing it reads all."""

    def __init__(self, row: dict[str, Any]) -> None:
        self._row = row
        self.reads: set[str] = set()
        self.everything = False

    def __getitem__(self, key: str) -> Any:
        self.reads.add(key)
        return self._row[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.reads.add(key)
        return self._row.get(key, default)

    def __contains__(self, key: object) -> bool:
        self.reads.add(key)
        return key in self._row

    def __iter__(self) -> Iterator[str]:
        self.everything = True
        return iter(self._row)

    def __len__(self) -> int:
        self.everything = True
        return len(self._row)

    def keys(self):
        self.everything = True
        return self._row.keys()

    def items(self):
        self.everything = True
        return self._row.items()

    def values(self):
        self.everything = True
        return self._row.values()


@dataclass
class Observed:
    calls: int = 0
    reads: set[str] = field(default_factory=set)
    everything: bool = False
    writes: set[str] = field(default_factory=set)
    always_written: set[str] | None = None

    def add(self, row: RecordingRow, out: dict[str, Any]) -> None:
        self.calls += 1
        self.reads |= row.reads
        self.everything |= row.everything
        self.writes |= set(out)
        self.always_written = set(out) if self.always_written is None else self.always_written & set(out)


def _recorded(monkeypatch, lines: list[str]) -> dict[str, Observed]:
    """Replays `lines` in mode full, every Processor on a RecordingRow; what each one did."""
    observed: dict[str, Observed] = {}

    def recording_runner(instance: Any, isolated: bool = False):
        cls = type(instance)
        seen = observed.setdefault(f"{cls.__module__}.{cls.__qualname__}", Observed())

        def run(row: dict[str, Any], key: tuple) -> dict[str, Any]:
            recorder, out = RecordingRow(row), {}
            try:
                instance.process(recorder, out)
            except Exception as error:
                raise units_module.UnitFailed(f"{cls.__name__} on key {key!r}", error) from error
            seen.add(recorder, out)
            return out

        return run

    monkeypatch.setattr(units_module, "processor_runner", recording_runner)
    result = replay(JOB, PLAN, lines, "debezium-json", "full")
    assert not result.dead_letters
    assert result.stats.messages > 0 and result.sink.rows
    return observed


def _generated_daily() -> list[str]:
    path = ROOT / "examples/ecommerce/generate_stream.py"
    spec = importlib.util.spec_from_file_location("generate_stream", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    buffer = io.StringIO()
    module.generate(buffer, profile="daily", seed=11, updates=3000, items=80)
    return buffer.getvalue().splitlines(keepends=True)


STREAMS = {
    "bundled": lambda: STREAM.read_text().splitlines(keepends=True),
    "daily": _generated_daily,
}


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_the_fixture_is_what_the_code_does(monkeypatch, stream: str) -> None:
    observed = _recorded(monkeypatch, STREAMS[stream]())
    truth = _truth()
    assert sorted(observed) == sorted(truth), "every Processor of the job must have run"
    problems = []
    for name, entry in truth.items():
        seen = observed[name]
        if entry["reads"] == ALL:
            if not seen.everything:
                problems.append(f"{name}: the fixture says it reads every field; it never touched the whole row")
        else:
            if seen.everything:
                problems.append(f"{name}: touched the whole row; the fixture lists {entry['reads']}")
            if seen.reads != set(entry["reads"]):
                problems.append(f"{name}: reads {sorted(seen.reads)}, the fixture says {sorted(entry['reads'])}")
        if seen.writes != set(entry["writes"]):
            problems.append(f"{name}: writes {sorted(seen.writes)}, the fixture says {sorted(entry['writes'])}")
        certain = set(entry["writes"]) - set(entry.get("may_write", []))
        if seen.always_written != certain:
            problems.append(f"{name}: writes {sorted(seen.always_written or ())} on every call, "
                            f"the fixture says {sorted(certain)}")
    assert not problems, "\n".join(problems)
