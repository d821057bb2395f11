"""Engine snapshots: everything an engine holds, as checksummed JSON data, and back.

A follower that restarts loads its last snapshot and replays only what came after it, so its
restart time does not grow with the history it followed (``pruner.follow``).

What is kept: the source tables, the units' stored outputs (and the field order of each
unit's stored tuples), which rows are in the sink, the DimJoin lookups and the rows each UDAF
aggregates, and with dedup the values last emitted per key. Decisions and compiled work are
derived again on use.

Values are written exactly, never by pickle: JSON's own types as they are, and every other
value as a one-key object naming its type (``{"$D": "12.50"}`` a Decimal, ``{"$u": [...]}`` a
tuple, ``{"$d": [[key, value], ...]}`` a dict, in its key order, keys of any type). A value of
a type not listed here (an object a Processor made) cannot be written: ``SnapshotError`` says
which, and the caller goes on without a snapshot (replaying its log is still exact).
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from pruner.runtime import engine as _engine

FORMAT = "pruner-engine-snapshot"
VERSION = 1


class SnapshotError(ValueError):
    """A snapshot that cannot be written (a value of another type) or read (damaged, another
    version, another plan); says why."""


# ---------------------------------------------------------------------- values
def encode_value(value: Any) -> Any:
    """`value` as JSON data (see the module docstring); ``SnapshotError`` for another type."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$f": repr(value)}
    if kind is list:
        return [encode_value(v) for v in value]
    if kind is dict:
        if all(type(k) is str and not k.startswith("$") for k in value):
            return {k: encode_value(v) for k, v in value.items()}
        return {"$d": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if kind is tuple:
        return {"$u": [encode_value(v) for v in value]}
    if kind is Decimal:
        return {"$D": str(value)}
    if kind is bytes:
        return {"$b": base64.b64encode(value).decode("ascii")}
    if kind is datetime:
        return {"$dt": [value.year, value.month, value.day, value.hour, value.minute, value.second,
                        value.microsecond, value.fold, _zone(value.tzinfo, value)]}
    if kind is date:
        return {"$da": value.isoformat()}
    if kind is time:
        return {"$tm": [value.hour, value.minute, value.second, value.microsecond, value.fold,
                        _zone(value.tzinfo, value)]}
    if kind is timedelta:
        return {"$td": [value.days, value.seconds, value.microseconds]}
    if kind is set or kind is frozenset:      # in its iteration order, built again in that order
        return {"$s" if kind is set else "$fs": [encode_value(v) for v in value]}
    raise SnapshotError(f"a value of type {kind.__module__}.{kind.__qualname__} cannot be written to a "
                        f"snapshot: {_short(value)}")


def _zone(zone: Any, value: Any) -> list | None:
    """A fixed-offset zone as [days, seconds, microseconds of its offset, its name or None]."""
    if zone is None:
        return None
    if type(zone) is not timezone:
        raise SnapshotError(f"a time in zone {zone!r} cannot be written exactly (only fixed offsets): "
                            f"{_short(value)}")
    offset, *name = zone.__getinitargs__()
    return [offset.days, offset.seconds, offset.microseconds, name[0] if name else None]


def _unzone(zone: list | None) -> timezone | None:
    if zone is None:
        return None
    offset = timedelta(days=zone[0], seconds=zone[1], microseconds=zone[2])
    return timezone(offset) if zone[3] is None else timezone(offset, zone[3])


_TAGS = {
    "$f": float,
    "$d": dict,                 # [[key, value], ...]
    "$u": tuple,
    "$D": Decimal,
    "$b": lambda text: base64.b64decode(text.encode("ascii"), validate=True),
    "$dt": lambda p: datetime(*p[:7], fold=p[7], tzinfo=_unzone(p[8])),
    "$da": date.fromisoformat,
    "$tm": lambda p: time(*p[:4], fold=p[4], tzinfo=_unzone(p[5])),
    "$td": lambda parts: timedelta(days=parts[0], seconds=parts[1], microseconds=parts[2]),
    "$s": set,
    "$fs": frozenset,
}


def _object_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        (tag, payload), = obj.items()
        make = _TAGS.get(tag)
        if make is not None:
            return make(payload)
    if any(k.startswith("$") for k in obj):
        raise SnapshotError(f"unknown tagged value {_short(obj)}")
    return obj


def decode_value(text: str) -> Any:
    """The value `text` (``dumps`` of ``encode_value``) holds."""
    return json.loads(text, object_hook=_object_hook)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------------- engines
def engine_state(engine: Any) -> dict[str, Any]:
    """Everything `engine` holds, as Python values (``encode_value`` writes them)."""
    if any(type(rows) is not dict for rows in engine.tables.values()):
        raise SnapshotError("an engine whose tables live in stores keeps them there: it has no snapshot")
    unmatched = _engine._UNMATCHED
    return {
        "tables": {name: [[list(key), row] for key, row in rows.items()] for name, rows in engine.tables.items()},
        "outputs": [[list(key), outputs] for key, outputs in engine.outputs.items()],
        "shapes": list(engine._shapes),
        "in_sink": [[list(key), flag] for key, flag in engine.in_sink.items()],
        "lookups": {str(unit): [(key, None if lookup is unmatched else lookup) for key, lookup in found.items()]
                    for unit, found in engine.lookup_of.items()},
        "members": {source: [(key, list(found)) for key, found in groups.items()]
                    for source, groups in engine.agg_members.items()},
        # dedup's values last sent per key, with the settings they were kept under
        "dedup": dedup_settings(engine.dedup),
        "emitted": list(engine.emitted.items()) if engine.dedup is not None else [],
        "last_line": list(engine._last_line.items()),
    }


def restore_engine(engine: Any, state: dict[str, Any]) -> None:
    """Make a new `engine` (of the same spec, plan and mode) hold `state` (``engine_state``)."""
    if engine.outputs or any(engine.tables.values()) or engine.in_sink:
        raise SnapshotError("a snapshot is loaded into a new engine, not one that holds rows")
    try:
        if set(state["tables"]) != set(engine.tables):
            raise SnapshotError(f"the snapshot's tables ({', '.join(sorted(state['tables']))}) are not the "
                                f"job's ({', '.join(sorted(engine.tables))})")
        if len(state["shapes"]) != len(engine._shapes):
            raise SnapshotError("the snapshot was taken with another number of units")
        for name, rows in state["tables"].items():
            engine.tables[name].update((tuple(key), row) for key, row in rows)
        engine.outputs.update((tuple(key), list(outputs)) for key, outputs in state["outputs"])
        engine._shapes[:] = [None if shape is None else tuple(shape) for shape in state["shapes"]]
        engine.in_sink.update((tuple(key), flag) for key, flag in state["in_sink"])
        unmatched = _engine._UNMATCHED
        for unit, found in state["lookups"].items():
            lookups = engine.lookup_of[int(unit)]
            index = engine.dim_index[int(unit)]
            for key, lookup in found:
                lookup = unmatched if lookup is None else tuple(lookup)
                lookups[tuple(key)] = lookup
                index.setdefault(lookup, set()).add(tuple(key))
        for source, groups in state["members"].items():
            engine.agg_members[source].update((tuple(key), {tuple(m) for m in members}) for key, members in groups)
        if "dedup" in state and state["dedup"] == dedup_settings(engine.dedup):
            engine.emitted.update((tuple(key), (when, values)) for key, (when, values) in state["emitted"])
        # else: kept under other settings (or none): forgotten, so each key's next record is a
        # full row, never a partial one against values another run may have overwritten
        engine._last_line.update((tuple(key), line) for key, line in state["last_line"])
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, SnapshotError):
            raise
        raise SnapshotError(f"the snapshot's state is not this engine's ({type(error).__name__}: {error})") from None


