"""Test-wide settings.

Hypothesis: no per-example deadline (machines here are shared and noisy; timing is measured
in benchmarks, never in tests). Under CI=true, derandomized: CI replays the same examples
every run, so a red CI always points at a change, never at luck.
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")
