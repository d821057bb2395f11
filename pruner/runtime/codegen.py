"""Compiled execution per mask: one straight-line Python function per piece of per-decision work.

The engine's per-row work for a decision is a list of units to visit in order (run one, replay
a skipped one's stored outputs, derive a DimJoin/UDAF/rename again, or a segment of consecutive
replays). ``Engine._visit`` walks that list (the reference); ``compile_visit`` turns it into a
function with no loop over the list, no dispatch per entry, and a plain Processor's ``process``
called directly (no runner frame): the same steps in the same order, so the same row, the same
stored outputs, and the same error for a failing unit.

Only integers (unit and output indices) are written into the source; everything else (field
names, runners, bound ``process`` methods) reaches the function as constants of its namespace,
so no name from a plan or a plugin is ever parsed as code.
"""
from __future__ import annotations

import copy
from itertools import chain
from types import MappingProxyType
from typing import Any, Callable

from pruner.runtime.units import UnitFailed

# (row, key, new_outputs, shapes) -> whether every filter keeps the row
Compiled = Callable[[dict, tuple, list, list], bool]

COMPILED_LIMIT = 4096           # functions compiled per engine; beyond it the walker is used


def compile_visit(visit: tuple, segment: Callable, replay_dict: Callable) -> Compiled:
    """The function doing what ``Engine._visit`` does for `visit`.

    Each entry of `visit` is ``(unit, index, how, special, store)`` as the engine builds it (how:
    "run", "replay", "derive" or "segment"); `segment(entry, outs, row, shapes)` and `replay_dict(unit, out, row)` are the walker's
    slow paths (a segment holding a dict or an output not stored yet; a stored dict output)."""
    names: dict[str, Any] = {"MP": MappingProxyType, "UnitFailed": UnitFailed, "deepcopy": copy.deepcopy,
                             "chain": chain.from_iterable, "is_tuple": tuple.__instancecheck__,
                             "segment": segment, "replay_dict": replay_dict}
    body: list[str] = []
    emit = body.append
    for n, (unit, index, how, special, store) in enumerate(visit):
        if how == "segment":
            lo, hi = index
            names[f"SEG{n}"] = unit
            emit(f"outs = new_outputs[{lo}:{hi}]")
            emit(f"nm = SEG{n}[0]")
            emit("if nm is not None and all(map(is_tuple, outs)):")
            emit("    row.update(zip(nm, chain(outs)))")
            emit("else:")
            emit(f"    segment(SEG{n}, outs, row, shapes)")
            continue
        if how == "replay":
            names[f"U{n}"] = unit
            emit(f"out = new_outputs[{index}]")
            emit("if out.__class__ is tuple:")
            if special == 1:
                emit("    if not all(out):")
                emit("        exists = False")
            emit(f"    row.update(zip(shapes[{index}], out))")
            emit("elif out is not None:")
            emit(f"    if not replay_dict(U{n}, out, row):")
            emit("        exists = False")
            continue
        # run (or derive): a plain Processor is called directly, anything else by its runner
        instance = getattr(unit, "instance", None)
        if unit.kind in ("processor", "filter") and instance is not None:
            names[f"P{n}"] = instance.process
            names[f"N{n}"] = f"{type(instance).__name__} on key "
            emit("out = {}")
            emit("try:")
            emit(f"    P{n}(MP(deepcopy(row)), out)" if unit.isolated else f"    P{n}(MP(row), out)")
            emit("except (Exception, SystemExit, GeneratorExit) as error:")
            emit(f"    raise UnitFailed(N{n} + repr(key), error) from error")
        else:
            names[f"R{n}"] = unit.run
            emit(f"out = R{n}(row, key)")
        if store:
            emit(f"shape = shapes[{index}]")
            emit("if shape is None:")
            emit(f"    shape = shapes[{index}] = tuple(out)")
            emit(f"new_outputs[{index}] = tuple(out.values()) if tuple(out) == shape else out")
        if special == 1:
            emit("if not all(out.values()):")
            emit("    exists = False")
        elif special == 2:
            names[f"OLD{n}"] = tuple(old for old, _ in unit.step.fields)
            emit(f"for old in OLD{n}:")
            emit("    row.pop(old, None)")
        emit("row.update(out)")
    source = "def visit(row, key, new_outputs, shapes):\n    exists = True\n"
    source += "".join(f"    {line}\n" for line in body)
    source += "    return exists\n"
    code = compile(source, "<pruner compiled work>", "exec")
    exec(code, names)           # noqa: S102 -- our own source: indices only, no plan or plugin text
    return names["visit"]
