"""Analyze one module's text: find its Processors and UDTFs and what each Processor touches.

Never imports or runs the code: it is parsed with LibCST and read.
"""
from __future__ import annotations

import hashlib
from typing import Final

import libcst as cst

from pruner import diagnostics as dx
from pruner.diagnostics import Severity
from pruner.transform.collect import ClassInfo, ModuleIndex, collect
from pruner.transform.model import ModuleAnalysis, ProcessorFacts, UDTFFacts
from pruner.transform.resolve import Facts, ProcessorAnalyzer, _local_mro

PROCESSOR_BASES: Final = frozenset({"plugin_sdk.Processor", "plugin_sdk.processor.Processor"})
UDTF_BASES: Final = frozenset({"plugin_sdk.UDTF", "plugin_sdk.processor.UDTF"})
_DECLARATIONS: Final = ("reads", "writes", "always_run", "pure")

# Which diagnostics a declaration covers (they become info: the author vouched).
_COVERED_BY: Final = {
    "reads": frozenset({"dynamic-read-key", "row-iteration", "row-escapes"}),
    "writes": frozenset({"dynamic-write-key", "out-escapes"}),
    "effects": frozenset({"nondeterministic-call", "io-call", "self-mutation", "global-mutation",
                          "self-escapes"}),
}


def analyze_source(source: str, file: str, module: str) -> ModuleAnalysis:
    """Analyze the text of one module. Bad code gives diagnostics, never an exception."""
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        message = " ".join(str(error.message).split())
        diagnostic = dx.make("syntax-error", file, error.raw_line, error.raw_column + 1,
                             f"cannot parse: {message}")
        return ModuleAnalysis(module=module, file=file, sha256=digest, diagnostics=(diagnostic,))
    except (ValueError, RecursionError) as error:
        diagnostic = dx.make("syntax-error", file, 1, 1, f"cannot parse: {error}")
        return ModuleAnalysis(module=module, file=file, sha256=digest, diagnostics=(diagnostic,))
    index = collect(tree, module, file)
    return _ModuleAnalyzer(index, digest).run()


