"""`pruner compile` and `pruner explain`, run in-process: the decisions of DESIGN.md's worked
example, exit codes, clear errors without tracebacks, and plan files that are never stale and
never half-written."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pruner.cli import main

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "reference" / "job.yaml"
ECOMMERCE = ROOT / "examples" / "ecommerce" / "job.yaml"
UNITS = ["UDTF1.P1", "J1", "UDTF2.P2"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def reference_plan(tmp_path: Path, capsys) -> Path:
    plan = tmp_path / "out" / "reference.plan"
    code, out, err = run(capsys, "compile", REFERENCE, "-o", plan)
    assert code == 0, err
    assert plan.is_file()
    assert f"-> {plan}" in out
    assert "compiled reference: 3 units (3 live), 6 bits" in out
    return plan


def explain_json(capsys, plan: Path, *argv: str) -> dict:
    code, out, err = run(capsys, "explain", plan, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


# ---------------------------------------------------------------------- the worked example
@pytest.mark.parametrize("source, changed, run_, skip, outputs", [
    ("items", "a", ["UDTF1.P1", "UDTF2.P2"], ["J1"], ["a", "d", "e"]),
    ("items", "b", ["UDTF1.P1", "J1", "UDTF2.P2"], [], ["b", "c", "d", "e"]),
    ("sellers", "c", ["J1"], ["UDTF1.P1", "UDTF2.P2"], ["c"]),
    ("items", "a,b", ["UDTF1.P1", "J1", "UDTF2.P2"], [], ["a", "b", "c", "d", "e"]),
    ("sellers", "b", ["J1"], ["UDTF1.P1", "UDTF2.P2"], ["c"]),
], ids=["a", "b", "sellers.c", "a+b", "sellers.b"])
def test_explain_the_documented_decisions(capsys, reference_plan, source, changed, run_, skip, outputs):
    decision = explain_json(capsys, reference_plan, "--source", source, "--changed", changed)
    assert decision["drop"] is False
    assert decision["run"] == run_
    assert decision["skip"] == skip
    assert decision["outputs"] == outputs
    assert sorted(decision["why"]) == sorted(UNITS)


def test_explain_a_field_outside_the_plan_drops_the_message(capsys, reference_plan):
    decision = explain_json(capsys, reference_plan, "--source", "items", "--changed", "f")
    assert decision["drop"] is True
    assert decision["run"] == []
    assert decision["outputs"] == []
    assert decision["why"]["message"]


@pytest.mark.parametrize("op", ["insert", "delete"])
def test_insert_and_delete_run_everything(capsys, reference_plan, op):
    for changed in ("", "a", "f"):
        decision = explain_json(capsys, reference_plan, "--source", "items", "--changed", changed,
                                "--op", op)
        assert decision["drop"] is False
        assert decision["run"] == UNITS
        assert decision["skip"] == []
        assert decision["outputs"] == ["id", "a", "b", "c", "d", "e"]


def test_text_format_gives_the_reason_for_each_skip(capsys, reference_plan):
    code, out, err = run(capsys, "explain", reference_plan, "--source", "sellers", "--changed", "c")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "update of sellers changing c:"
    skips = {line.split()[1]: line for line in lines if line.strip().startswith("skip")}
    assert sorted(skips) == ["UDTF1.P1", "UDTF2.P2"]
    for line in skips.values():
        assert "none of its inputs changed: items.a, items.b" in line
    runs = [line for line in lines if line.strip().startswith("run")]
    assert len(runs) == 1 and "J1" in runs[0] and "changed: sellers.c" in runs[0]
    assert lines[-1].strip() == "sink fields that may change: c"

    code, out, _ = run(capsys, "explain", reference_plan, "--source", "items", "--changed", "a")
    skip_j1 = [line for line in out.splitlines() if line.strip().startswith("skip")]
    assert len(skip_j1) == 1
    assert "J1" in skip_j1[0] and "none of its inputs changed: items.b, sellers.b, sellers.c" in skip_j1[0]

    code, out, _ = run(capsys, "explain", reference_plan, "--source", "items", "--changed", "f")
    assert code == 0
    assert "DROPPED" in out and "changes no field that any sink field depends on" in out


def test_unknown_source_is_a_usage_error(capsys, reference_plan):
    code, out, err = run(capsys, "explain", reference_plan, "--source", "orders", "--changed", "a")
    assert code == 2
    assert out == ""
    assert "unknown source 'orders'" in err and "items" in err and "sellers" in err
    assert "Traceback" not in err


def test_explain_without_a_source_is_a_usage_error(capsys, reference_plan):
    code, _, err = run(capsys, "explain", reference_plan)
    assert code == 2
    assert "--source" in err


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "missing", "json"])
def test_explain_refuses_a_bad_plan_clearly(capsys, reference_plan, damage):
    data = reference_plan.read_bytes()
    if damage == "flip":
        reference_plan.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif damage == "truncate":
        reference_plan.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        reference_plan.write_bytes(b"")
    elif damage == "missing":
        reference_plan.unlink()
    else:
        reference_plan.write_text('{"job": "reference"}')
    code, out, err = run(capsys, "explain", reference_plan, "--source", "items", "--changed", "a")
    assert code == 1
    assert out == ""
    assert err.startswith("pruner explain: ")
    assert str(reference_plan) in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    code, _, err = run(capsys, "explain", reference_plan, "--graph", "dot")
    assert code == 1 and "Traceback" not in err


def test_explain_checksum_error_says_what_to_do(capsys, reference_plan):
    data = bytearray(reference_plan.read_bytes())
    data[len(data) // 2] ^= 0x01
    reference_plan.write_bytes(bytes(data))
    code, _, err = run(capsys, "explain", reference_plan, "--source", "items", "--changed", "a")
    assert code == 1
    assert "checksum" in err and "pruner compile" in err


# ---------------------------------------------------------------------- the lineage graph
def _parse_dot(text: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    lines = text.strip().splitlines()
    assert lines[0] == "digraph lineage {" and lines[-1] == "}"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for line in lines[1:-1]:
        line = line.strip()
        if m := re.fullmatch(r'(n\d+) \[label=("(?:[^"\\]|\\.)*"), shape=\w+\];', line):
            nodes[m.group(1)] = json.loads(m.group(2))
        elif m := re.fullmatch(r"(n\d+) -> (n\d+);", line):
            edges.append((m.group(1), m.group(2)))
        else:
            assert re.fullmatch(r"\w+(\s*\[.*\])?\s*=?\s*\w*;", line), f"not DOT: {line!r}"
    return nodes, edges


def test_graph_dot_names_every_unit_and_edges_join_declared_nodes(capsys, reference_plan, tmp_path):
    code, out, err = run(capsys, "explain", reference_plan, "--graph", "dot")
    assert code == 0, err
    nodes, edges = _parse_dot(out)
    labels = set(nodes.values())
    for unit in UNITS:
        assert f"unit:{unit}" in labels
    for field in "abcde":
        assert f"sink:{field}" in labels
    assert {"src:items.a", "src:items.b", "src:sellers.c"} <= labels
    assert edges and all(a in nodes and b in nodes for a, b in edges)
    by_label = {label: node for node, label in nodes.items()}
    assert (by_label["src:sellers.c"], by_label["unit:J1"]) in edges

    dot = tmp_path / "lineage.dot"
    code, out2, _ = run(capsys, "explain", reference_plan, "--graph", "dot", "-o", dot)
    assert code == 0 and out2 == ""
    assert dot.read_text() == out


# ---------------------------------------------------------------------- compile: failures write nothing
ROW_WRITE_PLUGIN = '''from plugin_sdk import UDTF, Processor


class Bad(Processor):
    def process(self, row, out):
        row["a"] = 1
        out["d"] = row["b"]


class BadUDTF(UDTF):
    processors = [Bad]
'''

BAD_JOB = """name: badjob
plugins: [plugins]
sources:
  items: {primary_key: [id], fields: [id, a, b]}
