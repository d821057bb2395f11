"""Loading a job's plugin classes at run time, and checking them against the plan.

At run time the plugins are imported (that is their purpose); the compiler never does.
Before a plan is used to prune, the plugin files and the spec are hashed and compared with
the fingerprints the plan was compiled from. A mismatch means the plan may not describe the
code that runs, so the runtime never prunes with it: by default it runs every unit and
warns (``on_stale="full"``), or it stops (``on_stale="stop"``).
"""
from __future__ import annotations

import hashlib
import importlib
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pruner.encode import Plan
from pruner.spec import JobSpec

STALE_POLICIES = ("full", "stop")
_IMPORTS = threading.RLock()


class StalePlanError(Exception):
    """The plan was compiled from other code than what is about to run."""


class StalePlanWarning(UserWarning):
    """The plan is stale; every unit runs (nothing is pruned) until it is recompiled."""


@dataclass(frozen=True)
class Staleness:
    changed: tuple[str, ...]      # files whose content differs from the plan's fingerprint
    missing: tuple[str, ...]      # files the plan knows that are gone
    added: tuple[str, ...]        # plugin files the plan does not know

    @property
    def stale(self) -> bool:
        return bool(self.changed or self.missing or self.added)

    def describe(self) -> str:
        parts = []
        if self.changed:
            parts.append("changed since compile: " + ", ".join(self.changed))
        if self.missing:
            parts.append("missing: " + ", ".join(self.missing))
        if self.added:
            parts.append("not in the plan: " + ", ".join(self.added))
        return "; ".join(parts)


def check_fingerprints(plan: Plan, spec: JobSpec) -> Staleness:
    base = spec.path.resolve().parent
    current: dict[str, str] = {}
    for folder in spec.plugins:
        for file in sorted(Path(folder).rglob("*.py")):
            if any(part.startswith(".") or part == "__pycache__" for part in file.relative_to(folder).parts):
                continue
            try:
                key = file.resolve().relative_to(base).as_posix()
            except ValueError:
                key = file.resolve().as_posix()
            current[key] = hashlib.sha256(file.read_bytes().decode("utf-8").encode(
                "utf-8", "surrogatepass")).hexdigest()
    known = plan.fingerprints.get("plugins", {})
    changed = [f for f in known if f in current and current[f] != known[f]]
    spec_digest = hashlib.sha256(spec.text.encode("utf-8")).hexdigest()
    if plan.fingerprints.get("spec", {}).get(spec.path.name) != spec_digest:
        changed.append(spec.path.name)
    return Staleness(changed=tuple(sorted(changed)),
                     missing=tuple(sorted(f for f in known if f not in current)),
                     added=tuple(sorted(f for f in current if f not in known)))


def enforce(staleness: Staleness, policy: str, plan_name: str) -> bool:
    """True when pruning is allowed; warns or raises on a stale plan per `policy`."""
    if policy not in STALE_POLICIES:
        raise ValueError(f"on_stale must be one of {', '.join(STALE_POLICIES)}, got {policy!r}")
    if not staleness.stale:
        return True
    message = (f"plan {plan_name!r} does not match the code it would run ({staleness.describe()}); "
               "recompile it with `pruner compile`")
    if policy == "stop":
        raise StalePlanError(message)
    warnings.warn(message + "; running every unit on every message until then", StalePlanWarning,
                  stacklevel=3)
    return False


def load_class(spec: JobSpec, class_ref: str) -> Any:
    """Import `module.Class` from the job's plugin folders, exactly as they are on disk now.

    Plugin modules import each other by plain names (`from item_common import ...`), so the
    job's folders go first on sys.path. A module of the same name loaded earlier from another
    folder, or from this one before its file changed, is imported again: the code that runs
    must be the code whose fingerprint was checked.
    """
    folders = [str(Path(folder).resolve()) for folder in spec.plugins]
    module_name, _, class_name = class_ref.rpartition(".")
    with _IMPORTS:              # engines in several threads (PyFlink's local workers) load at once
        for path in reversed(folders):
            if path in sys.path:
                sys.path.remove(path)
            sys.path.insert(0, path)
        _forget_stale_modules(folders)
        module = importlib.import_module(module_name)
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise ImportError(f"{class_ref}: module {module_name!r} has no class {class_name!r}") from None


def _plugin_modules(folders: list[str]) -> dict[str, Path]:
    """Module name -> file, for every plugin module in the job's folders."""
    expected: dict[str, Path] = {}
    for folder in folders:
        for file in Path(folder).rglob("*.py"):
            parts = list(file.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts:
                expected.setdefault(".".join(parts), file.resolve())
    return expected


def _forget_stale_modules(folders: list[str]) -> None:
    for name, file in _plugin_modules(folders).items():
        module = sys.modules.get(name)
        if module is None:
            continue
        loaded = getattr(module, "__file__", None)
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        if loaded is None or Path(loaded).resolve() != file or getattr(module, _DIGEST, None) != digest:
            del sys.modules[name]
    importlib.invalidate_caches()


def note_loaded(spec: JobSpec) -> None:
    """Record the digest of every plugin module now loaded (see _forget_stale_modules)."""
    folders = [str(Path(folder).resolve()) for folder in spec.plugins]
    with _IMPORTS:
        for name, file in _plugin_modules(folders).items():
            module = sys.modules.get(name)
            loaded = getattr(module, "__file__", None) if module is not None else None
            if loaded and Path(loaded).resolve() == file:
                setattr(module, _DIGEST, hashlib.sha256(file.read_bytes()).hexdigest())


_DIGEST = "__pruner_sha256__"
