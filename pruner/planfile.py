"""Plan files: versioned, deterministic, checksummed data (never pickle).

Layout (UTF-8 text, every line ends with a newline)::

    CDC-PRUNER-PLAN
    {"compiler_version":"0.1.0","format":1,"job":"reference"}
    {...the plan as canonical JSON: sorted keys, no spaces...}
    sha256:<hex digest of every byte above>

The same inputs give the same bytes. Any flipped byte is refused: the magic line, the
format check (a newer format says so), the checksum over header and body, and a strict
schema check on the body.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Final

from bitarray import bitarray

from pruner.plan import UNIT_KINDS, Plan, PlanUnit, words_for

MAGIC: Final = b"CDC-PRUNER-PLAN\n"
# 2: row_sources; 3: units' "isolated" (older plans still load: a Processor or filter that is
# not prunable counts as isolated, the safe reading); 4: units' "code" fingerprints (older
# plans load without them: `pruner diff` then counts every unit as changed); 5: the declared
# field "types" of the tables and the sink (older plans load without them: `pruner diff` then
# asks for a full recompute, as it cannot tell whether a type changed)
FORMAT_VERSION: Final = 5


class PlanError(Exception):
    """A plan file that cannot be used (corrupt, truncated, newer, or not a plan)."""


def dumps(plan: Plan) -> bytes:
    header = {"compiler_version": plan.compiler_version, "format": FORMAT_VERSION, "job": plan.job}
    body = _to_json(plan)
    text = MAGIC + _canonical(header) + b"\n" + _canonical(body) + b"\n"
    return text + b"sha256:" + hashlib.sha256(text).hexdigest().encode() + b"\n"


def loads(data: bytes, source: str = "plan") -> Plan:
    if not data.startswith(MAGIC):
        raise PlanError(f"{source}: not a cdc-pruner plan file (it does not start with "
                        f"{MAGIC.decode().strip()!r})")
    rest = data[len(MAGIC):]
    header_end = rest.find(b"\n")
    if header_end < 0:
        raise PlanError(f"{source}: truncated plan file (no header)")
    try:
        header = json.loads(rest[:header_end])
        version = header["format"]
    except (ValueError, KeyError, TypeError):
        raise PlanError(f"{source}: corrupt plan header") from None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise PlanError(f"{source}: corrupt plan header (format {version!r} is not a plan format)")
    if version > FORMAT_VERSION:
        raise PlanError(f"{source}: plan format {version} is newer than this pruner reads "
                        f"(format {FORMAT_VERSION}); upgrade cdc-pruner or recompile the plan")
    trailer_start = data.rfind(b"sha256:")
    if trailer_start < 0 or not data.endswith(b"\n"):
        raise PlanError(f"{source}: truncated plan file (no checksum line)")
    digest = data[trailer_start + len(b"sha256:"):-1]
    if hashlib.sha256(data[:trailer_start]).hexdigest().encode() != digest:
        raise PlanError(f"{source}: checksum mismatch: the plan file is corrupt or was edited; "
                        "recompile it with `pruner compile`")
    body_bytes = data[len(MAGIC) + header_end + 1:trailer_start]
    if not body_bytes.endswith(b"\n"):
        raise PlanError(f"{source}: corrupt plan body")
    try:
        body = json.loads(body_bytes)
        plan = _from_json(body)
    except (ValueError, KeyError, TypeError, IndexError, RecursionError) as error:
        raise PlanError(f"{source}: corrupt plan body ({type(error).__name__}: {error})") from None
    if header.get("job") != plan.job or header.get("compiler_version") != plan.compiler_version:
        raise PlanError(f"{source}: plan header does not match its body")
    return plan


def write_plan(plan: Plan, path: str | Path) -> Path:
    """Write atomically: a failed write never leaves a half plan where a good one was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = dumps(plan)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp makes 0600 files; a plan is read by the job's runtime, maybe as another user.
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def read_plan(path: str | Path) -> Plan:
    path = Path(path)
    try:
        if not path.is_file() and path.exists():        # /dev/zero would be read forever
            raise PlanError(f"{path}: not a plan file (not a regular file)")
        data = path.read_bytes()
    except OSError as error:
        raise PlanError(f"{path}: cannot read the plan file: {error.strerror or error}") from None
    return loads(data, str(path))


# ---------------------------------------------------------------------- JSON shape
def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _hex(bits: bitarray) -> str:
    return bits.tobytes().hex()


def _bits(text: str, n_bits: int) -> bitarray:
    raw = bytes.fromhex(text)
    if len(raw) != words_for(n_bits) * 8:
        raise ValueError(f"mask of {len(raw)} bytes, expected {words_for(n_bits) * 8}")
    bits = bitarray(endian="little")
    bits.frombytes(raw)
    if bits[n_bits:].any():
        raise ValueError("mask has bits set past the encoding table")
    return bits


