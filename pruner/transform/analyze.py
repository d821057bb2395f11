"""Analyze one module's text: find its Processors and UDTFs and what each Processor touches.

Never imports or runs the code: it is parsed with LibCST and read.
"""
from __future__ import annotations

import ast
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, Iterator

import libcst as cst

from pruner import diagnostics as dx
from pruner.diagnostics import Severity
from pruner.fingerprint import text_digest
from pruner.transform.collect import ClassInfo, ModuleIndex, collect
from pruner.transform.model import ModuleAnalysis, ProcessorFacts, UDTFFacts
from pruner.transform.program import Program
from pruner.transform import purity
from pruner.transform.collect import FunctionNode
from pruner.transform.resolve import Facts, ProcessorAnalyzer, _decorator_name, _describe, is_generator
from pruner.transform.values import Func
_DECLARATIONS: Final = ("reads", "writes", "always_run", "pure")

# Which diagnostics a declaration covers (they become info: the author vouched).
_COVERED_BY: Final = {
    "reads": frozenset({"dynamic-read-key", "row-iteration", "row-escapes"}),
    "writes": frozenset({"dynamic-write-key", "out-escapes"}),
    "effects": frozenset({"nondeterministic-call", "io-call", "self-mutation", "global-mutation",
                          "self-escapes", "unknown-call", "environment-read", "shared-mutation"}),
}


@dataclass(frozen=True)
class ParsedModule:
    """One file after parsing and collecting (or the diagnostic that stopped it)."""

    module: str
    file: str
    sha256: str
    index: ModuleIndex | None
    class_lines: dict[str, int]
    diagnostics: tuple[dx.Diagnostic, ...] = ()


@contextmanager
def _deep_recursion() -> Iterator[None]:
    """Tree walks recurse once per nesting level; valid code can nest a few hundred levels.

    (Python 3.11 frames for Python-to-Python calls are cheap; the depth itself is bounded by
    MAX_NESTING before any walk starts.)
    """
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def parse_source(source: str, file: str, module: str) -> ParsedModule:
    """Parse and collect one module. Bad code gives a diagnostic, never an exception."""
    with _deep_recursion():
        return _parse_source(source, file, module)


def _parse_source(source: str, file: str, module: str) -> ParsedModule:
    digest = text_digest(source)
    source = source.removeprefix("\ufeff")      # a UTF-8 byte order mark: Python ignores it, so do we
    # CPython's parser is the authority on what is Python (LibCST accepts a few things it
    # rejects, such as bad string escapes); it only parses, it never runs anything.
    try:
        python_tree = ast.parse(source)
    except SyntaxError as error:
        return _unparsable(module, file, digest, error.lineno or 1, error.offset or 1, error.msg)
    except (ValueError, RecursionError, MemoryError) as error:
        return _unparsable(module, file, digest, 1, 1, f"{type(error).__name__}: {error}")
    depth = _nesting_depth(python_tree, MAX_NESTING)
    if depth > MAX_NESTING:
        diagnostic = dx.make("too-deeply-nested", file, 1, 1,
                             f"an expression nests more than {MAX_NESTING} levels deep; the parser "
                             "would overflow its stack, so nothing in this file is analyzed "
                             "(split the expression)")
        return ParsedModule(module, file, digest, None, {}, (diagnostic,))
    try:
        tree = cst.parse_module(source)
        index = collect(tree, module, file)
    except cst.ParserSyntaxError as error:
        return _unparsable(module, file, digest, error.raw_line, error.raw_column + 1,
                           " ".join(str(error.message).split()))
    except RecursionError:
        diagnostic = dx.make("too-deeply-nested", file, 1, 1, "the file nests too deeply to analyze "
                             "(split the deepest expression)")
        return ParsedModule(module, file, digest, None, {}, (diagnostic,))
    except (ValueError, MemoryError) as error:
        return _unparsable(module, file, digest, 1, 1, f"too large ({error})")
    class_lines = {node.name: node.lineno for node in python_tree.body if isinstance(node, ast.ClassDef)}
    return ParsedModule(module, file, digest, index, class_lines)


MAX_NESTING: Final = 1000   # LibCST's native parser overflows its stack in the thousands
RECURSION_LIMIT: Final = 20_000


