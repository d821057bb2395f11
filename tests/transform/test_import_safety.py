"""Analyzing plugin code must never import or run it."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from pruner.transform import transform

HOSTILE = textwrap.dedent('''
    import pathlib
    pathlib.Path(__file__).with_name("IMPORTED_MARKER").write_text("the plugin ran")
    raise SystemExit("plugin top level ran")

    from plugin_sdk import Processor

    class Sneaky(Processor):
        def process(self, row, out):
            out["b"] = row["a"]
''')

AUDIT_RUNNER = textwrap.dedent('''
    import json, sys
    executed = []
    def hook(event, args):
        if event == "exec" and args and hasattr(args[0], "co_filename"):
            executed.append(args[0].co_filename)
    sys.addaudithook(hook)
    from pruner.cli import main
    code = main(["analyze", "--format", "json", sys.argv[1]])
    print("AUDIT " + json.dumps(executed), file=sys.stderr)
    sys.exit(code)
''')


def _write_plugin(tmp_path: Path) -> Path:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "hostile_plugin_xyz.py").write_text(HOSTILE)
    return plugins


def test_in_process_analysis_leaves_no_trace(tmp_path: Path) -> None:
    plugins = _write_plugin(tmp_path)
    analysis = transform([plugins])
    assert analysis.processor("Sneaky").reads == {"a"}
    assert not (plugins / "IMPORTED_MARKER").exists()
    assert "hostile_plugin_xyz" not in sys.modules


def test_cli_never_executes_plugin_code(tmp_path: Path) -> None:
    plugins = _write_plugin(tmp_path)
    result = subprocess.run([sys.executable, "-c", AUDIT_RUNNER, str(plugins)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert not (plugins / "IMPORTED_MARKER").exists()
    audit_line = next(line for line in result.stderr.splitlines() if line.startswith("AUDIT "))
    executed = json.loads(audit_line.removeprefix("AUDIT "))
    assert executed, "the audit hook saw no exec at all: the check itself is broken"
    assert not [f for f in executed if "hostile_plugin_xyz" in f]
    report = json.loads(result.stdout)
    assert [p["name"] for p in report["processors"]] == ["hostile_plugin_xyz.Sneaky"]
