"""Transform: plugin source code -> what each Processor reads and writes (never imports it)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from pruner import diagnostics as dx
from pruner.transform.analyze import ParsedModule, analyze_modules, analyze_source, parse_source
from pruner.transform.cache import AnalysisCache, cache_keys, import_closures
from pruner.transform.model import Analysis, ModuleAnalysis, ProcessorFacts, UDTFFacts
from pruner.transform.sources import SourceError, SourceFile, discover

__all__ = ["transform", "analyze_source", "parse_source", "analyze_modules", "Analysis", "ModuleAnalysis", "ProcessorFacts",
           "UDTFFacts", "SourceError", "SourceFile", "discover"]


def transform(paths: list[str | Path], *, cache_dir: str | Path | None = None) -> Analysis:
    """Analyze every Python file under `paths` (files or folders).

    With `cache_dir`, modules whose text (and whose imported plugin modules' text) did not
    change since a previous run are read from the cache instead of analyzed again.
    """
    sources = discover(paths)
    texts: dict[str, str] = {}
    unreadable: dict[str, ParsedModule] = {}
    for source in sources:
        try:
            texts[source.module] = source.path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            diagnostic = dx.make("unreadable-file", source.display, 1, 1, f"cannot read: {error}")
            unreadable[source.module] = ParsedModule(source.module, source.display, "", None, {},
                                                     (diagnostic,))
    if cache_dir is None:
        parsed = [unreadable.get(s.module) or parse_source(texts[s.module], s.display, s.module)
                  for s in sources]
        return _check_udtfs(Analysis(modules=tuple(analyze_modules(parsed))))
    return _check_udtfs(_transform_cached(sources, texts, unreadable, AnalysisCache(cache_dir)))


def _transform_cached(sources: list[SourceFile], texts: dict[str, str],
                      unreadable: dict[str, ParsedModule], cache: AnalysisCache) -> Analysis:
    digests = {name: hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
               for name, text in texts.items()}
    closures = import_closures(texts)
    keys = cache_keys(closures, digests)
    results: dict[str, ModuleAnalysis] = {}
    for source in sources:
        if source.module in keys:
            hit = cache.get(keys[source.module], source.display)
            if hit is not None:
                results[source.module] = hit
    missing = [s for s in sources if s.module not in results and s.module not in unreadable]
    if missing:
        # Parse the misses and the plugin modules they import (the Program needs those).
        needed = {s.module for s in missing}
        for source in missing:
            needed |= closures.get(source.module, set())
        parsed = [parse_source(texts[s.module], s.display, s.module)
                  for s in sources if s.module in needed and s.module in texts]
        fresh = analyze_modules(parsed, only={s.module for s in missing})
        for result in fresh:
            results[result.module] = result
            cache.put(keys[result.module], result)
    for name, parsed_module in unreadable.items():
        results[name] = ModuleAnalysis(module=name, file=parsed_module.file, sha256="",
                                       diagnostics=parsed_module.diagnostics)
    return Analysis(modules=tuple(results[s.module] for s in sources))


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
