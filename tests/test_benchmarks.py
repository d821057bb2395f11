"""The benchmark report's smoke test (a tiny stream) and the checks it relies on.

The real figures come from `make bench`; here only that every part runs, that the report and
charts are written, that the static plan prunes exactly as much as the oracle plan, and that
the benchmark's own equality check can fail.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import pruning
from benchmarks.report import main
from benchmarks.truth import TruthError, load_truth, truth_analysis, truth_build
from pruner.transform import transform
from pruner.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    assert main(["--quick", "--profiles", "daily", "backfill", "--out", str(out)]) == 0
    return out


def test_the_report_has_every_part(report: Path) -> None:
    text = (report / "latest.md").read_text()
    for heading in ("## Strategies", "### daily", "### backfill", "## Pruning rate per unit", "## Engine message dedup",
                    "## Recall against the oracle plan", "### Batch kernel vs baselines",
                    "### Decider.decide", "### Plan load"):
        assert heading in text, heading
    for name in ("pruning_rate.png", "cpu_time.png"):
        data = (report / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000, name


def test_the_figures_are_consistent(report: Path) -> None:
    data = json.loads((report / "latest.json").read_text())
    daily = data["profiles"]["daily"]
    s = daily["strategies"]
    assert set(s) == set(pruning.STRATEGIES)
    full_runs = s["full"]["units_run"]
    assert s["output-dedup"]["units_run"] == full_runs          # dedup runs everything
    assert s["pruned"]["units_run"] < s["stateless"]["units_run"] < full_runs
    assert s["output-dedup"]["records"] + s["output-dedup"]["suppressed"] == s["full"]["records"]
    run_skipped = {u: v["run"] + v["skipped"] for u, v in daily["units"].items()}
    assert len(set(run_skipped.values())) == 1                  # every unit: one count per row update
    counted = run_skipped.popitem()[1]                          # row updates that ran the pipeline
    assert 0 < counted <= daily["row_updates"]                  # (reports before 2026-12-05 counted deletes)
    assert {v["run"] + v["skipped"] for v in daily["steps"].values()} == {counted}
    assert daily["units"]["Index.IndexStamp"]["skipped"] == 0   # @always_run
    dedup = s["pruned+dedup"]
    assert dedup["units_run"] == s["pruned"]["units_run"]      # dedup runs after pruning: same units
    assert dedup["records"] + dedup["suppressed"] == s["pruned"]["records"] == daily["dedup"]["records"]
    assert 0 < daily["dedup"]["rate"] < 1


def test_the_static_plan_prunes_exactly_as_much_as_the_oracle(report: Path) -> None:
    data = json.loads((report / "latest.json").read_text())
    for profile in data["profiles"].values():
        oracle = profile["oracle"]
        assert oracle["recall"] == 1.0 and oracle["oracle_skipped"] > 0
        assert all(v["static"] == v["oracle"] for v in oracle["units"].values()), oracle["units"]


def test_a_strategy_that_changes_the_sink_fails_the_benchmark(monkeypatch) -> None:
    static, truth = pruning.builds()
    work = pruning.workload("daily", 40, 10, seed=3)
    monkeypatch.setattr(pruning, "VOLATILE", ())     # the clock fields then differ between runs
    with pytest.raises(AssertionError, match="differs from full"):
        pruning.measure_profile(work, static, truth, 1, log=lambda _: None)


def test_bad_truth_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "truth.yaml"
    for text, message in (("[1, 2]", "'processors' mapping"),
                          ("processors: {a.B: {reads: [x]}}", "expected reads, writes"),
                          ("processors: {a.B: {reads: x, writes: []}}", "list of field names"),
                          ("processors: {a.B: {reads: [], writes: [a], may_write: [b]}}", "not among its writes")):
        bad.write_text(text)
        with pytest.raises(TruthError, match=message):
            load_truth(bad)
    truth = load_truth(ROOT / "benchmarks/oracle/ecommerce_truth.yaml")
    static = transform(list(load_spec(ROOT / "examples/ecommerce/job.yaml").plugins))
    missing = dict(truth)
    missing.pop(next(iter(missing)))
    with pytest.raises(TruthError, match="only in the job"):
        truth_analysis(static, missing)


def test_the_oracle_plan_follows_the_truth() -> None:
    built = truth_build(ROOT / "examples/ecommerce/job.yaml", ROOT / "benchmarks/oracle/ecommerce_truth.yaml")
    units = {u.class_ref: u for u in built.plan.units if u.class_ref}
    assert units["index_processors.IndexStamp"].prunable is False
    assert units["item_processors.CollectExtProps"].reads_all
    assert set(units["item_processors.NormalizeTitle"].reads) == {"title"}


def test_the_engine_overhead_benchmark_reports_every_table() -> None:
    """A small run of benchmarks/engine_overhead.py: overhead per mode, decode ratio, state per key."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "benchmarks/engine_overhead.py"), "--repeats", "1",
                           "--updates", "150"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for profile in ("daily", "peak"):
        for mode in ("pruned", "full"):
            assert any(line.startswith(f"| {profile} | {mode} | ") and line.endswith("% |") for line in lines)
        assert any(line.startswith(f"| {profile} | decode |") and "json.loads" in line for line in lines)
        assert any(line.startswith(f"| {profile} | pruned / full | ") and "zero-overhead limit" in line
                   for line in lines)
        state = {line.split(" | ")[1]: line for line in lines
                 if line.startswith(f"| {profile} | ") and line.endswith("× |") and "decode" not in line}
        assert set(state) == {"full", "pruned", "stateless"} and state["full"].endswith("| 1.00× |")
    light = [line for line in lines if line.startswith("light units (reference job)")]
    assert len(light) == 2 and all(line.endswith("json.loads of the same lines") for line in light)


def test_the_kernel_crossover_benchmark_compares_equal_decisions() -> None:
    """A small run of benchmarks/kernel_crossover.py: the kernel's decisions, converted, equal
    the Decider's (it asserts so) and every size gets a row."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "benchmarks/kernel_crossover.py"), "--sizes", "17", "300",
                           "--masks", "200", "--repeats", "1"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and line.endswith("× |")]
    assert [row.split(" | ")[0] for row in rows] == ["| 17", "| 300"]


def test_the_follow_restart_benchmark_replays_only_after_the_snapshot() -> None:
    """A small run of benchmarks/follow_restart.py: with snapshots a restart replays the half
    interval after the last one, without them every transaction."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "benchmarks/follow_restart.py"), "--sizes", "40", "120",
                           "--every", "20", "--repeats", "1"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| ") and "ms" in line]
    assert [(row[0], row[2], row[4]) for row in rows] == [("| 50", "10", "50 |"), ("| 130", "10", "130 |")]
