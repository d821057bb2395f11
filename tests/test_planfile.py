"""Plan files: deterministic bytes, exact round trip, and every corrupt, truncated, newer,
foreign or mis-shaped file refused with PlanError (never a crash, never a silent wrong plan)."""
from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from pruner.compiler import build
from pruner.plan import to_int
from pruner.planfile import FORMAT_VERSION, MAGIC, PlanError, dumps, loads, read_plan, write_plan

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "reference" / "job.yaml"
ECOMMERCE = ROOT / "examples" / "ecommerce" / "job.yaml"


@pytest.fixture(scope="module")
def plan():
    return build(REFERENCE).plan


@pytest.fixture(scope="module")
def data(plan) -> bytes:
    return dumps(plan)


def _split(data: bytes) -> tuple[dict, dict]:
    lines = data.split(b"\n")
    assert lines[0] + b"\n" == MAGIC
    return json.loads(lines[1]), json.loads(lines[2])


def _sign(header: dict, body: dict) -> bytes:
    """A plan file with a VALID checksum over whatever header and body it is given."""
    def canonical(value) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    text = MAGIC + canonical(header) + b"\n" + canonical(body) + b"\n"
    return text + b"sha256:" + hashlib.sha256(text).hexdigest().encode() + b"\n"


def _masks(plan) -> dict:
    return {"units": [(u.name, to_int(u.dep), u.supply) for u in plan.units],
            "sink": [(f, to_int(m)) for f, m in plan.sink],
            "relevant": to_int(plan.relevant)}


# ---------------------------------------------------------------------- round trip, determinism
def test_layout(data: bytes):
    lines = data.split(b"\n")
    assert len(lines) == 5 and lines[-1] == b""
    header, body = _split(data)
    assert header == {"compiler_version": "0.1.0", "format": FORMAT_VERSION, "job": "reference"}
    assert body["job"] == "reference"
    assert lines[3] == b"sha256:" + hashlib.sha256(b"\n".join(lines[:3]) + b"\n").hexdigest().encode()
    assert data.decode("ascii")   # plain text, no binary


def test_round_trip_gives_identical_bytes_and_equal_masks(plan, data: bytes):
    again = loads(data)
    assert dumps(again) == data
    assert _masks(again) == _masks(plan)
    assert again == plan
    assert again.namespaces == {"items": {"id": 1, "a": 2, "b": 3}, "sellers": {"b": 4, "c": 5}}
    assert again.n_bits == 6 and again.wildcard_bit == 0 and again.n_words == 1
    for unit in again.units:
        endian = unit.dep.endian() if callable(unit.dep.endian) else unit.dep.endian
        assert len(unit.dep) == 64 and endian == "little"


@pytest.mark.parametrize("job", [REFERENCE, ECOMMERCE], ids=["reference", "ecommerce"])
def test_two_builds_give_identical_bytes(job: Path):
    assert dumps(build(job).plan) == dumps(build(job).plan)


def test_build_from_another_working_directory_gives_identical_bytes(data: bytes, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert dumps(build(REFERENCE).plan) == data
    monkeypatch.chdir(ROOT / "examples")
    assert dumps(build(Path("reference") / "job.yaml").plan) == data
    monkeypatch.chdir(ROOT / "examples" / "reference")
    assert dumps(build("job.yaml").plan) == data


def test_write_then_read(plan, data: bytes, tmp_path: Path):
    path = write_plan(plan, tmp_path / "deep" / "er" / "reference.plan")
    assert path == tmp_path / "deep" / "er" / "reference.plan"
    assert path.read_bytes() == data
    assert read_plan(path) == plan
    assert read_plan(str(path)) == plan


# ---------------------------------------------------------------------- write_plan
def test_write_plan_replaces_an_existing_file_and_leaves_no_temp_files(plan, data: bytes, tmp_path: Path):
    path = tmp_path / "reference.plan"
    path.write_bytes(b"an older plan" * 1000)
    write_plan(plan, path)
    assert path.read_bytes() == data
    write_plan(plan, path)
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference.plan"]


def test_a_failed_write_keeps_the_old_plan_and_leaves_no_temp_files(plan, tmp_path: Path, monkeypatch):
    path = tmp_path / "reference.plan"
    path.write_bytes(b"the good old plan")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_plan(plan, path)
    assert path.read_bytes() == b"the good old plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference.plan"]


