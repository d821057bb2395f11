"""Transform: plugin source code -> what each Processor reads and writes (never imports it)."""
from __future__ import annotations

from pathlib import Path

from pruner import diagnostics as dx
from pruner.transform.analyze import ParsedModule, analyze_modules, analyze_source, parse_source
from pruner.transform.model import Analysis, ModuleAnalysis, ProcessorFacts, UDTFFacts
from pruner.transform.sources import SourceError, SourceFile, discover

__all__ = ["transform", "analyze_source", "parse_source", "analyze_modules", "Analysis", "ModuleAnalysis", "ProcessorFacts",
           "UDTFFacts", "SourceError", "SourceFile", "discover"]


def transform(paths: list[str | Path]) -> Analysis:
    """Analyze every Python file under `paths` (files or folders)."""
    parsed = [_parse_file(source) for source in discover(paths)]
    return _check_udtfs(Analysis(modules=tuple(analyze_modules(parsed))))


def _parse_file(source: SourceFile) -> ParsedModule:
    try:
        text = source.path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        diagnostic = dx.make("unreadable-file", source.display, 1, 1, f"cannot read: {error}")
        return ParsedModule(source.module, source.display, "", None, {}, (diagnostic,))
    return parse_source(text, source.display, source.module)


def _check_udtfs(analysis: Analysis) -> Analysis:
    """Every UDTF's processors must be Processors found in the analyzed files."""
    known = {p.name for p in analysis.processors}
    modules = []
    for module in analysis.modules:
        extra = []
        for udtf in module.udtfs:
            for name in udtf.processors:
                if name not in known:
                    extra.append(dx.make(
                        "unresolved-udtf-processor", udtf.file, udtf.line, 1,
                        f"{udtf.name} lists {name}, which is not a Processor in the analyzed files "
                        "(is its module among the paths given?)"))
        if extra:
            module = ModuleAnalysis(module=module.module, file=module.file, sha256=module.sha256,
                                    processors=module.processors, udtfs=module.udtfs,
                                    diagnostics=module.diagnostics + tuple(extra))
        modules.append(module)
    return Analysis(modules=tuple(modules))
