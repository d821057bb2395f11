"""A plugin file may start with a UTF-8 byte order mark: Python runs it, so the analyzer reads it
(found by an adversary: it was PR001, a syntax error) and the runtime accepts the plan."""
from __future__ import annotations

import shutil
from pathlib import Path

from pruner.compiler import build
from pruner.planfile import write_plan
from pruner.runtime.engine import Engine
from pruner.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def test_a_plugin_with_a_byte_order_mark_is_analyzed_and_runs(tmp_path: Path) -> None:
    job = tmp_path / "reference"
    shutil.copytree(ROOT / "examples/reference", job, ignore=shutil.ignore_patterns(".pruner-cache"))
    plain = build(job / "job.yaml")
    plugin = job / "plugins/reference_udtfs.py"
    plugin.write_bytes(b"\xef\xbb\xbf" + plugin.read_bytes())
    marked = build(job / "job.yaml")
    assert not [d for d in marked.diagnostics() if d.severity.name == "ERROR"]
    assert [(u.name, u.reads, u.writes, u.dep) for u in marked.plan.units] == \
        [(u.name, u.reads, u.writes, u.dep) for u in plain.plan.units]
    assert marked.plan.fingerprints != plain.plan.fingerprints       # the file's bytes changed
    write_plan(marked.plan, job / "job.plan")
    from pruner.planfile import read_plan
    Engine(load_spec(job / "job.yaml"), read_plan(job / "job.plan"), "pruned")    # not stale
