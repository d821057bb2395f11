"""Test-wide settings.

Hypothesis: no per-example deadline (machines here are shared and noisy; timing is measured
in benchmarks, never in tests). Under CI=true, derandomized: CI replays the same examples
every run, so a red CI always points at a change, never at luck.
"""
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")


@pytest.fixture()
def reference(tmp_path: Path) -> Path:
    """A private copy of the reference job (its plugins can be edited), compiled to job.plan."""
    from pruner.compiler import build
    from pruner.planfile import write_plan

    job = tmp_path / "reference"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples/reference", job,
                    ignore=shutil.ignore_patterns(".pruner-cache"))
    write_plan(build(job / "job.yaml").plan, job / "job.plan")
    return job
