"""The oracle plan: a job compiled from hand-written true read/write sets instead of the analyzer's.

    build = truth_build("examples/ecommerce/job.yaml", "benchmarks/oracle/ecommerce_truth.yaml")

The truth file names every Processor of the job ("<module>.<Class>") with the fields it truly
reads and writes (``reads: "*"`` for a Processor that reads the whole row), ``may_write`` for
fields written only on some runs, and ``always_run: true`` for a Processor that must never be
skipped. Everything after the analyzer (weld, compile, encode) is the product's own code, so
comparing this plan's pruning with the static plan's measures the analyzer alone: its recall is
(unit runs the static plan skips) / (unit runs the oracle plan skips).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from pruner.compiler import Build, as_build, run, stages
from pruner.transform import Analysis
from pruner.transform.model import ProcessorFacts

_KEYS = {"reads", "writes", "may_write", "always_run"}


class TruthError(ValueError):
    """A truth file that is malformed or does not match the job's Processors."""


def load_truth(path: str | Path) -> dict[str, dict]:
    """{processor name: {"reads": frozenset | "*", "writes", "may_write", "always_run"}}."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("processors"), dict):
        raise TruthError(f"{path}: expected a mapping with a 'processors' mapping")
    truth = {}
    for name, entry in data["processors"].items():
        if not isinstance(entry, dict) or not {"reads", "writes"} <= set(entry) or set(entry) - _KEYS:
            raise TruthError(f"{path}: {name}: expected reads, writes and optionally may_write, always_run")
        reads = entry["reads"]
        if reads != "*":
            reads = _names(path, name, "reads", reads)
        writes = _names(path, name, "writes", entry["writes"])
        may_write = _names(path, name, "may_write", entry.get("may_write", []))
        if not may_write <= writes:
            raise TruthError(f"{path}: {name}: may_write {sorted(may_write - writes)} not among its writes")
        truth[str(name)] = {"reads": reads, "writes": writes, "may_write": may_write,
                            "always_run": bool(entry.get("always_run", False))}
    return truth


def _names(path, name, key, value) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TruthError(f"{path}: {name}: {key} must be a list of field names")
    return frozenset(value)


def truth_analysis(static: Analysis, truth: dict[str, dict]) -> Analysis:
    """`static` with every Processor's facts replaced by the truth (UDTF lists and files kept)."""
    names = {p.name for p in static.processors}
    if names != set(truth):
        raise TruthError(f"the truth and the job disagree on the Processors: only in the job "
                         f"{sorted(names - set(truth))}, only in the truth {sorted(set(truth) - names)}")

    def facts(p: ProcessorFacts) -> ProcessorFacts:
        t = truth[p.name]
        reads_all = t["reads"] == "*"
        return replace(p, reads=frozenset() if reads_all else t["reads"], reads_all=reads_all,
                       writes=t["writes"], writes_all=False, must_writes=t["writes"] - t["may_write"],
                       prunable=not t["always_run"], always_run=t["always_run"],
                       declared_reads=None, declared_writes=None, diagnostics=())

    return Analysis(tuple(replace(m, processors=tuple(facts(p) for p in m.processors), diagnostics=())
                          for m in static.modules))


def truth_build(spec_path: str | Path, truth_path: str | Path) -> Build:
    state = run({"spec_path": spec_path, "cache_dir": None}, stages(through="transform"))
    state["analysis"] = truth_analysis(state["analysis"], load_truth(truth_path))
    return as_build(run(state, stages(after="transform")))
