"""Loading a job's plugin classes at run time, and checking them against the plan.

At run time the plugins are imported (that is their purpose); the compiler never does.
Before a plan is used, in every mode, the plugin files and the spec are hashed and compared
with the fingerprints the plan was compiled from. A mismatch means the plan may not describe
the code that runs: its units may not even be the job's units any more (a Processor added to
a UDTF, a step added to the spec). So a stale plan is never run. What happens instead is the
``on_stale`` policy:

- ``stop`` (the default): refuse, naming what changed and `pruner compile` as the fix;
- ``full``: compile the job in memory (static analysis only, never importing it) to learn its
  *current* units, and run every one of them on every message, pruning nothing;
- ``compile``: compile in memory and prune with that plan (a warning says the plan file is
  stale; the compile costs about a second per run).

Either way the units that run are the current code's, never the stale plan's.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pruner.fingerprint import file_digest, file_key, text_digest
from pruner.plan import Plan
from pruner.spec import JobSpec

STALE_POLICIES = ("stop", "full", "compile")
_IMPORTS = threading.RLock()


class StalePlanError(Exception):
    """The plan was compiled from other code than what is about to run."""


class StalePlanWarning(UserWarning):
    """The plan file is stale; the job runs on a plan compiled in memory until it is recompiled."""


class PluginLoadError(Exception):
    """A plugin module cannot be imported (syntax error, an exception at import, a missing file)."""


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
            key = file_key(file, base)
            try:
                data = file.read_bytes()
            except OSError as error:        # a folder named x.py, an unreadable file
                current[key] = f"unreadable: {error.strerror or error}"
                continue
            try:
                data.decode("utf-8")
                current[key] = file_digest(data)
            except UnicodeDecodeError:      # not UTF-8: it cannot be what was compiled
                current[key] = "not-utf-8:" + file_digest(data)
    known = plan.fingerprints.get("plugins", {})
    changed = [f for f in known if f in current and current[f] != known[f]]
    if plan.fingerprints.get("spec", {}).get(spec.path.name) != text_digest(spec.text):
        changed.append(spec.path.name)
    return Staleness(changed=tuple(sorted(changed)),
                     missing=tuple(sorted(f for f in known if f not in current)),
                     added=tuple(sorted(f for f in current if f not in known)))


def enforce(staleness: Staleness, policy: str, plan_name: str) -> bool:
    """True when the plan may be used as it is; raises (``stop``) or warns on a stale plan.

    Only for callers that have no job to run (``pruner.runtime.load_plan``): a runtime uses
    ``plan_to_run``, which also replaces a stale plan's units by the current ones.
    """
    _check_policy(policy)
    if not staleness.stale:
        return True
    message = _stale_message(plan_name, staleness)
    if policy == "stop":
        raise StalePlanError(message)
    warnings.warn(message, StalePlanWarning, stacklevel=3)
    return False


def plan_to_run(plan: Plan, spec: JobSpec, policy: str = "stop") -> tuple[Plan, bool]:
    """The plan a runtime may run for `spec`, and whether it may prune with it.

    A fresh plan is returned as it is. A stale one is never run (see the module docstring):
    ``stop`` raises StalePlanError; ``full`` and ``compile`` compile the job in memory and
    return that plan, with pruning off (``full``) or on (``compile``), after a warning.
    """
    _check_policy(policy)
    staleness = check_fingerprints(plan, spec)
    if not staleness.stale:
        expect(spec, plan)
        return plan, True
    fresh, why = _compile_in_memory(spec)
    units = _unit_changes(plan, fresh) if fresh is not None else ""
    message = _stale_message(plan.job, staleness, units)
    if policy == "stop":
        raise StalePlanError(message + (f"\n  and compiling it now fails: {why}" if why else ""))
    if fresh is None:
        raise StalePlanError(f"{message}\n  on_stale={policy} compiles the job in memory, which "
                             f"fails: {why}")
    expect(spec, fresh)
    if policy == "full":
        warnings.warn(f"{message}; running every unit of the current code on every message (nothing "
                      "pruned) until then", StalePlanWarning, stacklevel=3)
        return fresh, False
    warnings.warn(f"{message}; pruning with a plan compiled in memory until then", StalePlanWarning,
                  stacklevel=3)
    return fresh, True


# Plugin file (resolved) -> the digest the running plan was checked against. A module imported
# after the check (lazily, inside process()) is compiled only if its bytes still have it: a file
# edited during a run would otherwise run new code under the old plan.
_EXPECTED: dict[str, str] = {}
_CHECKED_FOLDERS: set[Path] = set()       # every .py file in these must be in _EXPECTED
_EXPECT_LOCK = threading.Lock()           # a Flink worker runs operators (and imports) in threads


def expect(spec: JobSpec, plan: Plan | None) -> None:
    """From now on, load `spec`'s plugin files only with the digests `plan` records for them
    (None: forget what was expected of them, for a runtime that checks no fingerprints)."""
    folders = [Path(folder).resolve() for folder in spec.plugins]
    base = spec.path.resolve().parent
    new = {} if plan is None else {str((base / name).resolve()): digest
                                   for name, digest in plan.fingerprints.get("plugins", {}).items()}
    with _EXPECT_LOCK:              # all at once: an import in another thread never sees half of it
        for path in [p for p in _EXPECTED if any(Path(p).is_relative_to(f) for f in folders)]:
            del _EXPECTED[path]
        _CHECKED_FOLDERS.difference_update(folders)
        if plan is not None:
            _CHECKED_FOLDERS.update(folders)
            _EXPECTED.update(new)


class PluginChangedError(ImportError):
    """A plugin file changed after the run checked its plan against it."""


def _check_policy(policy: str) -> None:
    if policy not in STALE_POLICIES:
        raise ValueError(f"on_stale must be one of {', '.join(STALE_POLICIES)}, got {policy!r}")


_FILE_ERRORS = frozenset({"PR001", "PR002", "PR003"})


def _stale_message(plan_name: str, staleness: Staleness, units: str = "") -> str:
    return (f"plan {plan_name!r} does not match the job it would run ({staleness.describe()}"
            f"{'; ' + units if units else ''}); recompile it with `pruner compile`")


def _compile_in_memory(spec: JobSpec) -> tuple[Plan | None, str]:
    """(the job's plan compiled from the files as they are now, or None and why not)."""
    from pruner.compiler import build           # the compiler is only needed for a stale plan
    from pruner.diagnostics import Severity
    from pruner.spec import SpecError
    from pruner.transform import SourceError

    try:
        result = build(spec.path)
    except (SpecError, SourceError, OSError) as error:
        return None, str(error)
    found = [d for d in result.diagnostics() if d.severity is Severity.ERROR]
    # A file that cannot be read or parsed (PR001-PR003) is the cause of what follows from it
    # (unknown classes, cycles, unproduced fields): those come first and are never cut.
    causes = [d.render() for d in found if d.code in _FILE_ERRORS]
    rest = [d.render() for d in found if d.code not in _FILE_ERRORS]
    if causes or rest:
        shown = causes + rest[:max(0, 3 - len(causes))]
        left = len(causes) + len(rest) - len(shown)
        return None, "; ".join(shown) + (f" (and {left} more)" if left else "")
    return result.plan, ""


def _unit_changes(old: Plan, new: Plan) -> str:
    """Which units the job has now that the plan does not, and the reverse."""
    before = {(u.name, u.kind, u.step, u.class_ref) for u in old.units}
    after = {(u.name, u.kind, u.step, u.class_ref) for u in new.units}
    added = sorted(name for name, *_ in after - before)
    removed = sorted(name for name, *_ in before - after)
    parts = []
    if added:
        parts.append("units the plan does not have: " + ", ".join(added))
    if removed:
        parts.append("units the job no longer has: " + ", ".join(removed))
    return "; ".join(parts)


def load_class(spec: JobSpec, class_ref: str) -> Any:
    """Import `module.Class` from the job's plugin folders, exactly as they are on disk now.

    Plugin modules import each other by plain names (`from item_common import ...`), so the
    job's folders go first on sys.path, and a finder for them stays installed for the rest of
    the process: a module imported later, lazily inside ``process()``, is also compiled from
    its source as it is then (never a stale ``.pyc``). A module of the same name loaded earlier
    from another folder, or from this one before its file changed, is imported again: the code
    that runs must be the code whose fingerprint was checked. A module name that two files of
    the job have is refused, as the compiler refuses it.
    """
    folders = [str(Path(folder).resolve()) for folder in spec.plugins]
    module_name, _, class_name = class_ref.rpartition(".")
    with _IMPORTS:              # engines in several threads (PyFlink's local workers) load at once
        modules = _plugin_modules(folders)      # refuses a module name two files have, touching nothing
        _install_finder(folders)
        for path in reversed(folders):
            if path in sys.path:
                sys.path.remove(path)
            sys.path.insert(0, path)
        try:
            _forget_stale_modules(modules)
            module = importlib.import_module(module_name)
        except (Exception, SystemExit, GeneratorExit) as error:      # plugin code raising (or calling
            # sys.exit) at import is the plugin's error, not ours; Ctrl-C stays Ctrl-C
            raise PluginLoadError(f"cannot import {class_ref}: {_where(error, folders)}") from error
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise PluginLoadError(f"cannot load {class_ref}: module {module_name!r} has no class "
                              f"{class_name!r}") from None


class _SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Compiles the file's bytes as they are now: never a ``__pycache__`` .pyc (Python trusts one
    whose recorded mtime and size match, so a same-size edit within the same second, or files
    copied with their times, would run old code under a fresh fingerprint), and writes none."""

    def path_stats(self, path: str):
        raise OSError("no bytecode for plugins")   # SourceLoader then neither reads nor writes it

    def get_data(self, path: str) -> bytes:
        data = super().get_data(path)
        resolved = Path(path).resolve()
        with _EXPECT_LOCK:
            expected = _EXPECTED.get(str(resolved))
            checked = expected is not None or any(resolved.is_relative_to(f) for f in _CHECKED_FOLDERS)
        if not checked or resolved.suffix != ".py":     # a data file read through the loader
            return data                                 # (pkgutil.get_data): not code to check
        if expected is None or file_digest(data) != expected:
            raise PluginChangedError(f"{path} {'appeared' if expected is None else 'changed'} after the run "
                                     "checked the plan against the job's files (it is imported only now): "
                                     "its code never runs under a plan made without it; recompile with "
                                     "`pruner compile` and run again")
        return data


class _PluginFinder(importlib.abc.MetaPathFinder):
    """Finds the job's plugin modules (before sys.path does: the first folder that has the
    module, a package before a module, as Python's own path finder) and loads them with
    _SourceOnlyLoader. It looks on disk at each import, so a module imported late is found."""

    def __init__(self, folders: tuple[str, ...]) -> None:
        self.folders = folders
        self.plugin_folders = folders

    def find_spec(self, name, path=None, target=None):
        parts = name.split(".")
        if any(not part.isidentifier() for part in parts):
            return None
        for folder in self.folders:
            base = Path(folder, *parts)
            for file in (base / "__init__.py", base.with_name(base.name + ".py")):
                if file.is_file():
                    package = [str(file.parent)] if file.name == "__init__.py" else None
                    return importlib.util.spec_from_file_location(
                        name, file, loader=_SourceOnlyLoader(name, str(file)),
                        submodule_search_locations=package)
        return None


_FINDERS: dict[tuple[str, ...], _PluginFinder] = {}


def loaded_plugin_folders() -> set[str]:
    """The plugin folders of every job loaded in this process (they are on sys.path)."""
    return {folder for folders in _FINDERS for folder in folders}


def _install_finder(folders: list[str]) -> None:
    """Put the job's finder first on sys.meta_path, for the rest of the process (idempotent)."""
    key = tuple(folders)
    finder = _FINDERS.get(key)
    if finder is None:
        finder = _FINDERS[key] = _PluginFinder(key)
    if finder in sys.meta_path:
        sys.meta_path.remove(finder)
    sys.meta_path.insert(0, finder)


