"""Fingerprints: the sha256 digests a plan records of the files it was compiled from.

One definition for both sides. The compiler records them: the analyzer digests each plugin
module's source (``pruner.transform``) and the encode stage puts those and the spec's into
``Plan.fingerprints``, keyed by ``file_key``. The runtime computes them again before it runs
a plan (``pruner.runtime.plugins``: the stale check, the check of a module imported late).
A file's digest is the sha256 of its bytes; ``text_digest`` of text decoded from a UTF-8
file is the same digest (it encodes the text back to those bytes).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_digest(data: bytes) -> str:
    """A file's fingerprint: the sha256 of its bytes."""
    return hashlib.sha256(data).hexdigest()


def text_digest(text: str) -> str:
    """The fingerprint of a file read as UTF-8 text (lone surrogates kept as they were)."""
    return file_digest(text.encode("utf-8", "surrogatepass"))


def file_key(path: Path, base: Path) -> str:
    """How a plan names a file: its path relative to `base` (the spec's folder), else absolute."""
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.resolve().as_posix()


_NOT_DATA = frozenset({"__pycache__", ".pruner-cache", ".git"})   # made by tools, not read by plugin code


def folders_digest(paths) -> str:
    """One digest of every file under the given files and folders: names and contents, so adding,
    removing or changing any counts. Hidden files count (a plugin may read ``.rates.json``) and
    symbolic links to folders are followed (once each); ``__pycache__``, ``.pruner-cache`` and
    ``.git`` are skipped."""
    digest = hashlib.sha256()
    for root in sorted(Path(p) for p in paths):
        if root.is_file():
            _add_file(digest, root, Path(root.name))
            continue
        seen: set[str] = set()
        for folder, dirs, files in os.walk(root, followlinks=True):
            real = os.path.realpath(folder)
            if real in seen:            # a link back up the tree
                dirs[:] = []
                continue
            seen.add(real)
            dirs[:] = sorted(d for d in dirs if d not in _NOT_DATA)
            for name in sorted(files):
                file = Path(folder) / name
                _add_file(digest, file, Path(root.name) / file.relative_to(root))
    return digest.hexdigest()


def _add_file(digest, file: Path, relative: Path) -> None:
    content = hashlib.sha256()
    try:
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                content.update(block)
    except OSError as error:
        content.update(f"unreadable: {error.strerror}".encode())
    digest.update(f"{relative.as_posix()}\0{content.hexdigest()}\n".encode("utf-8", "surrogatepass"))
