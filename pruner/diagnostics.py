"""Diagnostics are data: a stable code, a kebab-case name, a severity and a location.

Passes only append diagnostics (nothing raises mid-pass); the CLI decides the exit code.
Tests assert codes, never wording.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"   # the analyzer had to guess (sound, but it costs pruning)
    INFO = "info"         # a guess covered by the author's declaration


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: Severity
    summary: str  # one line for the README / --help: what it means and what it costs


_CODES: Final[tuple[Code, ...]] = (
    # Files
    Code("PR001", "syntax-error", Severity.ERROR,
         "The file cannot be parsed; nothing in it is analyzed."),
    Code("PR002", "unreadable-file", Severity.ERROR,
         "The file cannot be read or is not UTF-8 text."),
    Code("PR003", "too-deeply-nested", Severity.ERROR,
         "An expression nests deeper than the analyzer supports; nothing in the file is analyzed."),
    Code("PR004", "missing-module", Severity.WARNING,
         "A plugin imports a module that is neither a plugin module nor installed where the compiler "
         "runs (a moved or deleted plugin file?): what it provides is unknown, and the import fails "
         "at run time unless it is installed there."),
    # Reads of the row
    Code("PR101", "dynamic-read-key", Severity.WARNING,
         "A row key is not a constant the analyzer can resolve: treated as reading every field."),
    Code("PR102", "row-iteration", Severity.WARNING,
         "The whole row is iterated, copied or unpacked (items(), keys(), for, dict(row), **row): "
         "treated as reading every field."),
    Code("PR103", "row-escapes", Severity.WARNING,
         "The row is passed to or stored in something the analyzer cannot follow: "
         "treated as reading every field."),
    # Writes to out
    Code("PR111", "dynamic-write-key", Severity.WARNING,
         "An output key is not a constant: treated as writing every field."),
    Code("PR112", "out-escapes", Severity.WARNING,
         "`out` is passed to or stored in something the analyzer cannot follow: "
         "treated as writing every field."),
    Code("PR113", "row-write", Severity.ERROR,
         "The row is read-only; write outputs to `out`."),
    # Determinism and effects
    Code("PR201", "nondeterministic-call", Severity.WARNING,
         "A clock, random or uuid call: the Processor is never pruned (prunable: false)."),
    Code("PR202", "io-call", Severity.WARNING,
         "I/O, network, subprocess or logging: the Processor is never pruned (prunable: false)."),
    Code("PR203", "self-mutation", Severity.WARNING,
         "State on `self` is changed while processing, so results depend on earlier messages: "
         "never pruned."),
    Code("PR204", "global-mutation", Severity.WARNING,
         "Module-level state is changed while processing: never pruned."),
    Code("PR205", "dynamic-code", Severity.WARNING,
         "eval/exec/globals()/getattr-style dynamic code: reads and writes every field, never pruned."),
    Code("PR206", "self-escapes", Severity.WARNING,
         "`self` is passed to code the analyzer cannot follow, which may change its state: "
         "never pruned."),
    Code("PR207", "unknown-call", Severity.WARNING,
         "A call of code the analyzer cannot prove pure (outside the plugin files and not on its "
         "allow-list, a decorated or dynamic callee, a method of an unknown object): never pruned."),
    Code("PR208", "environment-read", Severity.WARNING,
         "os.environ / os.getenv: the environment can differ between runs and workers: never "
         "pruned unless declared @pure."),
    Code("PR209", "shared-mutation", Severity.WARNING,
         "A value the call did not create (a row value, an element, an argument) is changed in "
         "place: never pruned."),
    # Declarations
    Code("PR301", "undeclared-read", Severity.ERROR,
         "The code visibly reads a field that its @reads(...) declaration leaves out."),
    Code("PR302", "undeclared-write", Severity.ERROR,
         "The code visibly writes a field that its @writes(...) declaration leaves out."),
    Code("PR303", "conflicting-declarations", Severity.ERROR,
         "@always_run and @pure on the same Processor."),
    Code("PR304", "bad-declaration", Severity.ERROR,
         "A declaration's arguments are not constant field names."),
    # Classes
    Code("PR401", "unresolved-base", Severity.WARNING,
         "A Processor inherits from a class the analyzer cannot see, and its process() is there: "
         "treated as reading and writing every field."),
    Code("PR402", "bad-process-signature", Severity.WARNING,
         "process() does not take (self, row, out): treated as reading and writing every field."),
    Code("PR403", "unresolved-udtf-processor", Severity.ERROR,
         "A UDTF's `processors` entry is not a Processor class the analyzer can find."),
    Code("PR404", "process-never-runs", Severity.ERROR,
         "process() is `async` or a generator: calling it runs none of its body, so it writes "
         "nothing; make it a plain function."),
    Code("PR405", "unresolved-process", Severity.WARNING,
         "process() is decorated, assigned or defined conditionally, so the code that runs is "
         "not the code the analyzer sees: treated as reading and writing every field, never pruned."),
    # Weld and compile (job level)
    Code("PR501", "unknown-class", Severity.ERROR,
         "A pipeline step names a UDTF or filter class that is not in the plugin folders."),
    Code("PR502", "processor-cycle", Severity.ERROR,
         "Processors of one UDTF read each other's outputs in a cycle: no order can run them."),
    Code("PR503", "unknown-field", Severity.WARNING,
         "A unit reads a field no source or earlier step provides: it depends on the wildcard only."),
    Code("PR504", "unproduced-sink-field", Severity.ERROR,
         "A sink field is produced by no source and no step."),
    Code("PR505", "dead-unit", Severity.INFO,
         "A unit's outputs reach no sink field and it has no effects: it never runs."),
    Code("PR506", "duplicate-unit", Severity.ERROR,
         "The same Processor appears twice in one UDTF."),
    Code("PR507", "sink-key-written", Severity.ERROR,
         "A step writes a field of the sink's primary key: the sink row's key is the row sources' "
         "key, so the written value would be dropped."),
    Code("PR508", "open-code", Severity.INFO,
         "A unit's code may read what its code fingerprint cannot follow (a file, a module outside "
         "the plugin folders, a name computed at run time): the fingerprint also takes every file "
         "in the plugin folders, so `pruner diff` counts the unit changed when any of them changes."),
)

CODES: Final[dict[str, Code]] = {c.name: c for c in _CODES}
BY_CODE: Final[dict[str, Code]] = {c.code: c for c in _CODES}


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str
    line: int
    col: int
    code: str
    name: str
    severity: Severity
    message: str
    end_line: int = 0
    end_col: int = 0

    def render(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.code} {self.name}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
            "message": self.message,
        }


def make(name: str, file: str, line: int, col: int, message: str, *,
         end_line: int = 0, end_col: int = 0, severity: Severity | None = None) -> Diagnostic:
    """Build a diagnostic of a registered kind; `severity` overrides the default (covered guesses)."""
    kind = CODES[name]
    return Diagnostic(file=file, line=line, col=col, code=kind.code, name=kind.name,
                      severity=severity or kind.severity, message=message,
                      end_line=end_line, end_col=end_col)


def from_json(data: dict[str, object]) -> Diagnostic:
    """The inverse of Diagnostic.to_json (for cached analyses)."""
    return Diagnostic(file=str(data["file"]), line=int(data["line"]), col=int(data["col"]),
                      code=str(data["code"]), name=str(data["name"]),
                      severity=Severity(data["severity"]), message=str(data["message"]),
                      end_line=int(data.get("end_line", 0)), end_col=int(data.get("end_col", 0)))