def _where(error: BaseException, folders: list[str]) -> str:
    """The error with the plugin file and line it comes from (the innermost frame in a plugin)."""
    what = f"{type(error).__name__}: {error}"
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}: SyntaxError: {error.msg}"
    if isinstance(error, ModuleNotFoundError):
        return what + " (is the module in the job's plugin folders?)"
    place = ""
    frame = error.__traceback__
    while frame is not None:
        filename = frame.tb_frame.f_code.co_filename
        if any(filename.startswith(folder + "/") for folder in folders):
            place = f"{filename}:{frame.tb_lineno}: "
        frame = frame.tb_next
    return place + what


def _plugin_modules(folders: list[str]) -> dict[str, Path]:
    """Module name -> file, for every plugin module in the job's folders, named as the compiler
    names them (``pruner.transform.sources``); PluginLoadError when two files share a name."""
    from pruner.transform.sources import folder_modules, module_clashes

    named = [(module, file.resolve()) for folder in folders for file, module in folder_modules(Path(folder))
             if not (file.name == "__init__.py" and file.parent == Path(folder))]
    clash = module_clashes(named)
    if clash:
        raise PluginLoadError(clash)
    return dict(named)


def _forget_stale_modules(modules: dict[str, Path]) -> None:
    for name, file in modules.items():
        module = sys.modules.get(name)
        if module is None:
            continue
        loaded = getattr(module, "__file__", None)
        digest = file_digest(file.read_bytes())
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
                setattr(module, _DIGEST, file_digest(file.read_bytes()))


_DIGEST = "__pruner_sha256__"