def dedup_settings(dedup: Any) -> list | None:
    """What a snapshot records of an engine's dedup: its values last sent are valid only for it."""
    if dedup is None:
        return None
    return [sorted(dedup.ignore), dedup.full_rows, dedup.max_keys, dedup.ttl]


# ---------------------------------------------------------------------- files
def dumps(engine: Any, identity: dict[str, Any], position: dict[str, Any]) -> str:
    """The snapshot of `engine` as one JSON text: `identity` says what it is valid for (a plan's
    digest, the mode), `position` where in its input it was taken; checksummed."""
    try:
        body = json.dumps({"identity": identity, "position": position, "state": encode_value(engine_state(engine))},
                          ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except RecursionError:
        raise SnapshotError("a value is nested too deeply to be written to a snapshot") from None
    except ValueError as error:         # an integer beyond 4,300 digits
        if isinstance(error, SnapshotError):
            raise
        raise SnapshotError(f"a value cannot be written to a snapshot: {error}") from None
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return json.dumps({"format": FORMAT, "version": VERSION, "sha256": digest}) + "\n" + body + "\n"


def loads(text: str, identity: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(position, state) of a snapshot written by ``dumps``, after checking its format, version,
    checksum and that it was taken for `identity`; ``SnapshotError`` says what is wrong."""
    found, position, state = read(text)
    if found != identity:
        raise SnapshotError(f"the snapshot was taken for {found}, not {identity} "
                            "(another plan or mode)")
    return position, state


def read(text: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(identity, position, state) of a snapshot written by ``dumps``, after checking its format,
    version and checksum (a follower switching plans reads one taken for another plan)."""
    head, _, body = text.partition("\n")
    try:
        header = json.loads(head)
    except ValueError:
        raise SnapshotError("not a snapshot (its first line is not JSON)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SnapshotError("not an engine snapshot")
    if header.get("version") != VERSION:
        raise SnapshotError(f"snapshot version {header.get('version')!r}; this pruner reads version {VERSION}")
    body = body.rstrip("\n")
    if hashlib.sha256(body.encode("utf-8")).hexdigest() != header.get("sha256"):
        raise SnapshotError("the snapshot is damaged (its checksum does not match)")
    try:
        data = decode_value(body)
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as error:
        if isinstance(error, SnapshotError):
            raise
        raise SnapshotError(f"the snapshot cannot be read ({type(error).__name__}: {error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("identity"), dict):
        raise SnapshotError("not an engine snapshot")
    return data["identity"], data["position"], data["state"]
