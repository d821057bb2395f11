"""The runtime: load a plan, decide per change, run a job's units pruned.

    from pruner.runtime import load_plan, Decider, Engine
    plan = load_plan("compiled_plans/ecommerce.plan", spec=load_spec("job.yaml"))
"""
from __future__ import annotations

from pathlib import Path

from pruner.plan import Plan
from pruner.planfile import PlanError, read_plan
from pruner.runtime.decider import Decider, Decision
from pruner.runtime.engine import MODES, Engine, RunStats, SinkRecord, SinkTable
from pruner.runtime.plugins import StalePlanError, StalePlanWarning, check_fingerprints, enforce
from pruner.spec import JobSpec

__all__ = ["load_plan", "Plan", "PlanError", "Decider", "Decision", "Engine", "MODES", "RunStats",
           "SinkRecord", "SinkTable", "PlanArrays", "BatchDecision", "decide_batch", "mask_matrix",
           "StalePlanError", "StalePlanWarning"]


_KERNELS = ("BatchDecision", "PlanArrays", "decide_batch", "mask_matrix")


def __getattr__(name: str):
    """The numba batch kernel is imported only by who uses it: numba costs a second to import
    and needs a cache directory, and the engine does not need it."""
    if name in _KERNELS:
        from pruner.runtime import kernels
        return getattr(kernels, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_plan(path: str | Path, *, spec: JobSpec | None = None, on_stale: str = "stop") -> Plan:
    """Read a plan file; refuse a corrupt one (PlanError).

    With `spec`, also compare the plan's fingerprints with the spec and plugin files on disk:
    on a mismatch, `on_stale="stop"` (the default) raises StalePlanError, anything else warns.
    An Engine checks again itself and never runs a stale plan's units (see
    ``pruner.runtime.plugins.plan_to_run``).
    """
    plan = read_plan(path)
    if spec is not None:
        enforce(check_fingerprints(plan, spec), on_stale, plan.job)
    return plan
