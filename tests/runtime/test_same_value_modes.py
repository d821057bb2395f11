"""Values Python calls equal that a Processor can still tell apart (the fourth adversary round).

An update that changes only such a value must still run the units reading it: every mode,
and the keyed runtime, end with the same sink. ``same_value`` is the one rule (the engine's
diff against the row it holds, the decoders' diff, dedup).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pruner.cdc.message import same_value
from pruner.compiler import build
from pruner.planfile import write_plan
from pruner.runtime.engine import MODES, SinkTable
from pruner.runtime.keyed import run_keyed
from pruner.runtime.replay import replay
from pruner.cdc import decode
from pruner.cdc.model import Change

_SDK = "from plugin_sdk import UDTF, Processor\n\n"


def _job(tmp_path: Path, name: str, fields: str, types: str, sink: str, processor: str) -> tuple[Path, Path]:
    job = tmp_path / name
    (job / "plugins").mkdir(parents=True)
    (job / "plugins/p.py").write_text(_SDK + processor + "\n\nclass U(UDTF):\n    processors = [P]\n")
    (job / "job.yaml").write_text(
        f"name: {name}\nplugins: [plugins]\nsources:\n  items:\n    primary_key: [id]\n"
        f"    fields: [{fields}]\n{types}pipeline:\n  - udtf: U\n    class: p.U\n"
        f"sink: {{name: s, primary_key: [id], fields: [{sink}]}}\n")
    plan = tmp_path / f"{name}.plan"
    write_plan(build(job / "job.yaml").plan, plan)
    return job / "job.yaml", plan


def _line(op: str, before, after) -> str:
    return json.dumps({"op": op, "before": before, "after": after, "source": {"table": "items"}})


def _every_mode(spec: Path, plan: Path, lines: list[str]) -> dict[str, list[dict]]:
    sinks = {}
    for mode in MODES:
        result = replay(spec, plan, lines, "debezium-json", mode)
        assert not result.dead_letters, mode
        sinks[mode] = result.sink.sorted_rows()
    built = build(spec)
    changes = [c for c in decode(lines, "debezium-json", types=built.spec.types) if isinstance(c, Change)]
    keyed = SinkTable(built.spec.sink.fields, built.spec.sink.primary_key)
    keyed.apply_all(run_keyed(built.spec, built.plan, changes).records)
    sinks["keyed"] = keyed.sorted_rows()
    return sinks


def test_an_object_whose_keys_only_move_is_a_change(tmp_path: Path) -> None:
    spec, plan = _job(tmp_path, "keys", "id, attrs, a", "", "id, a, first, text",
                      "import json\n\nclass P(Processor):\n    def process(self, row, out):\n"
                      "        out['first'] = next(iter(row['attrs']))\n"
                      "        out['text'] = json.dumps(row['attrs'])\n")
    before = {"id": 1, "attrs": {"x": 1, "y": 2}, "a": 1}
    after = {"id": 1, "attrs": {"y": 2, "x": 1}, "a": 1}
    sinks = _every_mode(spec, plan, [_line("c", None, before), _line("u", before, after)])
    assert sinks["full"] == [{"id": 1, "a": 1, "first": "y", "text": '{"y": 2, "x": 1}'}]
    assert all(rows == sinks["full"] for rows in sinks.values()), sinks


def test_a_timestamp_at_the_same_instant_with_another_offset_is_a_change(tmp_path: Path) -> None:
    spec, plan = _job(tmp_path, "tz", "id, ts, a", "    types: {id: bigint, ts: timestamp}\n",
                      "id, a, ts_text, hour",
                      "class P(Processor):\n    def process(self, row, out):\n"
                      "        out['ts_text'] = row['ts'].isoformat()\n        out['hour'] = row['ts'].hour\n")
    before = {"id": 1, "ts": "2020-01-01T12:00:00+00:00", "a": 1}
    after = {"id": 1, "ts": "2020-01-01T13:00:00+01:00", "a": 1}        # the same instant
    sinks = _every_mode(spec, plan, [_line("c", None, before), _line("u", before, after)])
    assert sinks["full"][0]["hour"] == 13
    assert all(rows == sinks["full"] for rows in sinks.values()), sinks


@pytest.mark.parametrize("a, b", [
    ({"x": 1, "y": 2}, {"y": 2, "x": 1}),
    ([{"x": 1, "y": 2}], [{"y": 2, "x": 1}]),
    (datetime(2020, 1, 1, 12, tzinfo=timezone.utc), datetime(2020, 1, 1, 13, tzinfo=timezone(timedelta(hours=1)))),
    (datetime(2020, 1, 1, 1, 30), datetime(2020, 1, 1, 1, 30, fold=1)),
    ((1,), (1.0,)),
])
def test_values_python_calls_equal_but_code_can_tell_apart_differ(a, b) -> None:
    assert a == b and not same_value(a, b) and same_value(a, a) and same_value(b, b)
