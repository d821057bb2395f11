"""`pruner diff` and the code fingerprints it compares (pruner.compiler.codeprint, pruner.diff).

The fingerprints are checked on small modules (what counts as a change, what does not); the
diff is checked against execution: realistic edits of the ecommerce job, each compiled and
run in full over the bundled stream with the old and the new code. Every sink field whose
values differ must be among the fields the diff says to recompute (or the verdict is a full
recompute), and an edit that changes no behaviour needs no backfill.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from pruner.cli import main
from pruner.compiler.codeprint import CodePrints
from pruner.diff import diff_plans
from pruner.planfile import dumps, loads, read_plan
from tests.ecommerce_edits import EDITS_HARD, EDITS_PLUGINS, FULL_RECOMPUTE

ROOT = Path(__file__).resolve().parents[1]
ECOMMERCE = ROOT / "examples/ecommerce"
CLOCK = {"indexed_at", "index_lag_ms"}

BASE = '''"""Helpers."""
import json
from helpers import shout

LIMIT = 10
TABLE = {"a": 1}


def double(x):
    return 2 * x


class Base:
    def scale(self):
        return LIMIT


class P1(Base):
    def process(self, row, out):
        out["x"] = double(row["a"]) + self.scale()


class P2:
    def process(self, row, out):
        out["y"] = shout(row["b"]) + str(TABLE)
'''
HELPERS = '''def shout(text):
    return str(text).upper()


def other():
    return 1
'''


def _prints(module: str = BASE, helpers: str = HELPERS) -> tuple[str | None, str | None]:
    prints = CodePrints({"mod": module, "helpers": helpers})
    return prints.of_class("mod.P1"), prints.of_class("mod.P2")


@pytest.mark.parametrize("edit, p1, p2", [
    (lambda m, h: (m.replace("return 2 * x", "return 2 * x  # twice").replace('"""Helpers."""', '"""Other."""')
                   .replace("\n\n\nclass P2", "\n\n\n\nclass P2"), h), False, False),   # comments, layout, docstring
    (lambda m, h: (m.replace("LIMIT = 10", "LIMIT = 11"), h), True, False),            # a constant P1 reaches
    (lambda m, h: (m.replace("return 2 * x", "return 3 * x"), h), True, False),         # a helper P1 calls
    (lambda m, h: (m.replace("return LIMIT", "return LIMIT + 1"), h), True, False),     # its base class
    (lambda m, h: (m, h.replace(".upper()", ".lower()")), False, True),                # a helper imported
    (lambda m, h: (m, h.replace("return 1", "return 2")), False, False),               # an unused helper
    # a mutation at import time, a rebinding in a block: statements every class counts
    (lambda m, h: (m + 'TABLE["b"] = 2\n', h), True, True),
    (lambda m, h: (m + "if True:\n    LIMIT = 3\n", h), True, True),
    (lambda m, h: (m.replace('out["y"] = shout', 'out["y"] = globals()["shout"]'), h), True, True),  # dynamic
    (lambda m, h: (m.replace('out["x"] = double(row["a"])', 'out["x"] = double(row["a"]) + 1'), h), True, False),
])
def test_a_fingerprint_changes_with_the_code_a_class_reaches_and_only_then(edit, p1, p2) -> None:
    before = _prints()
    after = _prints(*edit(BASE, HELPERS))
    assert (before[0] != after[0], before[1] != after[1]) == (p1, p2)
    assert None not in before and None not in after


def test_a_relative_import_is_followed() -> None:
    module = "from .helpers import shout\n\n\nclass P:\n    def process(self, row, out):\n        out['y'] = shout(1)\n"
    before = CodePrints({"pkg.mod": module, "pkg.helpers": HELPERS}).of_class("pkg.mod.P")
    after = CodePrints({"pkg.mod": module, "pkg.helpers": HELPERS.replace("upper", "lower")}).of_class("pkg.mod.P")
    assert before != after


@pytest.mark.parametrize("code, opened", [
    ("import re\nLIMIT = 3\n", None),                                          # pure standard modules
    ("import os\nLIMIT = 3\n", "import os"),                                    # any other module
    ("with open('rates.json') as f:\n    LIMIT = len(f.read())\n", "open"),     # a file at import time
    ("LIMIT = len(__file__)\n", "__file__"),
    ("from helpers import *\nLIMIT = 3\n", "a star import"),
    ("LIMIT = 3\n", None),
])
def test_code_that_may_read_outside_what_it_follows_takes_the_plugin_folders(code, opened) -> None:
    """Open code (an allow-list decides: pure standard modules, safe builtins, names it resolves)
    takes the folder print: a change of any file there changes its fingerprint."""
    module = code + "\n\nclass P:\n    def process(self, row, out):\n        out['y'] = LIMIT + row['a']\n"
    prints = [CodePrints({"mod": module, "helpers": HELPERS}, folder_print=folder) for folder in ("a", "b")]
    before, after = (p.of_class("mod.P") for p in prints)
    assert (before != after) == (opened is not None)
    if opened is not None:
        assert any(opened in why for why in prints[0].open["mod.P"]), prints[0].open
    else:
        assert "mod.P" not in prints[0].open


@pytest.mark.parametrize("other, edited", [
    ("_unused = (LIMIT := 10)\n", "_unused = (LIMIT := 40)\n"),                       # a walrus binds LIMIT
    ("def __getattr__(name):\n    return 10\n", "def __getattr__(name):\n    return 40\n"),   # served names
    # process-wide state changed by a module the class never reaches: builtins, the decimal context
    ("import builtins\n_r = builtins.round\n\n\ndef _round(x, n=None):\n    return _r(x, 2)\n\n\n"
     "builtins.round = _round\n", None),
    ("import decimal\ndecimal.getcontext().prec = 28\n", None),
])
def test_names_bound_or_state_changed_out_of_sight_count(other: str, edited: str | None) -> None:
    """Found by an adversary (session 14): each edit changed values, not fingerprints."""
    user = "from other import LIMIT\n\n\nclass P:\n    def process(self, row, out):\n        out['y'] = round(LIMIT)\n"
    if edited is None:          # the class does not import `other`: the change is process-wide
        user = user.replace("from other import LIMIT\n", "LIMIT = 1\n")
        edited = other.replace("2)", "1)").replace("28", "3")
    assert edited != other
    before, after = (CodePrints({"mod": user, "other": text}).of_class("mod.P") for text in (other, edited))
    assert before != after


@pytest.mark.parametrize("hook", [
    "class Base:\n    def __init_subclass__(cls):\n        REGISTRY.append(cls)\n",
    "class Meta(type):\n    def __init__(cls, *args):\n        REGISTRY.append(cls)\n",
])
def test_classes_registered_as_they_are_made_count(hook: str) -> None:
    """A class no unit names, registered by __init_subclass__ or a metaclass as it is made, and
    read through the registry: its code counts."""
    base = "REGISTRY = []\n\n\n" + hook
    user = ("from base import REGISTRY\n\n\nclass P:\n    def process(self, row, out):\n"
            "        out['y'] = sum(c.RATE for c in REGISTRY)\n")
    kind = "(Base)" if "Base" in hook else "(metaclass=Meta)"
    other = f"from base import {'Base' if 'Base' in hook else 'Meta'}\n\n\nclass Hook{kind}:\n    RATE = 1\n"
    before, after = (CodePrints({"base": base, "mod": user, "other": o}).of_class("mod.P")
                     for o in (other, other.replace("RATE = 1", "RATE = 2")))
    assert before != after


def test_importing_a_submodule_counts_its_packages_init() -> None:
    user = "from shop.pricing import band\n\n\nclass P:\n    def process(self, row, out):\n        out['y'] = band(1)\n"
    pricing = 'SUFFIX = "?"\n\n\ndef band(x):\n    return str(x) + SUFFIX\n'
    prints = [CodePrints({"mod": user, "shop": init, "shop.pricing": pricing}, packages={"shop"}).of_class("mod.P")
              for init in ('from . import pricing\npricing.SUFFIX = ""\n', 'from . import pricing\npricing.SUFFIX = "!"\n')]
    assert prints[0] != prints[1]


def test_a_format_string_reaching_dunder_attributes_is_open() -> None:
    module = ('LIMIT = 1\n\n\nclass P:\n    def process(self, row, out):\n'
              '        out["y"] = "{0.__globals__[LIMIT]}".format(self.process)\n')
    prints = CodePrints({"mod": module}, folder_print="a")
    prints.of_class("mod.P")
    assert any("format string" in why for why in prints.open["mod.P"])


def test_the_folder_print_sees_hidden_files_and_linked_folders(tmp_path: Path) -> None:
    from pruner.fingerprint import folders_digest

    plugins, data = tmp_path / "plugins", tmp_path / "data"
    plugins.mkdir()
    data.mkdir()
    (plugins / "p.py").write_text("X = 1\n")
    (plugins / "data").symlink_to(data, target_is_directory=True)
    (data / "loop").symlink_to(plugins, target_is_directory=True)        # a cycle: followed once
    (data / "rates.json").write_text("{}")
    digests = [folders_digest([plugins])]
    for edit in (lambda: (data / "rates.json").write_text('{"a": 1}'), lambda: (plugins / ".hidden.json").write_text("1")):
        edit()
        digests.append(folders_digest([plugins]))
    (plugins / ".pruner-cache").mkdir()                 # tools' own folders do not count
    (plugins / ".pruner-cache" / "x").write_text("1")
    (plugins / "__pycache__").mkdir()
    (plugins / "__pycache__" / "p.pyc").write_bytes(b"0")
    digests.append(folders_digest([plugins]))
    assert len(set(digests[:3])) == 3 and digests[3] == digests[2]


def test_the_bundled_examples_are_closed_code() -> None:
    """Their fingerprints follow all they read: a change elsewhere in their folders counts for nothing."""
    from pruner.compiler import build

    for job in ("ecommerce", "reference"):
        assert not [d for d in build(ROOT / f"examples/{job}/job.yaml").diagnostics() if d.code == "PR508"]


# ---------------------------------------------------------------------- the ecommerce job
@pytest.fixture(scope="module")
def stream() -> Path:
    return ECOMMERCE / "stream.debezium.jsonl"


def _copy(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(ECOMMERCE, folder, ignore=shutil.ignore_patterns("stream.*", "__pycache__", ".pruner-cache"))
    return folder


def _compile(folder: Path) -> Path:
    plan = folder / "job.plan"
    assert main(["compile", str(folder / "job.yaml"), "-o", str(plan), "--no-cache"]) == 0
    return plan


def _full_sink(folder: Path, plan: Path, stream: Path) -> dict[tuple, dict]:
    """The sink table of a full-mode replay, in a process of its own (the plugins are imported)."""
    out = folder / "sink.jsonl"
    done = subprocess.run([sys.executable, "-m", "pruner.cli", "replay", str(folder / "job.yaml"), "--plan", str(plan),
                           "--input", str(stream), "--format", "debezium-json", "--mode", "full", "--sink-out",
                           str(out), "--quiet"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode in (0, 3), done.stderr           # 3: dead letters (a type that refuses values)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    return {(row["id"],): {k: v for k, v in row.items() if k not in CLOCK} for row in rows}


def _changed_fields(old: dict, new: dict) -> set[str]:
    fields = set()
    for key in set(old) | set(new):
        a, b = old.get(key, {}), new.get(key, {})
        fields |= {f for f in set(a) | set(b) if a.get(f) != b.get(f)}
    return fields


EDITS = {**EDITS_PLUGINS, **EDITS_HARD}


@pytest.mark.parametrize("name", list(EDITS))
def test_the_diff_covers_every_field_the_edit_changes_when_run(tmp_path: Path, stream: Path, name: str) -> None:
    both, edit = EDITS[name]
    old_folder, new_folder = _copy(tmp_path, "old"), _copy(tmp_path, "new")
    if both is not None:
        both(old_folder)
        both(new_folder)
    edit(new_folder)
    old_plan, new_plan = _compile(old_folder), _compile(new_folder)
    result = diff_plans(read_plan(old_plan), read_plan(new_plan))
    changed = _changed_fields(_full_sink(old_folder, old_plan, stream), _full_sink(new_folder, new_plan, stream))
    if result.full_recompute:      # the filter's code changed, or it is open (a file, `import sys`), ...
        assert name in FULL_RECOMPUTE, result.full_recompute
        assert changed or name == "the filter", "the edit should change some values on the bundled stream"
        return
    assert changed <= set(result.recompute) | set(result.sink_removed), (changed - set(result.recompute),
                                                                          result.recompute)
    if name == "comments and layout":
        assert result.verdict == "no backfill needed" and not changed and result.exit_code == 0
    else:
        assert changed, "the edit should change some values on the bundled stream"
        assert result.exit_code == 1 and len(result.recompute) < result.sink_fields     # not everything
    if name == "a price-band threshold":      # PriceBand's two outputs, and CollectExtProps reads every field
        assert set(result.recompute) == {"price_band", "price_usd", "ext_props"}, result.recompute


def test_a_plan_without_code_prints_counts_every_unit_as_changed() -> None:
    from dataclasses import replace
    plan = read_plan(ROOT / "compiled_plans/reference.plan")
    assert all(u.code is not None for u in plan.units)
    old = replace(plan, units=tuple(replace(u, code=None) for u in plan.units))
    assert loads(dumps(old)).units[0].code is None                     # a format-3 plan reads so
    result = diff_plans(old, plan)
    assert set(result.units_code_changed) == {u.name for u in plan.units} and result.notes
    assert set(result.recompute) == {"c", "d", "e"}


def test_diff_cli_exit_codes_and_json(tmp_path: Path, capsys) -> None:
    plan = ROOT / "compiled_plans/reference.plan"
    assert main(["diff", str(plan), str(plan)]) == 0
    assert "verdict: no backfill needed" in capsys.readouterr().out
    folder = tmp_path / "ref"
    shutil.copytree(ROOT / "examples/reference", folder)
    job = folder / "job.yaml"
    job.write_text(job.read_text().replace("fields: [id, a, b, c, d, e]}", "fields: [id, a, b, c, d]}"))
    (folder / "plugins/reference_udtfs.py").write_text(
        (folder / "plugins/reference_udtfs.py").read_text().replace('f"{row[\'a\']}:{row[\'b\']}"',
                                                                    'f"{row[\'a\']}-{row[\'b\']}"'))
    new = tmp_path / "new.plan"
    assert main(["compile", str(job), "-o", str(new)]) == 0
    capsys.readouterr()
    assert main(["diff", str(plan), str(new), "--format", "json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert found["sink_removed"] == ["e"] and found["units_code_changed"] == ["UDTF1.P1"]
    assert set(found["recompute"]) == {"d"}
    assert found["verdict"] == "backfill 1 of 5 sink fields; drop 1 removed sink field"
    assert main(["diff", str(plan), str(tmp_path / "missing.plan")]) == 2


# ---------------------------------------------------------------------- random jobs, random edits
def _num2_edit(job, proc) -> dict[str, str] | None:
    """`proc` (one Processor of `job`) calls a new helper instead of `_num`: its own behaviour
    changes, no other class's code does."""
    source = job.modules[proc.module]
    if proc.source not in source or "_num(" not in proc.source:
        return None
    helper = "\n\ndef _num2(v):\n    return (_num(v) + 1) % 7\n"
    edited = source.replace(proc.source, proc.source.replace("_num(", "_num2("))
    return {**job.modules, proc.module: edited + helper}


