"""Source order: a redelivered message older than its row's last change never rolls it back.

Debezium's postgresql connector puts the change's LSN in ``source.lsn``. Property: a stream
with old messages delivered again (copies of earlier lines, same LSN, anywhere later) gives,
in every mode, the sink of the stream without them; and each copy is counted as skipped.
"""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pruner.cdc import decode
from pruner.runtime.replay import replay

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples/reference/job.yaml"
PLAN = ROOT / "compiled_plans/reference.plan"
MODES = ("pruned", "stateless", "full", "batch")


def _line(op: str, table: str, before, after, lsn: int | None, connector: str = "postgresql") -> str:
    source = {"connector": connector, "table": table, "db": "shop", "lsn": lsn}
    return json.dumps({"op": op, "before": before, "after": after, "source": source})


def _sink(lines: list[str], mode: str, **options) -> tuple[list[dict], int]:
    result = replay(SPEC, PLAN, lines, "debezium-json", mode, **options)
    assert not result.dead_letters, result.dead_letters
    return result.sink.sorted_rows(), result.older_skipped


def test_the_lsn_is_the_position_of_a_postgres_change_and_only_of_one() -> None:
    changes = list(decode([_line("c", "items", None, {"id": 1, "a": "x", "b": 1}, 77),
                           _line("c", "items", None, {"id": 1, "a": "x", "b": 1}, 77, connector="mysql"),
                           _line("c", "items", None, {"id": 1, "a": "x", "b": 1}, None)], "debezium-json"))
    assert [c.position for c in changes] == [77, None, None]
    bad = list(decode([_line("c", "items", None, {"id": 1, "a": "x", "b": 1}, "77")], "debezium-json"))
    assert "source.lsn" in bad[0].reason


def test_a_resent_snapshot_row_after_updates_is_skipped_in_every_mode() -> None:
    row0, row1 = {"id": 1, "a": "old", "b": 1}, {"id": 1, "a": "new", "b": 1}
    lines = [_line("r", "sellers", None, {"b": 1, "c": "s"}, 10),
             _line("r", "items", None, row0, 10),
             _line("u", "items", row0, row1, 20),
             _line("r", "items", None, row0, 10)]           # the snapshot row sent again
    for mode in MODES:
        rows, skipped = _sink(lines, mode)
        assert rows == [{"id": 1, "a": "new", "b": 1, "c": "s", "d": "new:1", "e": "NEW:1"}], mode
        assert skipped == 1
    rows, skipped = _sink(lines, "pruned", source_order=False)     # --ignore-positions: rolled back
    assert rows[0]["a"] == "old" and skipped == 0


def test_equal_positions_are_applied_and_a_row_moving_key_guards_both_keys() -> None:
    a, b = {"id": 1, "a": "x", "b": 1}, {"id": 2, "a": "x", "b": 1}
    lines = [_line("c", "items", None, a, 5), _line("u", "items", a, {**a, "a": "y"}, 5),   # one transaction
             _line("u", "items", {**a, "a": "y"}, b, 9),                                   # key 1 -> 2
             _line("c", "items", None, a, 5)]                                              # old insert of 1
    rows, skipped = _sink(lines, "full")
    assert [r["id"] for r in rows] == [2] and rows[0]["a"] == "x" and skipped == 1


def test_the_cli_counts_skipped_redeliveries(tmp_path: Path) -> None:
    from pruner.cli import main
    row0, row1 = {"id": 1, "a": "old", "b": 1}, {"id": 1, "a": "new", "b": 1}
    stream = tmp_path / "in.jsonl"
    stream.write_text("\n".join([_line("c", "items", None, row0, 10), _line("u", "items", row0, row1, 20),
                                 _line("u", "items", row0, row1, 20), _line("c", "items", None, row0, 10)]) + "\n")
    stats = tmp_path / "stats.json"
    assert main(["replay", str(SPEC), "--plan", str(PLAN), "--input", str(stream), "--format", "debezium-json",
                 "--stats-out", str(stats), "--quiet"]) == 0
    assert json.loads(stats.read_text())["older_skipped"] == 1      # the same LSN again is applied


@st.composite
def _streams(draw) -> tuple[list[str], list[str]]:
    """Original changes of items/sellers with increasing LSNs, and the same with copies of
    earlier lines delivered again at random later places."""
    rows: dict[tuple[str, int], dict] = {}
    original: list[str] = []
    lsn = 0
    for _ in range(draw(st.integers(1, 25))):
        table = draw(st.sampled_from(["items", "items", "sellers"]))
        key = draw(st.integers(1, 3))
        lsn += draw(st.integers(1, 2))               # every change of a row has its own LSN
        old = rows.get((table, key))
        if table == "items":
            new = {"id": key, "a": draw(st.sampled_from("pqr")), "b": draw(st.integers(1, 2))}
        else:
            new = {"b": key, "c": draw(st.sampled_from("xyz"))}
        op = draw(st.sampled_from(["u", "u", "d"])) if old is not None else draw(st.sampled_from(["c", "r"]))
        if op == "d":
            original.append(_line("d", table, old, None, lsn))
            del rows[(table, key)]
        else:
            original.append(_line(op, table, old if op == "u" else None, new, lsn))
            rows[(table, key)] = new
    mixed = list(original)
    for _ in range(draw(st.integers(0, 8))):
        source = draw(st.integers(0, len(original) - 1))
        # anywhere after its original: older than a later change of its row (skipped), or
        # the row's latest change again (applied, and the same again)
        at = draw(st.integers(source + 1, len(original)))
        mixed.insert(mixed.index(original[at - 1]) + 1 if at else 0, original[source])
    return original, mixed


@settings(max_examples=60, deadline=None)
@given(_streams())
def test_redelivered_old_messages_change_nothing_in_any_mode(streams) -> None:
    original, mixed = streams
    expected, _ = _sink(original, "full", source_order=False)
    for mode in MODES:
        assert _sink(mixed, mode)[0] == expected, mode