pipeline:
  - udtf: U
    class: bad_plugin.BadUDTF
sink: {name: engine, primary_key: [id], fields: [id, a, b, d]}
"""


@pytest.fixture
def bad_job(tmp_path: Path) -> Path:
    folder = tmp_path / "job"
    (folder / "plugins").mkdir(parents=True)
    (folder / "plugins" / "bad_plugin.py").write_text(ROW_WRITE_PLUGIN)
    (folder / "job.yaml").write_text(BAD_JOB)
    return folder / "job.yaml"


def test_compile_with_an_analysis_error_writes_no_plan(capsys, bad_job, tmp_path, monkeypatch):
    output = tmp_path / "plans" / "badjob.plan"
    code, out, err = run(capsys, "compile", bad_job, "-o", output)
    assert code == 1
    assert "PR113" in err and "bad_plugin.py:6:" in err
    assert "no plan written" in err
    assert "Traceback" not in err
    assert not output.exists()
    assert not output.parent.exists() or list(output.parent.iterdir()) == []

    monkeypatch.chdir(tmp_path)
    code, _, _ = run(capsys, "compile", bad_job)
    assert code == 1
    assert not (tmp_path / "compiled_plans").exists()


def test_a_failed_compile_leaves_an_existing_plan_untouched(capsys, bad_job, tmp_path, reference_plan):
    before = reference_plan.read_bytes()
    mtime = reference_plan.stat().st_mtime_ns
    code, _, _ = run(capsys, "compile", bad_job, "-o", reference_plan)
    assert code == 1
    assert reference_plan.read_bytes() == before
    assert reference_plan.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in reference_plan.parent.iterdir()) == ["reference.plan"]


def test_compile_with_an_unknown_udtf_class_fails(capsys, bad_job, tmp_path):
    bad_job.write_text(BAD_JOB.replace("bad_plugin.BadUDTF", "bad_plugin.NoSuchUDTF"))
    output = tmp_path / "x.plan"
    code, _, err = run(capsys, "compile", bad_job, "-o", output)
    assert code == 1
    assert "NoSuchUDTF" in err and not output.exists()


def test_compile_a_bad_spec_fails_with_the_spec_error(capsys, tmp_path):
    spec = tmp_path / "job.yaml"
    spec.write_text(REFERENCE.read_text().replace("table: sellers", "table: seller")
                    .replace("plugins: [plugins]", f"plugins: [{REFERENCE.parent / 'plugins'}]"))
    output = tmp_path / "x.plan"
    code, out, err = run(capsys, "compile", spec, "-o", output)
    assert code == 1
    assert out == ""
    assert err.startswith("pruner compile: ")
    assert "pipeline[1].table" in err and "unknown dimension table 'seller'" in err
    assert "Traceback" not in err
    assert not output.exists()


def test_compile_a_missing_spec_fails_clearly(capsys, tmp_path):
    code, _, err = run(capsys, "compile", tmp_path / "nope.yaml", "-o", tmp_path / "x.plan")
    assert code in (1, 2)
    assert "nope.yaml" in err and "Traceback" not in err
    assert not (tmp_path / "x.plan").exists()


def test_strict_refuses_a_warning_and_writes_nothing(capsys, tmp_path):
    output = tmp_path / "ecommerce.plan"
    code, out, err = run(capsys, "compile", ECOMMERCE, "-o", output, "--strict")
    assert code == 1
    assert "PR102" in err
    assert "with --strict; no plan written" in err
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []
    code, _, err = run(capsys, "compile", ECOMMERCE, "-o", output)      # a warning alone is fine
    assert code == 0, err
    assert "PR102" in err
    assert output.is_file()


def test_strict_passes_a_clean_job(capsys, tmp_path):
    code, _, err = run(capsys, "compile", REFERENCE, "-o", tmp_path / "r.plan", "--strict")
    assert code == 0, err
    assert (tmp_path / "r.plan").is_file()


# ---------------------------------------------------------------------- compile: where and what
def test_default_output_is_compiled_plans_job_plan_under_the_cwd(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "compile", REFERENCE)
    assert code == 0, err
    expected = tmp_path / "compiled_plans" / "reference.plan"
    assert expected.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compiled_plans"]
    assert sorted(p.name for p in expected.parent.iterdir()) == ["reference.plan"]
    assert "compiled_plans/reference.plan" in out


def test_compiling_twice_gives_identical_files(capsys, tmp_path, monkeypatch):
    first, second = tmp_path / "1.plan", tmp_path / "2.plan"
    assert run(capsys, "compile", REFERENCE, "-o", first)[0] == 0
    monkeypatch.chdir(ROOT / "examples")
    assert run(capsys, "compile", Path("reference") / "job.yaml", "-o", second)[0] == 0
    assert first.read_bytes() == second.read_bytes()
    assert run(capsys, "compile", REFERENCE, "-o", first)[0] == 0      # over an existing plan
    assert first.read_bytes() == second.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.plan", "2.plan"]


@pytest.mark.parametrize("job", ["reference", "ecommerce"])
def test_checked_in_plans_are_not_stale(capsys, tmp_path, job):
    fresh = tmp_path / f"{job}.plan"
    code, _, err = run(capsys, "compile", ROOT / "examples" / job / "job.yaml", "-o", fresh)
    assert code == 0, err
    checked_in = ROOT / "compiled_plans" / f"{job}.plan"
    assert checked_in.read_bytes() == fresh.read_bytes(), (
        f"compiled_plans/{job}.plan is stale: run `pruner compile examples/{job}/job.yaml`")


def test_the_cli_module_runs_as_a_script_with_every_command() -> None:
    """`python -m pruner.cli` (as the follow tests and some users run it) runs main() after
    every function the parser names is defined: a command added below the __main__ block
    once broke every command this way."""
    import subprocess
    import sys
    for command in (["replay", "--help"], ["follow", "--help"], ["flink", "run", "--help"]):
        done = subprocess.run([sys.executable, "-m", "pruner.cli", *command], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"usage: pruner {' '.join(command[:-1])}")