class _ModuleAnalyzer:
    def __init__(self, index: ModuleIndex, digest: str) -> None:
        self.index = index
        self.digest = digest
        self.diagnostics: list[dx.Diagnostic] = []

    def run(self) -> ModuleAnalysis:
        processors: list[ProcessorFacts] = []
        udtfs: list[UDTFFacts] = []
        for name, info in self.index.classes.items():
            kind, unknown = self._kind(name, set())
            if kind == "udtf":
                udtfs.append(self._udtf(info))
            elif kind == "processor" or (unknown and _find_method(self._mro(name), "process")):
                facts = self._processor(info, unknown)
                if facts is not None:
                    processors.append(facts)
        return ModuleAnalysis(module=self.index.module, file=self.index.file, sha256=self.digest,
                              processors=tuple(processors), udtfs=tuple(udtfs),
                              diagnostics=tuple(self.diagnostics))

    # ------------------------------------------------------------------ classes
    def _kind(self, name: str, seen: set[str]) -> tuple[str, bool]:
        """('processor' | 'udtf' | 'other', whether some base is outside the module)."""
        info = self.index.classes[name]
        seen.add(name)
        unknown = False
        kind = "other"
        for base in info.bases:
            if isinstance(base, cst.Name) and base.value in self.index.classes and base.value not in seen:
                base_kind, base_unknown = self._kind(base.value, seen)
                unknown |= base_unknown
                if base_kind != "other":
                    kind = base_kind
                continue
            qnames = self.index.qnames(base)
            if qnames & PROCESSOR_BASES:
                kind = "processor"
            elif qnames & UDTF_BASES:
                kind = "udtf"
            elif qnames & {"builtins.object", "object"} or _is_generic_marker(qnames):
                continue
            else:
                unknown = True
        return kind, unknown

    def _mro(self, name: str) -> list[ClassInfo]:
        return _local_mro(self.index, name)

    def _processor(self, info: ClassInfo, unknown_bases: bool) -> ProcessorFacts | None:
        mro = self._mro(info.name)
        process = _find_method(mro, "process")
        line = self.index.position(info.node.name)[0]
        declared = self._declarations(mro, process)
        if process is None:
            if not unknown_bases:
                return None  # an abstract base Processor: not a unit of its own
            facts = Facts(reads_all=True, writes_all=True)
            lno, col, _, _ = self.index.position(info.node.name)
            diag = dx.make("unresolved-base", self.index.file, lno, col,
                           f"{info.name}.process() is inherited from a class outside this module; "
                           "treated as reading and writing every field")
            facts.diagnostics[(diag.name, lno, col)] = diag
        else:
            facts = ProcessorAnalyzer(self.index, mro, has_unknown_bases=unknown_bases).run(process)
        return self._finish(info, line, facts, declared)

    def _declarations(self, mro: list[ClassInfo], process: cst.FunctionDef | None) -> dict[str, object]:
        found: dict[str, object] = {}
        decorated: list[cst.Decorator] = list(process.decorators) if process is not None else []
        for cls in mro:
            decorated.extend(cls.node.decorators)
        for decorator in decorated:
            kind = self._declaration_kind(decorator)
            if kind is None or kind in found:
                continue
            if kind in ("always_run", "pure"):
                found[kind] = True
                continue
            expr = decorator.decorator
            fields = _constant_fields(expr)
            if fields is None:
                line, col, _, _ = self.index.position(decorator)
                self.diagnostics.append(dx.make(
                    "bad-declaration", self.index.file, line, col,
                    f"@{kind}(...) takes constant field names as string literals, "
                    f"e.g. @{kind}(\"price\", \"currency\"); the declaration is ignored"))
                continue
            found[kind] = (fields, decorator)
        return found

    def _declaration_kind(self, decorator: cst.Decorator) -> str | None:
        expr = decorator.decorator
        target = expr.func if isinstance(expr, cst.Call) else expr
        for qname in self.index.qnames(target):
            head, _, last = qname.rpartition(".")
            if last in _DECLARATIONS and head.split(".")[0] == "plugin_sdk":
                return last
        return None

    def _finish(self, info: ClassInfo, line: int, facts: Facts,
                declared: dict[str, object]) -> ProcessorFacts:
        diagnostics = list(facts.diagnostics.values())
        reads, writes = set(facts.reads), set(facts.writes)
        reads_all, writes_all = facts.reads_all, facts.writes_all
        prunable = not facts.unprunable
        covered: set[str] = set()
        declared_reads = declared_writes = None
        if "reads" in declared:
            fields, decorator = declared["reads"]
            declared_reads = frozenset(fields)
            for name in sorted(reads - declared_reads):
                ln, col = facts.reads[name]
                diagnostics.append(dx.make("undeclared-read", self.index.file, ln, col,
                                           f"reads {name!r}, which @reads(...) does not declare; "
                                           f"add it to the declaration"))
            reads, reads_all = set(declared_reads), False
            covered |= _COVERED_BY["reads"]
        if "writes" in declared:
            fields, decorator = declared["writes"]
            declared_writes = frozenset(fields)
            for name in sorted(writes - declared_writes):
                ln, col = facts.writes[name]
                diagnostics.append(dx.make("undeclared-write", self.index.file, ln, col,
                                           f"writes {name!r}, which @writes(...) does not declare; "
                                           f"add it to the declaration"))
            writes, writes_all = set(declared_writes), False
            covered |= _COVERED_BY["writes"]
        always_run = bool(declared.get("always_run"))
        if always_run and declared.get("pure"):
            ln, col, _, _ = self.index.position(info.node.name)
            diagnostics.append(dx.make("conflicting-declarations", self.index.file, ln, col,
                                       f"{info.name} is both @always_run and @pure; keep one"))
        if always_run:
            prunable = False
            covered |= _COVERED_BY["effects"]
        elif declared.get("pure"):
            prunable = True
            covered |= _COVERED_BY["effects"]
        if "reads" in declared and "writes" in declared and (always_run or declared.get("pure")):
            covered.add("dynamic-code")
        diagnostics = [_cover(d, covered) for d in diagnostics]
        return ProcessorFacts(
            name=f"{self.index.module}.{info.name}", module=self.index.module,
            class_name=info.name, file=self.index.file, line=line,
            reads=frozenset(reads), writes=frozenset(writes),
            reads_all=reads_all, writes_all=writes_all, prunable=prunable,
            declared_reads=declared_reads, declared_writes=declared_writes,
            always_run=always_run, diagnostics=tuple(sorted(diagnostics)),
        )

    # ------------------------------------------------------------------ UDTFs
    def _udtf(self, info: ClassInfo) -> UDTFFacts:
        line = self.index.position(info.node.name)[0]
        names: list[str] = []
        stores = []
        for cls in self._mro(info.name):
            if "processors" in cls.body_values:
                stores = cls.body_values["processors"]
                break
        for store in stores[-1:]:
            source = self.index.bindings.get(id(store))
            value = source.node if source is not None else None
            if not isinstance(value, (cst.List, cst.Tuple)):
                ln, col, _, _ = self.index.position(store)
                self.diagnostics.append(dx.make(
                    "unresolved-udtf-processor", self.index.file, ln, col,
                    f"{info.name}.processors must be a literal list of Processor classes"))
                continue
            for element in value.elements:
                resolved = self._resolve_class_reference(element.value)
                if resolved is None:
                    ln, col, _, _ = self.index.position(element.value)
                    self.diagnostics.append(dx.make(
                        "unresolved-udtf-processor", self.index.file, ln, col,
                        f"{info.name}.processors entry is not a class name the analyzer can resolve"))
                    continue
                names.append(resolved)
        return UDTFFacts(name=f"{self.index.module}.{info.name}", file=self.index.file, line=line,
                         processors=tuple(names))

    def _resolve_class_reference(self, expr: cst.BaseExpression) -> str | None:
        if isinstance(expr, cst.Name) and expr.value in self.index.classes:
            return f"{self.index.module}.{expr.value}"
        if not isinstance(expr, (cst.Name, cst.Attribute)):
            return None
        for qname in sorted(self.index.qnames(expr)):
            if qname.startswith("."):
                return _absolute(self.index.module, qname)
            if "<" not in qname:
                return qname
        return None


