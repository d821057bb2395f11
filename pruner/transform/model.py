"""What the Transform stage produces: plain frozen dataclasses, one per analyzed thing."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from pruner.diagnostics import Diagnostic, Severity, from_json as diagnostic_from_json


# Diagnostics that say nothing about changing values in place: a Processor with only these
# (or none) was followed entirely and changes nothing it did not create.
_LEAVES_INPUTS_ALONE: Final = frozenset({"PR101", "PR102", "PR111", "PR112", "PR201", "PR202", "PR208"})


@dataclass(frozen=True)
class ProcessorFacts:
    """What one Processor reads and writes, as far as the analyzer can prove.

    `reads`/`writes` are exact field names; `reads_all`/`writes_all` mean the analyzer
    had to assume every field (the sets then hold what it did see). `prunable` is false
    when the Processor is nondeterministic or effectful (or declared @always_run).
    """

    name: str            # "<module>.<Class>"
    module: str
    class_name: str
    file: str
    line: int
    reads: frozenset[str]
    writes: frozenset[str]
    reads_all: bool
    writes_all: bool
    prunable: bool
    must_writes: frozenset[str] = frozenset()   # written on every run (others may keep the old value)
    declared_reads: frozenset[str] | None = None
    declared_writes: frozenset[str] | None = None
    always_run: bool = False
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def isolated(self) -> bool:
        """True unless the analyzer proved that `process` changes in place no value it did not
        create (a row value, an element of one, anything reachable from it). Such a Processor
        (a shared mutation, unknown code, state on self, code it could not resolve) runs on a
        private deep copy of the row, so that what it changes is seen by nothing else: not by
        later units, the engine's tables and stored outputs, nor the next message. Every mode
        then agrees, whatever it changes."""
        return any(d.code not in _LEAVES_INPUTS_ALONE for d in self.diagnostics)

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "file": self.file,
            "line": self.line,
            "reads": sorted(self.reads),
            "writes": sorted(self.writes),
            "must_writes": sorted(self.must_writes),
            "reads_all": self.reads_all,
            "writes_all": self.writes_all,
            "prunable": self.prunable,
            "always_run": self.always_run,
            "declared_reads": None if self.declared_reads is None else sorted(self.declared_reads),
            "declared_writes": None if self.declared_writes is None else sorted(self.declared_writes),
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


    @classmethod
    def from_json(cls, data: dict, module: str) -> ProcessorFacts:
        name = str(data["name"])
        declared_reads = data.get("declared_reads")
        declared_writes = data.get("declared_writes")
        return cls(name=name, module=module, class_name=name.rpartition(".")[2],
                   file=str(data["file"]), line=int(data["line"]),
                   reads=frozenset(data["reads"]), writes=frozenset(data["writes"]),
                   must_writes=frozenset(data.get("must_writes", ())),
                   reads_all=bool(data["reads_all"]), writes_all=bool(data["writes_all"]),
                   prunable=bool(data["prunable"]), always_run=bool(data.get("always_run", False)),
                   declared_reads=None if declared_reads is None else frozenset(declared_reads),
                   declared_writes=None if declared_writes is None else frozenset(declared_writes),
                   diagnostics=tuple(diagnostic_from_json(d) for d in data["diagnostics"]))


@dataclass(frozen=True)
class UDTFFacts:
    """A UDTF class and its `processors` list, resolved to Processor names, in order."""

    name: str            # "<module>.<Class>"
    file: str
    line: int
    processors: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "file": self.file, "line": self.line,
                "processors": list(self.processors)}


    @classmethod
    def from_json(cls, data: dict) -> UDTFFacts:
        return cls(name=str(data["name"]), file=str(data["file"]), line=int(data["line"]),
                   processors=tuple(str(p) for p in data["processors"]))


@dataclass(frozen=True)
class ModuleAnalysis:
    """One source file: its Processors, UDTFs and file-level diagnostics."""

    module: str
    file: str
    sha256: str
    processors: tuple[ProcessorFacts, ...] = ()
    udtfs: tuple[UDTFFacts, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"module": self.module, "file": self.file, "sha256": self.sha256,
                "processors": [p.to_json() for p in self.processors],
                "udtfs": [u.to_json() for u in self.udtfs],
                "diagnostics": [d.to_json() for d in self.diagnostics]}

    @classmethod
    def from_json(cls, data: dict) -> ModuleAnalysis:
        module = str(data["module"])
        return cls(module=module, file=str(data["file"]), sha256=str(data["sha256"]),
                   processors=tuple(ProcessorFacts.from_json(p, module) for p in data["processors"]),
                   udtfs=tuple(UDTFFacts.from_json(u) for u in data["udtfs"]),
                   diagnostics=tuple(diagnostic_from_json(d) for d in data["diagnostics"]))


@dataclass(frozen=True)
class Analysis:
    """The result of analyzing a set of plugin files."""

    modules: tuple[ModuleAnalysis, ...] = field(default_factory=tuple)

    @property
    def processors(self) -> tuple[ProcessorFacts, ...]:
        return tuple(p for m in self.modules for p in m.processors)

    @property
    def udtfs(self) -> tuple[UDTFFacts, ...]:
        return tuple(u for m in self.modules for u in m.udtfs)

    @property
    def file_diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(d for m in self.modules for d in m.diagnostics)

    def all_diagnostics(self) -> tuple[Diagnostic, ...]:
        found = list(self.file_diagnostics)
        for p in self.processors:
            found.extend(p.diagnostics)
        return tuple(sorted(set(found)))

    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.all_diagnostics())

    def has_guesses(self) -> bool:
        return any(d.severity is Severity.WARNING for d in self.all_diagnostics())

    def processor(self, name: str) -> ProcessorFacts:
        for p in self.processors:
            if p.name == name or p.class_name == name:
                return p
        raise KeyError(name)

    def to_json(self) -> dict[str, object]:
        return {
            "processors": [p.to_json() for p in self.processors],
            "udtfs": [u.to_json() for u in self.udtfs],
            "diagnostics": [d.to_json() for d in sorted(set(self.file_diagnostics))],
        }