def _common_edit(job, proc) -> dict[str, str]:
    """The shared `_mix` helper changes: every class that calls it, directly or not, changes."""
    common = next(name for name in job.modules if name.endswith("_common"))
    return {**job.modules, common: job.modules[common].replace("(x * 3 + y) % 7", "(x * 5 + y) % 7")}


def _full_rows(spec_path: Path, changes, uid: str) -> tuple[Any, list]:
    from pruner.compiler import build
    from pruner.runtime.engine import Engine, SinkTable
    from tests.runtime.oracle_jobs import forget_modules

    built = build(spec_path)
    spec = built.spec
    engine = Engine(spec, built.plan, "full")
    sink = SinkTable(spec.sink.fields, spec.sink.primary_key)
    try:
        for change in changes:
            result = engine.process(change)
            assert isinstance(result, list), result
            sink.apply_all(result)
    finally:
        forget_modules(uid, spec_path.parent / "plugins")
    return built.plan, sink.sorted_rows()


# Both versions import the shared helpers so (an adversary found helpers behind a `try` or an
# `if` missing from the fingerprints).
IMPORT_FORMS = {
    "plain": lambda line: line,
    "in try/except ImportError": lambda line: f"try:\n    {line}except ImportError:\n    raise\n",
    "in an if": lambda line: f"if True:\n    {line}",
}