def _absolute(module: str, relative: str) -> str:
    dots = len(relative) - len(relative.lstrip("."))
    package = module.split(".")[:-1]
    if dots > 1:
        package = package[: len(package) - (dots - 1)]
    rest = relative.lstrip(".")
    return ".".join([*package, rest]) if package else rest


def _find_method(mro: list[ClassInfo], name: str) -> cst.FunctionDef | None:
    for cls in mro:
        if name in cls.methods:
            return cls.methods[name]
    return None


def _is_generic_marker(qnames: set[str]) -> bool:
    return any(q in ("typing.Generic", "abc.ABC") for q in qnames)


def _constant_fields(expr: cst.BaseExpression) -> tuple[str, ...] | None:
    if not isinstance(expr, cst.Call) or not expr.args:
        return None
    fields = []
    for arg in expr.args:
        if arg.keyword is not None or arg.star or not isinstance(arg.value, cst.SimpleString):
            return None
        value = arg.value.evaluated_value
        if not isinstance(value, str) or not value:
            return None
        fields.append(value)
    return tuple(fields)


def _cover(diagnostic: dx.Diagnostic, covered: set[str]) -> dx.Diagnostic:
    if diagnostic.name not in covered or diagnostic.severity is not Severity.WARNING:
        return diagnostic
    return dx.Diagnostic(file=diagnostic.file, line=diagnostic.line, col=diagnostic.col,
                         code=diagnostic.code, name=diagnostic.name, severity=Severity.INFO,
                         message=f"{diagnostic.message} (covered by the Processor's declaration)",
                         end_line=diagnostic.end_line, end_col=diagnostic.end_col)