def _to_json(plan: Plan) -> dict[str, Any]:
    return {
        "job": plan.job,
        "compiler_version": plan.compiler_version,
        "encoding": {"n_bits": plan.n_bits, "wildcard_bit": plan.wildcard_bit,
                     "namespaces": plan.namespaces},
        "units": [{
            "index": u.index, "name": u.name, "kind": u.kind, "step": u.step,
            "class": u.class_ref, "reads": list(u.reads), "writes": list(u.writes),
            "reads_all": u.reads_all, "writes_all": u.writes_all, "prunable": u.prunable,
            "dead": u.dead, "dep": _hex(u.dep), "supply": list(u.supply), "isolated": u.isolated,
            **({"code": u.code} if u.code is not None else {}),
        } for u in plan.units],
        "sink": {"name": plan.sink_name, "primary_key": list(plan.sink_primary_key),
                 "fields": [[f, _hex(m), list(s)] for (f, m), s in zip(plan.sink, plan.sink_supply)]},
        "relevant": _hex(plan.relevant),
        "fingerprints": plan.fingerprints,
        "graph": {"nodes": list(plan.graph_nodes), "edges": [list(e) for e in plan.graph_edges]},
        "notes": list(plan.notes),
        **({"row_sources": list(plan.row_sources)} if plan.row_sources is not None else {}),
        **({"types": {"tables": plan.types, "sink": plan.sink_types or {},
                      "keys": {t: list(k) for t, k in (plan.table_keys or {}).items()}}}
           if plan.types is not None else {}),
    }


def _from_json(body: dict[str, Any]) -> Plan:
    encoding = _dict(body["encoding"])
    n_bits = _int(encoding["n_bits"])
    wildcard = _int(encoding["wildcard_bit"])
    namespaces = {_str(ns): {_str(f): _int(b) for f, b in _dict(fields).items()}
                  for ns, fields in _dict(encoding["namespaces"]).items()}
    bits = [b for fields in namespaces.values() for b in fields.values()] + [wildcard]
    if len(bits) != n_bits or sorted(bits) != list(range(n_bits)):
        raise ValueError("the encoding table does not give each of the n_bits bits to exactly "
                         "one field (or the wildcard)")
    units = []
    for i, u in enumerate(_list(body["units"])):
        u = _dict(u)
        if _int(u["index"]) != i:
            raise ValueError("units out of order")
        supply = tuple(_int(s) for s in _list(u["supply"]))
        if any(not 0 <= s < i for s in supply) or list(supply) != sorted(set(supply)):
            raise ValueError(f"unit {i} has a supply list that is not earlier units in order")
        class_ref = u["class"]
        kind, prunable = _choice(u["kind"], UNIT_KINDS), _bool(u["prunable"])
        isolated = _bool(u["isolated"]) if "isolated" in u else kind in ("processor", "filter") and not prunable
        units.append(PlanUnit(
            index=i, name=_str(u["name"]), kind=kind, step=_str(u["step"]),
            class_ref=None if class_ref is None else _str(class_ref),
            reads=_strs(u["reads"]), writes=_strs(u["writes"]),
            reads_all=_bool(u["reads_all"]), writes_all=_bool(u["writes_all"]),
            prunable=prunable, dead=_bool(u["dead"]),
            dep=_bits(_str(u["dep"]), n_bits), supply=supply, isolated=isolated,
            code=_str(u["code"]) if u.get("code") is not None else None))
    sink = _dict(body["sink"])
    nodes = _strs(_dict(body["graph"])["nodes"])
    edges = []
    for edge in _list(body["graph"]["edges"]):
        a, b = (_int(x) for x in _list(edge))
        if not (0 <= a < len(nodes) and 0 <= b < len(nodes)):
            raise ValueError("a graph edge points at no node")
        edges.append((a, b))
    sink_entries = [_list(x) for x in _list(sink["fields"])]
    if any(len(entry) != 3 for entry in sink_entries):
        raise ValueError("a sink field entry is not [field, mask, supply]")
    sink_supply = []
    for entry in sink_entries:
        supply = tuple(_int(s) for s in _list(entry[2]))
        if any(not 0 <= s < len(units) for s in supply) or list(supply) != sorted(set(supply)):
            raise ValueError("a sink field's supply is not a sorted list of units")
        sink_supply.append(supply)
    fingerprints = {_str(k): {_str(a): _str(b) for a, b in _dict(v).items()}
                    for k, v in _dict(body["fingerprints"]).items()}
    row_sources = _strs(body["row_sources"]) if "row_sources" in body else None
    types = sink_types = table_keys = None
    if "types" in body:
        declared = _dict(body["types"])
        types = {_str(t): {_str(f): _str(spelled) for f, spelled in _dict(fields).items()}
                 for t, fields in _dict(declared["tables"]).items()}
        sink_types = {_str(f): _str(spelled) for f, spelled in _dict(declared["sink"]).items()}
        table_keys = {_str(t): _strs(k) for t, k in _dict(declared["keys"]).items()}
    return Plan(
        job=_str(body["job"]), compiler_version=_str(body["compiler_version"]), n_bits=n_bits,
        wildcard_bit=wildcard, namespaces=namespaces, units=tuple(units),
        sink_name=_str(sink["name"]), sink_primary_key=_strs(sink["primary_key"]),
        sink=tuple((_str(entry[0]), _bits(_str(entry[1]), n_bits)) for entry in sink_entries),
        sink_supply=tuple(sink_supply),
        relevant=_bits(_str(body["relevant"]), n_bits), fingerprints=fingerprints,
        graph_nodes=nodes, graph_edges=tuple(edges), notes=_strs(body["notes"]), row_sources=row_sources,
        types=types, sink_types=sink_types, table_keys=table_keys)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(_str(v) for v in _list(value))


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _dict(value: Any) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _choice(value: Any, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true/false, got {value!r}")
    return value