@settings(max_examples=int(os.environ.get("DIFF_EXAMPLES", 25)), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_diff_never_misses_a_field_an_edit_changes(data, tmp_path_factory) -> None:
    """Random jobs (tests/runtime/oracle_jobs.py), a random stream, a random edit of one
    Processor's code or of a shared helper: every sink field whose final values differ between
    a full run of the old code and one of the new is among the fields the diff recomputes."""
    from tests.runtime.oracle_jobs import jobs, streams

    job = data.draw(jobs(), label="job")
    changes = data.draw(streams(job, max_size=25), label="stream")
    form = data.draw(st.sampled_from(sorted(IMPORT_FORMS)), label="how modules import the shared helpers")
    common = next(name for name in job.modules if name.endswith("_common"))
    line = f"from {common} import _mix, _num, _s\n"
    job.modules = {name: text.replace(line, IMPORT_FORMS[form](line)) for name, text in job.modules.items()}
    procs = [p for p in job.procs if p.source and "_num(" in p.source]
    kind = data.draw(st.sampled_from(("one class", "a shared helper")), label="edit")
    assume(procs or kind == "a shared helper")
    proc = data.draw(st.sampled_from(procs), label="proc") if procs and kind == "one class" else None
    modules = _num2_edit(job, proc) if proc is not None else _common_edit(job, proc)
    assume(modules is not None and modules != job.modules)
    folder = tmp_path_factory.mktemp("edit")
    old_spec = job.write(folder / "old")
    old_plan, old_rows = _full_rows(old_spec, changes, job.uid)
    original = job.modules
    job.modules = modules
    try:
        new_spec = job.write(folder / "new")
    finally:
        job.modules = original
    new_plan, new_rows = _full_rows(new_spec, changes, job.uid)
    assume(old_rows or new_rows)            # a sink with rows: values to compare
    result = diff_plans(old_plan, new_plan)
    key = tuple(old_plan.sink_primary_key)
    old_by = {tuple(r[k] for k in key): r for r in old_rows}
    new_by = {tuple(r[k] for k in key): r for r in new_rows}
    changed = _changed_fields(old_by, new_by)
    note(f"edit: {kind} {proc}; changed: {changed}; diff: {result.to_json()}")
    if not result.full_recompute:
        assert changed <= set(result.recompute), (changed - set(result.recompute), result.recompute)
    if proc is not None:                    # only the edited class changed code
        edited = [u.name for u in new_plan.units if u.class_ref == f"{proc.module}.{proc.name}"]
        assert set(result.units_code_changed) == set(edited), (result.units_code_changed, edited)
