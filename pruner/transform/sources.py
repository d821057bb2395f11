"""Finding plugin source files and naming their modules."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SourceError(Exception):
    """A path given to the analyzer does not exist or holds no Python file."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    module: str      # dotted name relative to the folder it was found under
    display: str     # how diagnostics name the file


def discover(paths: list[str | Path]) -> list[SourceFile]:
    """Every ``.py`` file under the given files and folders, in a stable order."""
    found: dict[Path, SourceFile] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.setdefault(path.resolve(), SourceFile(path, path.stem, str(path)))
        elif path.is_dir():
            for file in sorted(path.rglob("*.py")):
                relative = file.relative_to(path)
                if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
                    continue
                parts = list(relative.with_suffix("").parts)
                if parts[-1] == "__init__":
                    parts = parts[:-1] or [path.resolve().name]
                found.setdefault(file.resolve(), SourceFile(file, ".".join(parts), str(file)))
        else:
            raise SourceError(f"{raw}: no such file or folder")
    if not found:
        raise SourceError("no Python files found in " + ", ".join(str(p) for p in paths))
    return list(found.values())