def test_write_plan_gives_the_file_the_usual_permissions(plan, tmp_path: Path):
    """A plan is read by the runtime, often as another user: it must get the permissions any
    newly created file gets under the current umask (not mkstemp's private 0600)."""
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    written = write_plan(plan, tmp_path / "reference.plan")
    assert stat.S_IMODE(written.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


# ---------------------------------------------------------------------- corruption
@pytest.mark.parametrize("flip", [0xFF, 0x01], ids=["xor-ff", "xor-01"])
def test_every_flipped_byte_is_refused(data: bytes, flip: int):
    accepted = []
    for i in range(len(data)):
        corrupt = bytearray(data)
        corrupt[i] ^= flip
        try:
            loads(bytes(corrupt))
        except PlanError:
            continue
        accepted.append(i)
    assert not accepted, f"accepted with byte(s) {accepted[:10]} flipped"


def test_every_truncation_is_refused(data: bytes):
    accepted = []
    for n in range(len(data)):
        try:
            loads(data[:n])
        except PlanError:
            continue
        accepted.append(n)
    assert not accepted, f"accepted truncated to {accepted[:10]} bytes"


def test_trailing_garbage_is_refused(data: bytes):
    for extra in (b"\n", b"x", b"sha256:00\n", data):
        with pytest.raises(PlanError):
            loads(data + extra)


def test_newer_format_says_so(data: bytes):
    header, body = _split(data)
    newer = _sign({**header, "format": 99}, body)
    with pytest.raises(PlanError) as caught:
        loads(newer, "x.plan")
    message = str(caught.value)
    assert "newer" in message and "upgrade" in message and "99" in message
    assert message.startswith("x.plan: ")


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, True, None])
def test_bad_format_versions_are_refused(data: bytes, version):
    header, body = _split(data)
    with pytest.raises(PlanError):
        loads(_sign({**header, "format": version}, body))


@pytest.mark.parametrize("payload", [
    b"", b"\n", os.urandom(4096), bytes(range(256)) * 4,
    json.dumps({"job": "reference", "units": []}).encode(),
    b"CDC-PRUNER-PLAN", b"CDC-PRUNER-PLAN\n", b"CDC-PRUNER-PLAN\n{}\n{}\nsha256:\n",
    b"CDC-PRUNER-PLAN\n\xff\xfe\n", b"\x80\x04\x95 pickle",
], ids=["empty", "newline", "random", "all-bytes", "json", "magic-only", "magic-line",
        "empty-objects", "binary-header", "pickle"])
def test_not_a_plan_is_refused(payload: bytes, tmp_path: Path):
    path = tmp_path / "x.plan"
    path.write_bytes(payload)
    with pytest.raises(PlanError):
        read_plan(path)


def test_a_json_file_is_not_a_plan(plan, tmp_path: Path):
    path = tmp_path / "plan.json"
    _, body = _split(dumps(plan))
    path.write_text(json.dumps(body))
    with pytest.raises(PlanError, match="not a cdc-pruner plan file"):
        read_plan(path)


def test_read_plan_on_a_missing_path(tmp_path: Path):
    with pytest.raises(PlanError, match="cannot read the plan file") as caught:
        read_plan(tmp_path / "nope.plan")
    assert "nope.plan" in str(caught.value)
    with pytest.raises(PlanError):
        read_plan(tmp_path)            # a directory


# ---------------------------------------------------------------------- valid checksum, wrong shape
def _edit_unit(i, **changes):
    def edit(body):
        body["units"][i].update(changes)
    return edit


def _set(*path_and_value):
    *path, value = path_and_value

    def edit(body):
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


def _delete(*path):
    def edit(body):
        target = body
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return edit


SHAPE_EDITS = {
    "dep-too-short": _edit_unit(0, dep="0c"),
    "dep-too-long": _edit_unit(0, dep="0c" + "00" * 15),
    "dep-not-hex": _edit_unit(0, dep="zz00000000000000"),
    "dep-bit-past-table": _edit_unit(0, dep="4c00000000000000"),
    "dep-not-a-string": _edit_unit(0, dep=12),
    "supply-forward": _edit_unit(0, supply=[2]),
    "supply-self": _edit_unit(2, supply=[2]),
    "supply-negative": _edit_unit(2, supply=[-1]),
    "supply-bool": _edit_unit(2, supply=[False]),
    "prunable-is-1": _edit_unit(1, prunable=1),
    "dead-is-0": _edit_unit(1, dead=0),
    "reads_all-is-string": _edit_unit(0, reads_all="false"),
    "index-out-of-order": _edit_unit(1, index=2),
    "reads-is-a-string": _edit_unit(0, reads="ab"),
    "reads-not-strings": _edit_unit(0, reads=[1, 2]),
    "name-not-a-string": _edit_unit(0, name=7),
    "unit-missing-key": lambda body: body["units"][0].pop("dep"),
    "units-not-a-list": _set("units", {"0": {}}),
    "n_bits-wrong": _set("encoding", "n_bits", 7),
    "n_bits-is-float": _set("encoding", "n_bits", 6.0),
    "two-fields-one-bit": _set("encoding", "namespaces", "sellers", "c", 4),
    "field-on-wildcard-bit": _set("encoding", "namespaces", "sellers", "c", 0),
    "wildcard-bit-is-a-field": _set("encoding", "wildcard_bit", 3),
    "wildcard-bit-out-of-range": _set("encoding", "wildcard_bit", 64),
    "relevant-too-short": _set("relevant", "3e"),
    "relevant-missing": _delete("relevant"),
    "sink-mask-past-table": lambda body: body["sink"]["fields"][0].__setitem__(1, "0201000000000000"),
    "sink-field-not-a-pair": lambda body: body["sink"]["fields"].__setitem__(0, ["id"]),
    "graph-edge-to-no-node": lambda body: body["graph"]["edges"].append([0, 999]),
    "graph-edge-negative": lambda body: body["graph"]["edges"].append([-1, 0]),
    "body-not-an-object": lambda body: body.clear(),
    "job-differs-from-header": _set("job", "other"),
}