def _nesting_depth(tree: ast.AST, limit: int) -> int:
    """The deepest nesting LibCST will build for this tree (it nests each `or`/`and` operand)."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        step = len(node.values) if isinstance(node, ast.BoolOp) else 1
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + step))
    return deepest


def _unparsable(module: str, file: str, digest: str, line: int, col: int, message: str) -> ParsedModule:
    diagnostic = dx.make("syntax-error", file, line, col, f"cannot parse: {message}")
    return ParsedModule(module, file, digest, None, {}, (diagnostic,))


def analyze_modules(parsed: list[ParsedModule], only: set[str] | None = None) -> list[ModuleAnalysis]:
    """Analyze parsed modules together (imports between them resolve); `only` limits which."""
    with _deep_recursion():
        return _analyze_modules(parsed, only)


def _analyze_modules(parsed: list[ParsedModule], only: set[str] | None) -> list[ModuleAnalysis]:
    program = Program([p.index for p in parsed if p.index is not None])
    results = []
    for module in parsed:
        if only is not None and module.module not in only:
            continue
        if module.index is None:
            results.append(ModuleAnalysis(module=module.module, file=module.file,
                                          sha256=module.sha256, diagnostics=module.diagnostics))
        else:
            results.append(_ModuleAnalyzer(program, module).run())
    return results


def analyze_source(source: str, file: str, module: str) -> ModuleAnalysis:
    """Analyze the text of one module on its own."""
    return analyze_modules([parse_source(source, file, module)])[0]


class _ModuleAnalyzer:
    def __init__(self, program: Program, parsed: ParsedModule) -> None:
        assert parsed.index is not None
        self.program = program
        self.index = parsed.index
        self.digest = parsed.sha256
        self.class_lines = parsed.class_lines
        self.diagnostics: list[dx.Diagnostic] = []

    def _line(self, info: ClassInfo) -> int:
        line = self.class_lines.get(info.name)
        return line if line is not None else self.index.position(info.node.name)[0]

    def run(self) -> ModuleAnalysis:
        processors: list[ProcessorFacts] = []
        udtfs: list[UDTFFacts] = []
        for info in self.index.classes.values():
            mro, kind, unknown = self.program.mro(info)
            if kind == "udtf":
                udtfs.append(self._udtf(info, mro))
            elif kind == "processor" or (unknown and _defines(mro, "process")):
                facts = self._processor(info, mro, unknown)
                if facts is not None:
                    processors.append(facts)
        return ModuleAnalysis(module=self.index.module, file=self.index.file, sha256=self.digest,
                              processors=tuple(processors), udtfs=tuple(udtfs),
                              diagnostics=tuple(self.diagnostics))

    # ------------------------------------------------------------------ classes
    def _processor(self, info: ClassInfo, mro: list[ClassInfo],
                   unknown_bases: bool) -> ProcessorFacts | None:
        process, why = self._process_function(mro)
        line = self._line(info)
        declared = self._declarations(mro, process if isinstance(process, cst.FunctionDef) else None)
        if why is not None:
            facts = Facts(reads_all=True, writes_all=True, unprunable=True)
            lno, col, _, _ = self.index.position(info.node.name)
            diag = dx.make("unresolved-process", self.index.file, lno, col,
                           f"{info.name}: {why}, so the code that runs is not the code the analyzer "
                           "sees; treated as reading and writing every field, never pruned (give "
                           "the class a plain `def process(self, row, out)`, or declare @reads, "
                           "@writes and @pure)")
            facts.diagnostics[(diag.name, diag.file, lno, col)] = diag
            return self._finish(info, line, facts, declared)
        if process is None:
            if not unknown_bases:
                return None  # an abstract base Processor: not a unit of its own
            facts = Facts(reads_all=True, writes_all=True)
            lno, col, _, _ = self.index.position(info.node.name)
            diag = dx.make("unresolved-base", self.index.file, lno, col,
                           f"{info.name}.process() is inherited from a class outside this module; "
                           "treated as reading and writing every field")
            facts.diagnostics[(diag.name, diag.file, lno, col)] = diag
        else:
            facts = ProcessorAnalyzer(self.program, mro, has_unknown_bases=unknown_bases).run(process)
            never = _never_runs(process)
            if never is not None:
                facts.must_writes.clear()
                anchor = process.name if isinstance(process, cst.FunctionDef) else process
                lno, col, _, _ = self.program.position(anchor)
                diag = dx.make("process-never-runs", self.program.file_of(anchor), lno, col,
                               f"{info.name}.process() is {never}: calling it runs none of its body, "
                               "so it writes nothing; make it a plain `def`")
                facts.diagnostics[(diag.name, diag.file, lno, col)] = diag
        return self._finish(info, line, facts, declared)

    def _process_function(self, mro: list[ClassInfo]) -> tuple[FunctionNode | None, str | None]:
        """The function that runs as process(), or why the analyzer cannot tell which."""
        for cls in mro:
            for decorator in cls.node.decorators:
                if self._declaration_kind(decorator) is None and not _known_class_decorator(self.program, decorator):
                    return None, f"the class {cls.name} has the decorator {_describe(decorator.decorator)}"
            if cls.node.keywords:
                return None, f"the class {cls.name} has a metaclass or class keyword"
            if cls.class_dynamic or "__init_subclass__" in cls.methods:
                return None, f"attributes of {cls.name} are set dynamically (setattr, __init_subclass__)"
            hooks = sorted(_ATTRIBUTE_HOOKS & (set(cls.methods) | set(cls.body_values)))
            if hooks:
                return None, f"{cls.name} defines {', '.join(hooks)}, which change what attributes are"
            if "process" in cls.instance_attrs or "__class__" in cls.instance_attrs or cls.dynamic_attrs:
                return None, f"{cls.name} sets self.process, self.__class__ or its attributes dynamically"
        for cls in mro:
            if "process" in cls.changed_class_attrs:
                return None, f"{cls.name}.process is replaced after the class is defined"
            if "process" in cls.conditional_methods:
                return None, f"{cls.name}.process is defined conditionally or more than once"
            if "process" in cls.methods:
                method = cls.methods["process"]
                for decorator in method.decorators:
                    if self._declaration_kind(decorator) is None and _decorator_name(decorator) not in (
                            "staticmethod", "classmethod"):      # (those get PR402 from the signature)
                        return None, f"process() has the decorator {_describe(decorator.decorator)}"
                return method, None
            if "process" in cls.body_values:
                stores = cls.body_values["process"]
                source = self.program.bindings.get(id(stores[-1]))
                analyzer = ProcessorAnalyzer(self.program, mro, has_unknown_bases=False)
                value = analyzer.eval(source.node, None) if source is not None and source.kind == "expr" else None
                functions = [a for a in value or () if isinstance(a, Func)]
                if len(stores) == 1 and value is not None and len(functions) == len(value) == 1:
                    return functions[0].node, None
                return None, f"{cls.name}.process is assigned a value the analyzer cannot resolve to one function"
        return None, None

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
        for qname in self.program.qnames(target):
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
                site = facts.reads[name]
                ln, col, _, _ = self.program.position(site)
                diagnostics.append(dx.make("undeclared-read", self.program.file_of(site), ln, col,
                                           f"reads {name!r}, which @reads(...) does not declare; "
                                           f"add it to the declaration"))
            reads, reads_all = set(declared_reads), False
            covered |= _COVERED_BY["reads"]
        if "writes" in declared:
            fields, decorator = declared["writes"]
            declared_writes = frozenset(fields)
            for name in sorted(writes - declared_writes):
                site = facts.writes[name]
                ln, col, _, _ = self.program.position(site)
                diagnostics.append(dx.make("undeclared-write", self.program.file_of(site), ln, col,
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
            covered |= {"dynamic-code", "unresolved-process"}    # the author vouched for all of it
        diagnostics = [_cover(d, covered) for d in diagnostics]
        return ProcessorFacts(
            name=f"{self.index.module}.{info.name}", module=self.index.module,
            class_name=info.name, file=self.index.file, line=line,
            reads=frozenset(reads), writes=frozenset(writes),
            must_writes=frozenset((facts.must_writes - facts.removed) & writes) if not writes_all else frozenset(),
            reads_all=reads_all, writes_all=writes_all, prunable=prunable,
            declared_reads=declared_reads, declared_writes=declared_writes,
            always_run=always_run, diagnostics=tuple(sorted(diagnostics)),
        )

    # ------------------------------------------------------------------ UDTFs
    def _udtf(self, info: ClassInfo, mro: list[ClassInfo]) -> UDTFFacts:
        line = self._line(info)
        names: list[str] = []
        stores = []
        for cls in mro:
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
                        f"{info.name}.processors entry {_describe(element.value)} is not a Processor "
                        "class the analyzer can find"))
                    continue
                names.append(resolved)
        return UDTFFacts(name=f"{self.index.module}.{info.name}", file=self.index.file, line=line,
                         processors=tuple(names))

    def _resolve_class_reference(self, expr: cst.BaseExpression) -> str | None:
        """`module.Class` of a Processor entry; None when it is not one."""
        resolved = self.program.resolve_class(self.index, expr)
        if isinstance(resolved, ClassInfo):
            mro, kind, unknown = self.program.mro(resolved)
            if kind == "processor" or (unknown and _defines(mro, "process")):
                return f"{resolved.module}.{resolved.name}"
            return None
        if resolved is not None or not isinstance(expr, (cst.Name, cst.Attribute)):
            return None
        # A class in a module that is not among the analyzed files: keep its name; the
        # whole-analysis check reports it unless that module is analyzed too.
        for qname in sorted(self.program.qnames(expr)):
            module_name = qname.rpartition(".")[0]
            if module_name and "<" not in qname and self.program.find_module(module_name) is None:
                return qname
        return None


def _find_method(mro: list[ClassInfo], name: str) -> cst.FunctionDef | None:
    for cls in mro:
        if name in cls.methods:
            return cls.methods[name]
    return None


# Methods that decide what an attribute lookup or store does, or which object is made.
_ATTRIBUTE_HOOKS = frozenset({"__getattr__", "__getattribute__", "__setattr__", "__delattr__",
                              "__new__", "__class_getitem__"})


def _defines(mro: list[ClassInfo], name: str) -> bool:
    return any(name in cls.methods or name in cls.body_values for cls in mro)


def _known_class_decorator(program: Program, decorator: cst.Decorator) -> bool:
    expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
    names = program.qnames(expr)
    return bool(names) and all(n in purity.CLASS_DECORATORS for n in names)


def _never_runs(process: FunctionNode) -> str | None:
    """'async' / 'a generator' when calling process() runs none of its body."""
    if isinstance(process, cst.FunctionDef) and process.asynchronous is not None:
        return "`async`"
    return "a generator (it contains `yield`)" if is_generator(process) else None


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

