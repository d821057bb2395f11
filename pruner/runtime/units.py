"""Units as the engine runs them: a Processor's runner (a read-only view of the row, or a private
copy when the analyzer could not prove it changes nothing in place), a rename's, and the
errors a unit's failure becomes."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable

from pruner.runtime import plugins


class UnitFailed(Exception):
    def __init__(self, unit: str, error: BaseException) -> None:
        super().__init__(f"{unit} raised {type(error).__name__}: {error}")


@dataclass
class Executable:
    index: int
    name: str
    kind: str
    dep: int
    supply: int                       # bitset over units
    dead: bool
    run: Callable[[dict[str, Any], tuple], dict[str, Any]] | None = None    # (row, key) -> outputs
    step: Any = None
    instance: Any = None              # a Processor's instance (compiled work calls its process)
    isolated: bool = False            # it runs on a private deep copy of the row


def processor_runner(instance: Any, isolated: bool = False) -> Callable[[dict[str, Any], tuple], dict[str, Any]]:
    """`instance.process` on a read-only view of the row; with `isolated` (the analyzer could not
    prove it changes no value in place) on a private deep copy, so what it changes in place is
    seen by nothing else, in every mode."""
    name = type(instance).__name__

    def run(row: dict[str, Any], key: tuple) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            instance.process(MappingProxyType(copy.deepcopy(row) if isolated else row), out)
        except (Exception, SystemExit, GeneratorExit) as error:  # a plugin's bug (or sys.exit) must not
            # take the job down: dead-letter it. Ctrl-C (KeyboardInterrupt) still stops the run.
            raise UnitFailed(f"{name} on key {key!r}", error) from error
        return out

    return run


def rename_runner(step: Any) -> Callable[[dict[str, Any], tuple], dict[str, Any]]:
    pairs = tuple(step.fields)

    def run(row: dict[str, Any], key: tuple) -> dict[str, Any]:
        return {new: row.get(old) for old, new in pairs}

    return run


def instantiate(cls: type, class_ref: str) -> Any:
    """``cls()``; a constructor that raises (or needs arguments) is a PluginLoadError naming where."""
    try:
        return cls()
    except (Exception, SystemExit, GeneratorExit) as error:
        import inspect
        try:
            where = f"{inspect.getsourcefile(cls)}:{inspect.getsourcelines(cls)[1]}"
        except (OSError, TypeError):
            where = class_ref
        raise plugins.PluginLoadError(f"cannot create {class_ref} ({where}): {cls.__name__}() raised "
                                      f"{type(error).__name__}: {error}; a Processor is created with no "
                                      "arguments, once per run") from error
