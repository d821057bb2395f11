"""The compiler pipeline, top to bottom: spec -> transform -> weld -> compile -> encode."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pruner.compile import Compiled, compile_lineage
from pruner.encode import encode
from pruner.plan import Plan
from pruner.spec import JobSpec, load_spec
from pruner.transform import Analysis, transform
from pruner.weld import Lineage, weld


@dataclass(frozen=True)
class Build:
    spec: JobSpec
    analysis: Analysis
    lineage: Lineage
    compiled: Compiled
    plan: Plan

    def diagnostics(self):
        return tuple(sorted(set(self.analysis.all_diagnostics()) | set(self.compiled.diagnostics)))


def build(spec_path: str | Path, *, cache_dir: str | Path | None = None) -> Build:
    """Compile a job spec. With `cache_dir`, unchanged plugin modules are not analyzed again."""
    spec = load_spec(spec_path)
    analysis = transform(list(spec.plugins), cache_dir=cache_dir)
    lineage = weld(spec, analysis)
    compiled = compile_lineage(lineage)
    return Build(spec=spec, analysis=analysis, lineage=lineage, compiled=compiled, plan=encode(compiled))
