"""Transform: plugin source code -> what each Processor reads and writes (never imports it)."""
from __future__ import annotations

import ast
import importlib.machinery
import os
import sys
from pathlib import Path

from pruner import diagnostics as dx
from pruner.fingerprint import text_digest
from pruner.transform.analyze import ParsedModule, analyze_modules, analyze_source, parse_source
from pruner.transform.cache import AnalysisCache, cache_keys, import_closures
from pruner.transform.model import Analysis, ModuleAnalysis, ProcessorFacts, UDTFFacts
from pruner.transform.sources import SourceError, SourceFile, discover, relative_base

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
        analysis = Analysis(modules=tuple(analyze_modules(parsed)))
    else:
        analysis = _transform_cached(sources, texts, unreadable, AnalysisCache(cache_dir))
    return _check_imports(_check_udtfs(analysis), texts)


def _transform_cached(sources: list[SourceFile], texts: dict[str, str],
                      unreadable: dict[str, ParsedModule], cache: AnalysisCache) -> Analysis:
    digests = {name: text_digest(text) for name, text in texts.items()}
    packages = {s.module for s in sources if relative_base(s.module, s.path) != s.module}
    closures = import_closures(texts, packages)
    digests = {name: digest + ("+package" if name in packages else "") for name, digest in digests.items()}
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


def _check_imports(analysis: Analysis, texts: dict[str, str]) -> Analysis:
    """Warn about imports of modules that exist nowhere the compiler can see (PR004).

    Not part of the cached per-module analysis: it depends on which plugin files exist and on
    what is installed. Whether a module is installed is asked with the import system's finders
    on its top-level name only, which reads the path and never runs module code. Imports inside
    ``try`` (an optional dependency with a fallback) are not reported.
    """
    known = set(texts)
    prefixes = {".".join(name.split(".")[:i]) for name in known for i in range(1, name.count(".") + 2)}
    extra: dict[str, list[dx.Diagnostic]] = {}
    files = {m.module: m.file for m in analysis.modules}
    for module, text in texts.items():
        for node, name in _imports(text, relative_base(module, files.get(module))):
            if name in prefixes or _installed(name.split(".")[0]):
                continue
            extra.setdefault(module, []).append(dx.make(
                "missing-module", files.get(module, module), node.lineno, node.col_offset + 1,
                f"module {name!r} is neither a plugin module nor installed here: if it was a plugin "
                "file, it was moved or deleted (everything taken from it is unknown: what uses it is "
                "never pruned, and Processors reading every field may form a cycle); at run time "
                "this import fails unless the module is installed there"))
    if not extra:
        return analysis
    return Analysis(modules=tuple(
        ModuleAnalysis(module=m.module, file=m.file, sha256=m.sha256, processors=m.processors, udtfs=m.udtfs,
                       diagnostics=m.diagnostics + tuple(extra[m.module])) if m.module in extra else m
        for m in analysis.modules))


def _imports(text: str, module: str) -> list[tuple[ast.stmt, str]]:
    """(statement, absolute module name) for each import outside a ``try``."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    package = module.split(".")[:-1]
    found: list[tuple[ast.stmt, str]] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Try) or (sys.version_info >= (3, 11) and isinstance(node, ast.TryStar)):
            stack.extend([*node.handlers, *node.orelse, *node.finalbody])   # the body may fail on purpose
            continue
        if isinstance(node, ast.Import):
            found.extend((node, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[: max(0, len(package) - (node.level - 1))]
                base = ".".join([*up, base] if base else up)
            if base and base != "__future__":
                found.append((node, base))
        stack.extend(ast.iter_child_nodes(node))
    return found


def _installed(top: str) -> bool:
    """Whether `top` can be imported here from outside any job's plugin folders (a runtime in
    this process may have put those on sys.path; they do not count as installed)."""
    if top in sys.builtin_module_names or top in sys.stdlib_module_names:
        return True
    from pruner.runtime.plugins import loaded_plugin_folders

    excluded = loaded_plugin_folders()
    path = [entry for entry in sys.path if os.path.realpath(entry or ".") not in excluded]
    for finder in sys.meta_path:
        if getattr(finder, "plugin_folders", None) is not None:
            continue                    # a job's own finder (pruner.runtime.plugins)
        try:
            if finder is importlib.machinery.PathFinder:
                found = finder.find_spec(top, path)
            elif hasattr(finder, "find_spec"):
                found = finder.find_spec(top, None)
            else:
                continue
        except (ImportError, ValueError, TypeError):
            continue
        if found is not None:
            return True
    return False
