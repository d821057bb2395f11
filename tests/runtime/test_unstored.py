"""Outputs pruned mode does not keep (``pruner.runtime.engine.never_replayed``).

A Processor whose outputs no row update can replay is not stored: the oracle checks the result
on random jobs; these check the rule's edges on jobs made for them, against full mode.
"""
from __future__ import annotations

from pathlib import Path

from pruner.cdc.model import Change
from pruner.compiler import build
from pruner.runtime.engine import Engine, SinkTable, never_replayed

_SDK = "from plugin_sdk import UDTF, Processor\n\n"


def _build(tmp_path: Path, pipeline: str, plugins: str, sink: str):
    job = tmp_path / "job"
    (job / "plugins").mkdir(parents=True)
    (job / "plugins/p.py").write_text(_SDK + plugins)
    (job / "job.yaml").write_text(
        "name: unstored\nplugins: [plugins]\nsources:\n  items: {primary_key: [id], fields: [id, a, b]}\n"
        f"pipeline:\n{pipeline}sink: {{name: s, primary_key: [id], fields: [{sink}]}}\n")
    return build(job / "job.yaml")


def _sinks(built, changes: list[Change]) -> dict[str, list[dict]]:
    found = {}
    for mode in ("pruned", "full"):
        engine = Engine(built.spec, built.plan, mode)
        sink = SinkTable(built.spec.sink.fields, built.spec.sink.primary_key)
        for change in changes:
            sink.apply_all(engine.process(change))
        found[mode] = sink.sorted_rows()
    return found


def _names(built) -> set[str]:
    return {built.plan.units[i].name for i in never_replayed(built.plan)}


_STREAM = [Change("insert", "items", None, {"id": 1, "a": 2, "b": "x"}, None, 1),
           Change("update", "items", {"id": 1, "a": 2, "b": "x"}, {"id": 1, "a": 2, "b": "y"}, None, 2),
           Change("update", "items", {"id": 1, "a": 2, "b": "y"}, {"id": 1, "a": 3, "b": "y"}, None, 3),
           Change("update", "items", {"id": 1, "a": 3, "b": "y"}, {"id": 1, "a": 3, "b": "z"}, None, 4)]


def test_a_processor_read_by_a_later_rename_is_kept(tmp_path: Path) -> None:
    """A rename is derived again whenever a later unit wants its output, whether or not the unit
    it reads runs: P's `k` must be kept, though the rename runs only when P does."""
    built = _build(tmp_path, "  - udtf: U1\n    class: p.U1\n  - rename: R\n    fields: {k: kk}\n"
                             "  - udtf: U2\n    class: p.U2\n",
                   "class P(Processor):\n    def process(self, row, out):\n        out['k'] = row['a'] * 2\n\n"
                   "class U1(UDTF):\n    processors = [P]\n\n"
                   "class Q(Processor):\n    def process(self, row, out):\n        out['v'] = f\"{row['kk']}-{row['b']}\"\n\n"
                   "class U2(UDTF):\n    processors = [Q]\n", "id, v")
    assert "U1.P" not in _names(built)
    sinks = _sinks(built, _STREAM)
    assert sinks["full"] == [{"id": 1, "v": "6-z"}]
    assert sinks["pruned"] == sinks["full"]


def test_a_processor_nothing_can_replay_is_not_kept(tmp_path: Path) -> None:
    """P's output is a sink field depending on `a` alone and nothing later reads it: no update
    that skips P can want it, so it is not stored, and the sink is still full mode's."""
    built = _build(tmp_path, "  - udtf: U1\n    class: p.U1\n",
                   "class P(Processor):\n    def process(self, row, out):\n        out['k'] = row['a'] * 2\n\n"
                   "class Q(Processor):\n    def process(self, row, out):\n        out['v'] = row['b'] + '!'\n\n"
                   "class U1(UDTF):\n    processors = [P, Q]\n", "id, k, v")
    assert _names(built) == {"U1.P", "U1.Q"}
    engine = Engine(built.spec, built.plan, "pruned")
    for change in _STREAM:
        engine.process(change)
    assert engine.outputs[(1,)] == [None, None]
    sinks = _sinks(built, _STREAM)
    assert sinks["pruned"] == sinks["full"] == [{"id": 1, "k": 6, "v": "z!"}]


def test_a_processor_read_by_a_later_one_with_more_inputs_is_kept(tmp_path: Path) -> None:
    """Q reads P's `k` and also `b`: a change of `b` alone runs Q with P skipped, so P's output is
    replayed and must be kept."""
    built = _build(tmp_path, "  - udtf: U1\n    class: p.U1\n",
                   "class P(Processor):\n    def process(self, row, out):\n        out['k'] = row['a'] * 2\n\n"
                   "class Q(Processor):\n    def process(self, row, out):\n        out['v'] = f\"{row['k']}-{row['b']}\"\n\n"
                   "class U1(UDTF):\n    processors = [P, Q]\n", "id, v")
    assert _names(built) == {"U1.Q"}
    sinks = _sinks(built, _STREAM)
    assert sinks["pruned"] == sinks["full"] == [{"id": 1, "v": "6-z"}]
