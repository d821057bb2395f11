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
