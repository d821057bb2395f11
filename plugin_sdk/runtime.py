"""The runtime entry point used inside a UDTF host: a job's units wrapped with its plan.

    from plugin_sdk.runtime import open_job

    job = open_job("job.yaml", "compiled_plans/job.plan")      # pruned, stateful
    for change in changes:                                      # pruner.cdc.decode(...) output
        result = job.process(change)        # sink records, or a DeadLetter (state unchanged)

The plan is checked against the spec and the plugin files first: a stale plan is never run
(`on_stale="stop"`, the default, raises StalePlanError; `"full"` compiles the job in memory and
runs every current unit, pruning nothing; `"compile"` prunes with the plan compiled in memory).
"""
from __future__ import annotations

from pathlib import Path

from pruner.runtime import Engine, load_plan
from pruner.spec import load_spec

__all__ = ["open_job", "Engine"]


def open_job(spec_path: str | Path, plan_path: str | Path, mode: str = "pruned", *,
             on_stale: str = "stop") -> Engine:
    """Load a job spec and its compiled plan, import the job's plugins, and return its Engine."""
    spec = load_spec(spec_path)
    return Engine(spec, load_plan(plan_path), mode, on_stale=on_stale)
