"""The `pruner analyze` contract: output formats, keys and exit codes."""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from pruner.cli import main

CLEAN = textwrap.dedent('''
    from plugin_sdk import Processor

    class Band(Processor):
        def process(self, row, out):
            out["price_band"] = "hi" if row["price"] > 100 else "lo"
''')
GUESSING = textwrap.dedent('''
    from plugin_sdk import Processor

    class CopyAll(Processor):
        def process(self, row, out):
            for key, value in row.items():
                out["copy_" + key] = value
''')
BROKEN = "from plugin_sdk import Processor\nclass Oops(Processor:\n    pass\n"

LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>PR\d{3}) (?P<name>[a-z-]+): .+$")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_clean_module_exits_zero_with_table(tmp_path, capsys) -> None:
    path = _write(tmp_path, "clean.py", CLEAN)
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"clean\.Band\s+price\s+price_band\s+yes", out)


def test_json_contract_keys(tmp_path, capsys) -> None:
    path = _write(tmp_path, "guess.py", GUESSING)
    assert main(["analyze", "--format", "json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"processors", "diagnostics"}
    (proc,) = report["processors"]
    assert set(proc) >= {"name", "file", "line", "reads", "writes", "reads_all", "writes_all",
                         "prunable", "diagnostics"}
    assert proc["name"] == "guess.CopyAll" and proc["line"] == 4
    assert proc["reads_all"] is True and proc["writes_all"] is True and proc["prunable"] is True
    codes = {d["code"] for d in proc["diagnostics"]}
    assert codes == {"PR102", "PR111"}
    for diag in proc["diagnostics"]:
        assert set(diag) >= {"code", "name", "severity", "file", "line", "col", "message"}
        assert diag["severity"] == "warning"


def test_text_diagnostic_lines_follow_the_contract(tmp_path, capsys) -> None:
    path = _write(tmp_path, "guess.py", GUESSING)
    main(["analyze", str(path)])
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith(str(path))]
    assert lines and all(LINE.match(l) for l in lines)
    assert {LINE.match(l)["code"] for l in lines} == {"PR102", "PR111"}


def test_strict_turns_guesses_into_failure(tmp_path, capsys) -> None:
    path = _write(tmp_path, "guess.py", GUESSING)
    assert main(["analyze", str(path)]) == 0
    assert main(["analyze", "--strict", str(path)]) == 1
    clean = _write(tmp_path, "clean.py", CLEAN)
    assert main(["analyze", "--strict", str(clean)]) == 0


def test_syntax_error_is_a_diagnostic_not_a_traceback(tmp_path, capsys) -> None:
    path = _write(tmp_path, "broken.py", BROKEN)
    assert main(["analyze", str(path)]) == 1
    out = capsys.readouterr().out
    match = LINE.match(out.splitlines()[0])
    assert match and match["code"] == "PR001" and match["line"] == "2"
    assert "Traceback" not in out


def test_undecodable_file_is_reported(tmp_path, capsys) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes(b"x = '\xff\xfe'\n")
    assert main(["analyze", "--format", "json", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [d["code"] for d in report["diagnostics"]] == ["PR002"]


def test_usage_errors_exit_two(tmp_path, capsys) -> None:
    assert main(["analyze", str(tmp_path / "missing.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze", "--format", "yaml", str(tmp_path)])
    assert exit_info.value.code == 2


def test_folders_name_modules_by_relative_path(tmp_path, capsys) -> None:
    package = tmp_path / "plugins" / "shop"
    package.mkdir(parents=True)
    (package / "pricing.py").write_text(CLEAN)
    assert main(["analyze", "--format", "json", str(tmp_path / "plugins")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in report["processors"]] == ["shop.pricing.Band"]
