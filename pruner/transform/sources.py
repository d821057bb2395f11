"""Finding plugin source files and naming their modules.

The compiler and the runtime name modules the same way (``folder_modules``), and a module
name found in two places is an error for both: Python would import the first one on its path
while an analyzer could read the other, so the plan could describe code that never runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator


class SourceError(Exception):
    """A path given to the analyzer does not exist, holds no Python file, or two files share a module name."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    module: str      # dotted name relative to the folder it was found under
    display: str     # how diagnostics name the file


def folder_modules(folder: Path) -> Iterator[tuple[Path, str]]:
    """(file, dotted module name) for every ``.py`` file under `folder`, in a stable order;
    hidden folders and ``__pycache__`` are skipped. A package's ``__init__.py`` is named after
    the package (the folder's own ``__init__.py`` after the folder)."""
    for file in sorted(folder.rglob("*.py")):
        relative = file.relative_to(folder)
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1] or [folder.resolve().name]
        yield file, ".".join(parts)


def relative_base(module: str, file: str | Path | None) -> str:
    """The name a module's relative imports are resolved against: a package's ``__init__``
    (named after its package) imports from the package itself, any other module from the
    package it is in (``from .pricing import x`` in ``shop/__init__.py`` is ``shop.pricing``)."""
    return f"{module}.__init__" if file is not None and Path(file).name == "__init__.py" else module


def discover(paths: list[str | Path]) -> list[SourceFile]:
    """Every ``.py`` file under the given files and folders, in a stable order."""
    found: dict[Path, SourceFile] = {}
    # Every name a file can be imported by: a folder inside another listed folder (plugins and
    # plugins/sub) makes plugins/sub/x.py both "sub.x" and "x", which may clash with plugins/x.py.
    named: list[tuple[str, Path]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.setdefault(path.resolve(), SourceFile(path, path.stem, str(path)))
            named.append((path.stem, path))
        elif path.is_dir():
            for file, module in folder_modules(path):
                found.setdefault(file.resolve(), SourceFile(file, module, str(file)))
                named.append((module, file))
        else:
            raise SourceError(f"{raw}: no such file or folder")
    if not found:
        raise SourceError("no Python files found in " + ", ".join(str(p) for p in paths))
    clash = module_clashes(named)
    if clash:
        raise SourceError(clash)
    return list(found.values())


def module_clashes(named: Iterable[tuple[str, Path]]) -> str:
    """A message naming every module name that two different files have, or ''."""
    files: dict[str, list[Path]] = {}
    for module, path in named:
        same = files.setdefault(module, [])
        if all(p.resolve() != path.resolve() for p in same):
            same.append(path)
    clashes = {m: ps for m, ps in files.items() if len(ps) > 1}
    if not clashes:
        return ""
    listed = "; ".join(f"module {m!r} is both {' and '.join(str(p) for p in ps)}" for m, ps in clashes.items())
    return (f"{listed}: Python imports only the first one found, so the job's code would be ambiguous; "
            "rename one of them")
