"""sqlglot-style fixtures: Processor snippets paired with what the analyzer must report.

Every file under ``fixtures/`` (and ``fixtures/__invalid/``) is plugin source text; it is
read and analyzed, never imported. The line right before each Processor class is::

    # expect: {"reads": ["a"], "writes": ["x"], "reads_all": false, "writes_all": false,
    #          "prunable": true, "codes": []}

(one line of JSON; every key is optional, the defaults are the ones shown with empty
lists). ``codes`` is the exact sorted list of distinct diagnostic codes on the Processor.
An optional ``"severities": {"PR103": "info"}`` checks the severity of every diagnostic
with that code. A class without an ``# expect:`` line must not be reported as a Processor.

A file may carry ``# expect-file-codes: ["PR001"]`` (the exact sorted distinct codes of
its file-level diagnostics; ``[]`` when absent). The expectations describe what a correct
analyzer reports: exact where the pattern is supported, a sound guess (``reads_all``,
``writes_all``, ``prunable: false``) with its diagnostic code otherwise.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pruner.transform import analyze_source

FIXTURES = Path(__file__).parent / "fixtures"
MODULE_PREFIX = "fixtures"

_EXPECT = re.compile(r"^# expect:\s*(\{.*\})\s*$")
_EXPECT_FILE = re.compile(r"^# expect-file-codes:\s*(\[.*\])\s*$")
_CLASS = re.compile(r"^\s*class\s+([A-Za-z_]\w*)")
_DEFAULTS: dict[str, object] = {
    "reads": [], "writes": [], "reads_all": False, "writes_all": False, "prunable": True, "codes": [],
}
_KEYS = frozenset(_DEFAULTS) | {"severities"}


@dataclass
class Fixture:
    path: Path
    module: str
    text: str
    file_codes: list[str] = field(default_factory=list)
    expected: dict[str, dict[str, object]] = field(default_factory=dict)   # class -> expectation
    severities: dict[str, dict[str, str]] = field(default_factory=dict)    # class -> code -> severity
    classes: list[str] = field(default_factory=list)                       # every `class X` line


def _fixture_files() -> list[Path]:
    files = sorted(FIXTURES.glob("*.py")) + sorted((FIXTURES / "__invalid").glob("*.py"))
    return [f for f in files if f.name != "__init__.py"]


def _fixture_id(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def parse_fixture(path: Path) -> Fixture:
    text = path.read_text(encoding="utf-8")
    relative = path.relative_to(FIXTURES).with_suffix("")
    module = ".".join([MODULE_PREFIX, *(p.lstrip("_") for p in relative.parts)])
    fixture = Fixture(path=path, module=module, text=text)
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if match := _EXPECT_FILE.match(line):
            fixture.file_codes = json.loads(match.group(1))
            continue
        if match := _CLASS.match(line):
            fixture.classes.append(match.group(1))
        match = _EXPECT.match(line)
        if match is None:
            if line.startswith("# expect"):
                raise AssertionError(f"{_fixture_id(path)}:{number}: malformed expectation line")
            continue
        following = lines[number] if number < len(lines) else ""
        target = re.match(r"^class\s+([A-Za-z_]\w*)", following)
        if target is None:
            raise AssertionError(f"{_fixture_id(path)}:{number}: `# expect:` must be right before "
                                 f"a top-level `class X(...)` line, found {following!r}")
        spec = json.loads(match.group(1))
        unknown = set(spec) - _KEYS
        if unknown:
            raise AssertionError(f"{_fixture_id(path)}:{number}: unknown expectation keys {sorted(unknown)}")
        name = target.group(1)
        if name in fixture.expected:
            raise AssertionError(f"{_fixture_id(path)}:{number}: class {name} is expected twice")
        expectation = {key: spec.get(key, default) for key, default in _DEFAULTS.items()}
        for key in ("reads", "writes", "codes"):
            expectation[key] = sorted(set(expectation[key]))
        fixture.expected[name] = expectation
        fixture.severities[name] = dict(spec.get("severities", {}))
    return fixture


def _actual(facts) -> dict[str, object]:
    return {
        "reads": sorted(facts.reads),
        "writes": sorted(facts.writes),
        "reads_all": facts.reads_all,
        "writes_all": facts.writes_all,
        "prunable": facts.prunable,
        "codes": sorted({d.code for d in facts.diagnostics}),
    }


def _describe(facts) -> str:
    return "; ".join(f"{d.line}:{d.col} {d.code} {d.severity.value} {d.message}"
                     for d in facts.diagnostics) or "no diagnostics"


@pytest.mark.parametrize("path", _fixture_files(), ids=_fixture_id)
def test_fixture(path: Path) -> None:
    fixture = parse_fixture(path)
    fid = _fixture_id(path)
    if path.parent.name == "__invalid":
        assert fixture.text.startswith("# expect-file-codes:"), \
            f"{fid}: files under __invalid/ start with `# expect-file-codes: [...]`"
    try:
        analysis = analyze_source(fixture.text, fid, fixture.module)
    except Exception as error:  # the analyzer must answer bad code with diagnostics, never raise
        pytest.fail(f"{fid}: analyze_source raised {type(error).__name__}: {error}", pytrace=False)

    problems: list[str] = []
    file_codes = sorted({d.code for d in analysis.diagnostics})
    if file_codes != sorted(set(fixture.file_codes)):
        details = "; ".join(d.render() for d in analysis.diagnostics) or "none"
        problems.append(f"file-level codes: expected {sorted(set(fixture.file_codes))}, "
                        f"got {file_codes} ({details})")

    reported = {}
    for facts in analysis.processors:
        if facts.class_name in reported:
            problems.append(f"class {facts.class_name}: reported twice")
        reported[facts.class_name] = facts
        if facts.name != f"{fixture.module}.{facts.class_name}":
            problems.append(f"class {facts.class_name}: name {facts.name!r}, "
                            f"expected {fixture.module}.{facts.class_name!r}")

    for name in sorted(set(reported) - set(fixture.expected)):
        problems.append(f"class {name}: reported as a Processor but has no `# expect:` line "
                        f"(not a Processor): {_actual(reported[name])}")
    for name, expected in fixture.expected.items():
        facts = reported.get(name)
        if facts is None:
            problems.append(f"class {name}: expected a Processor, not reported")
            continue
        actual = _actual(facts)
        diff = {k: (expected[k], actual[k]) for k in expected if expected[k] != actual[k]}
        if diff:
            lines = "\n      ".join(f"{k}: expected {e!r}, got {a!r}" for k, (e, a) in diff.items())
            problems.append(f"class {name}:\n      {lines}\n      diagnostics: {_describe(facts)}")
        for code, severity in fixture.severities[name].items():
            got = sorted({d.severity.value for d in facts.diagnostics if d.code == code})
            if got != [severity]:
                problems.append(f"class {name}: {code} severity expected {severity!r}, got {got}")

    if problems:
        pytest.fail(f"{fid}:\n  " + "\n  ".join(problems), pytrace=False)


def test_every_class_line_is_known() -> None:
    """Guard against typos: a fixture must have at least one class and parse cleanly."""
    for path in _fixture_files():
        fixture = parse_fixture(path)
        assert fixture.classes, f"{_fixture_id(path)} has no classes"
        missing = set(fixture.expected) - set(fixture.classes)
        assert not missing, f"{_fixture_id(path)}: expectations for unknown classes {missing}"


def test_udtf_processors_in_order() -> None:
    path = FIXTURES / "udtf.py"
    fixture = parse_fixture(path)
    analysis = analyze_source(fixture.text, "udtf.py", "pipelines.orders")
    udtfs = {u.name: u.processors for u in analysis.udtfs}
    assert udtfs == {
        "pipelines.orders.OrderPipeline": ("pipelines.orders.Parse", "pipelines.orders.Price",
                                           "pipelines.orders.Tag"),
        "pipelines.orders.ReversedPipeline": ("pipelines.orders.Tag", "pipelines.orders.Parse"),
        "pipelines.orders.TuplePipeline": ("pipelines.orders.Price",),
        "pipelines.orders.ChildPipeline": ("pipelines.orders.Parse", "pipelines.orders.Price",
                                           "pipelines.orders.Tag"),
    }, udtfs
    assert not analysis.diagnostics, [d.render() for d in analysis.diagnostics]
    assert {p.class_name for p in analysis.processors} == {"Parse", "Price", "Tag"}
