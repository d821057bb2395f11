"""A cache of module analyses, so re-compiling after one plugin file changed is quick.

A module's result depends on its own text and on the plugin modules it imports (constants,
helpers, base classes), transitively. Its key is the hash of all of those, plus a
fingerprint of the analyzer's own code. Imports are found with CPython's ``ast`` (far
cheaper than LibCST; it never runs code). Entries are JSON; a corrupt entry is a miss.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from pruner.transform.model import ModuleAnalysis


@lru_cache(maxsize=1)
def analyzer_fingerprint() -> str:
    """Changes whenever the analyzer's code does (so stale results are never reused)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted([*package.glob("*.py"), package.parent / "diagnostics.py",
                       package.parent / "fingerprint.py"]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def local_imports(source: str, module: str, known: dict[str, str]) -> set[str]:
    """The modules among `known` (name -> name) that `source` imports."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    found: set[str] = set()
    package = module.split(".")[:-1]
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[: max(0, len(package) - (node.level - 1))]
                base = ".".join([*up, base] if base else up)
            names = [base] + [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
        for name in names:
            target = _match(name, known)
            if target is not None and target != module:
                found.add(target)
    return found


def _match(name: str, known: dict[str, str]) -> str | None:
    parts = name.split(".")
    for start in range(len(parts)):
        for end in range(len(parts), start, -1):
            candidate = ".".join(parts[start:end])
            if candidate in known:
                return known[candidate]
    return None


def import_closures(texts: dict[str, str], packages: set[str] | frozenset[str] = frozenset()) -> dict[str, set[str]]:
    """Per module: every plugin module connected to it by imports, either way.

    Imports in both directions count: a module that imports `common` can change
    `common.KEYS` at import time, which changes what every other user of `common` reads.
    """
    known = {name: name for name in texts}
    linked: dict[str, set[str]] = {name: set() for name in texts}
    for name, text in texts.items():
        for dep in local_imports(text, f"{name}.__init__" if name in packages else name, known):
            if dep in linked:
                linked[name].add(dep)
                linked[dep].add(name)
    closures = {}
    for name in texts:
        closure, stack = set(), [name]
        while stack:
            current = stack.pop()
            for dep in linked.get(current, ()):
                if dep not in closure:
                    closure.add(dep)
                    stack.append(dep)
        closure.discard(name)
        closures[name] = closure
    return closures


def cache_keys(closures: dict[str, set[str]], digests: dict[str, str]) -> dict[str, str]:
    """Per module: a key over its name, its own digest and those of every module linked to it."""
    keys = {}
    for name, closure in closures.items():
        digest = hashlib.sha256(analyzer_fingerprint().encode())
        digest.update(f"module\0{name}\0".encode())   # linked modules share a closure, not a key
        for part in sorted({name, *closure}):
            digest.update(f"{part}\0{digests[part]}\0".encode())
        keys[name] = digest.hexdigest()
    return keys


class AnalysisCache:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0

    def get(self, key: str, file: str) -> ModuleAnalysis | None:
        path = self.folder / f"{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            result = ModuleAnalysis.from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        if result.file != file:  # the same code at another path: diagnostics would name the wrong file
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: ModuleAnalysis) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".entry.", dir=self.folder)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(result.to_json(), handle, sort_keys=True)
            os.replace(tmp, self.folder / f"{key}.json")
        except OSError:
            pass  # a cache that cannot be written only costs time
