"""The compiler: a job spec -> a Plan, by the stages of ``STAGES`` run in order.

    spec (pruner.spec) -> transform (pruner.transform) -> weld (weld.py) -> compile (masks.py)
    -> encode (encode.py)

The stage list is data: each ``Stage`` names the ``Build`` field it produces and the fields
(or options: ``spec_path``, ``cache_dir``) it takes. ``build()`` runs all of it; a caller that
needs a part (a benchmark timing each stage, the oracle plan replacing the analysis) runs
``run(state, stages(...))`` on a slice of the same list instead of copying the pipeline.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Final, Mapping

from pruner.compiler.encode import encode
from pruner.compiler.masks import Compiled, compile_lineage
from pruner.compiler.weld import Lineage, weld
from pruner.plan import Plan
from pruner.spec import JobSpec, load_spec
from pruner.transform import Analysis, transform


@dataclass(frozen=True)
class Build:
    spec: JobSpec
    analysis: Analysis
    lineage: Lineage
    compiled: Compiled
    plan: Plan

    def diagnostics(self):
        return tuple(sorted(set(self.analysis.all_diagnostics()) | set(self.compiled.diagnostics)))


@dataclass(frozen=True)
class Stage:
    name: str                        # as reported (e.g. by benchmarks/compile_scaling.py)
    output: str                      # the Build field it produces
    inputs: tuple[str, ...]          # what it takes, in order: Build fields or build() options
    run: Callable[..., Any]


def _transform(spec: JobSpec, cache_dir: str | Path | None) -> Analysis:
    return transform(list(spec.plugins), cache_dir=cache_dir)


STAGES: Final = (
    Stage("spec", "spec", ("spec_path",), load_spec),
    Stage("transform", "analysis", ("spec", "cache_dir"), _transform),
    Stage("weld", "lineage", ("spec", "analysis"), weld),
    Stage("compile", "compiled", ("lineage",), compile_lineage),
    Stage("encode", "plan", ("compiled",), encode),
)


def stages(*, after: str | None = None, through: str | None = None) -> tuple[Stage, ...]:
    """The part of STAGES after the stage named `after` and up to the one named `through`."""
    names = [stage.name for stage in STAGES]
    start = names.index(after) + 1 if after is not None else 0
    stop = names.index(through) + 1 if through is not None else len(names)
    return STAGES[start:stop]


def run(state: Mapping[str, Any], steps: tuple[Stage, ...] = STAGES,
        timings: dict[str, float] | None = None) -> dict[str, Any]:
    """`state` with the outputs of `steps`, run in order (each stage's seconds in `timings`)."""
    state = dict(state)
    for stage in steps:
        start = time.perf_counter()
        state[stage.output] = stage.run(*(state[name] for name in stage.inputs))
        if timings is not None:
            timings[stage.name] = time.perf_counter() - start
    return state


def as_build(state: Mapping[str, Any]) -> Build:
    """The Build of a state every stage has run on."""
    return Build(**{field.name: state[field.name] for field in fields(Build)})


def build(spec_path: str | Path, *, cache_dir: str | Path | None = None) -> Build:
    """Compile a job spec. With `cache_dir`, unchanged plugin modules are not analyzed again."""
    return as_build(run({"spec_path": spec_path, "cache_dir": cache_dir}))