@pytest.mark.parametrize("edit", list(SHAPE_EDITS.values()), ids=list(SHAPE_EDITS))
def test_a_wrong_shape_with_a_valid_checksum_is_refused(data: bytes, edit):
    header, body = _split(data)
    assert loads(_sign(header, body)) == loads(data)    # the re-signing itself is sound
    edit(body)
    with pytest.raises(PlanError):
        loads(_sign(header, body))


def test_a_body_that_is_not_json_with_a_valid_checksum_is_refused(data: bytes):
    header, _ = _split(data)
    text = MAGIC + json.dumps(header).encode() + b"\n[1, 2\n"
    with pytest.raises(PlanError):
        loads(text + b"sha256:" + hashlib.sha256(text).hexdigest().encode() + b"\n")


def test_a_signed_body_nested_beyond_the_recursion_limit_is_refused(data: bytes):
    header, body = _split(data)
    text = _sign(header, body).decode()
    nested = "[" * 100_000 + "]" * 100_000
    start = text.index("\n", len(MAGIC)) + 1
    body_text = text[start:text.rindex("sha256:")]
    forged = MAGIC.decode() + text[len(MAGIC):start] + body_text.replace('"notes":[]', f'"notes":{nested}', 1)
    forged = forged.encode()
    forged += b"sha256:" + hashlib.sha256(forged).hexdigest().encode() + b"\n"
    with pytest.raises(PlanError, match="corrupt plan body"):
        loads(forged)


def test_a_signed_plan_claiming_a_billion_bits_is_refused_at_once(data: bytes):
    header, body = _split(data)
    body["encoding"]["n_bits"] = 10 ** 9
    with pytest.raises(PlanError, match="n_bits"):
        loads(_sign(header, body))


def test_a_format_1_plan_still_loads_and_counts_every_insert_as_every_bit(data: bytes):
    """Format 2 added `row_sources`. A format-1 plan (none) loads; without knowing which tables
    are the sink's rows, an insert or delete anywhere changes every bit (sound, prunes less)."""
    from pruner.decide import change_mask

    header, body = _split(data)
    assert body["row_sources"] == ["items"]
    new = loads(data)
    assert change_mask(new, "sellers", None, "insert") == (1 << 0) | (1 << 4) | (1 << 5)
    assert change_mask(new, "items", None, "insert") == (1 << new.n_bits) - 1
    del body["row_sources"]
    header["format"] = 1
    old = loads(_sign(header, body))
    assert old.row_sources is None and old.units == new.units
    assert change_mask(old, "sellers", None, "insert") == (1 << old.n_bits) - 1
    assert change_mask(old, "sellers", ["c"], "update") == change_mask(new, "sellers", ["c"], "update")


def test_row_sources_must_be_a_list_of_names(data: bytes):
    header, body = _split(data)
    body["row_sources"] = "items"
    with pytest.raises(PlanError):
        loads(_sign(header, body))


def test_a_format_2_plan_isolates_every_processor_that_is_not_prunable(data: bytes):
    """Format 3 added units' `isolated`. A format-2 plan has none: a Processor or filter that is
    not prunable may be one that changes values in place, so it runs on a private copy."""
    header, body = _split(data)
    assert all(u["isolated"] is False for u in body["units"])
    for u in body["units"]:
        del u["isolated"]
    body["units"][0]["prunable"] = False
    header["format"] = 2
    old = loads(_sign(header, body))
    assert [u.isolated for u in old.units] == [True] + [False] * (len(old.units) - 1)
    body["units"][1]["isolated"] = "yes"
    header["format"] = 3
    with pytest.raises(PlanError):
        loads(_sign(header, body))
