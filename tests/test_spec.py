"""The job-spec loader: good specs load as the right steps; every bad spec is refused with
the place in the spec and what was expected, and with every problem it has, not just the first.

Bad specs are fixtures in tests/fixtures/specs/*.yaml. Each starts with one or more comment
lines ``# expect: <substring>`` naming what the SpecError message must contain, and optionally
``# problems: N``, the exact number of problems reported (1 when not given), so that a fixture
fails only for the reason it names. They are broken copies of tests/fixtures/specs/good/base.yaml,
which compiles cleanly against the tiny plugin folder tests/fixtures/specs/plugins/.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pruner.spec import (DimJoinStep, FilterStep, JobSpec, RenameStep, SpecError, UdafStep,
                         UdtfStep, load_spec, parse_spec)

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "tests" / "fixtures" / "specs"
PLUGINS = SPECS / "plugins"
BAD_SPECS = sorted(SPECS.glob("*.yaml"))


def _expectations(path: Path) -> tuple[list[str], int]:
    text = path.read_text(encoding="utf-8")
    expects = re.findall(r"^# expect: (.+?)\s*$", text, flags=re.MULTILINE)
    count = re.search(r"^# problems: (\d+)\s*$", text, flags=re.MULTILINE)
    return expects, int(count.group(1)) if count else 1


def _kinds(spec: JobSpec) -> list[tuple[str, str]]:
    names = {UdtfStep: "udtf", DimJoinStep: "dimjoin", RenameStep: "rename", UdafStep: "udaf",
             FilterStep: "filter"}
    return [(names[type(step)], step.name) for step in spec.pipeline]


# ---------------------------------------------------------------------- bad specs
def test_there_are_bad_spec_fixtures():
    assert len(BAD_SPECS) >= 30
    for path in BAD_SPECS:
        expects, _ = _expectations(path)
        assert expects, f"{path.name} has no '# expect:' line"


@pytest.mark.parametrize("path", BAD_SPECS, ids=[p.stem for p in BAD_SPECS])
def test_bad_spec_is_refused_with_where_and_what(path: Path):
    expects, count = _expectations(path)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    error = caught.value
    message = str(error)
    missing = [e for e in expects if e not in message]
    assert not missing, f"{path.name}: message lacks {missing}:\n{message}"
    assert len(error.problems) == count, f"{path.name}: expected {count} problems:\n{message}"
    assert error.path == str(path)
    assert message.startswith(f"{path}: invalid job spec")
    for problem in error.problems:          # one line per problem, each in the message
        assert "\n" not in problem
        assert f"  - {problem}" in message


def test_good_base_of_the_fixtures_compiles_cleanly():
    """The bad fixtures are broken copies of this one: it must be free of any problem."""
    from pruner.compiler import build

    result = build(SPECS / "good" / "base.yaml")
    assert result.diagnostics() == ()
    assert _kinds(result.spec) == [("filter", "F1"), ("udtf", "U1"), ("dimjoin", "J1"),
                                   ("udaf", "imgs"), ("rename", "R1")]
    assert [u.name for u in result.plan.units] == ["F1", "U1.MakeD", "J1", "imgs", "R1"]


def test_every_problem_is_listed_not_just_the_first():
    with pytest.raises(SpecError) as caught:
        load_spec(SPECS / "several_shape_problems.yaml")
    places = [p.split(" (line")[0] for p in caught.value.problems]
    assert sorted(places) == sorted(["owner", "sources.items.fields[2]", "sink.fields[1]",
                                     "pipeline[0].class", "pipeline[1].field", "pipeline[1]",
                                     "pipeline[2].rename"])
    with pytest.raises(SpecError) as caught:
        load_spec(SPECS / "several_reference_problems.yaml")
    places = [p.split(" (line")[0] for p in caught.value.problems]
    assert sorted(places) == sorted(["sources.extra.fields", "sources.stock.primary_key",
                                     "pipeline[1].table", "pipeline[2].on.a", "pipeline[2].on",
                                     "pipeline[3].source"])


def test_unreadable_spec_file(tmp_path: Path):
    with pytest.raises(SpecError, match="cannot read the file"):
        load_spec(tmp_path / "missing.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00name: x")
    with pytest.raises(SpecError, match="cannot read the file"):
        load_spec(binary)


def test_yaml_tags_that_build_objects_are_refused(tmp_path: Path):
    spec = tmp_path / "job.yaml"
    spec.write_text("name: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(spec)


# ---------------------------------------------------------------------- YAML 1.1 booleans
def _spec_text(pipeline: str, *, fields: str = "[id, a, b]", sink: str = "[id, a, b, c, d]") -> str:
    return (f"name: yaml11\nplugins: [{PLUGINS}]\n"
            f"sources:\n  items: {{primary_key: [id], fields: {fields}}}\n"
            "dimensions:\n  sellers: {primary_key: [b], fields: [b, c]}\n"
            f"pipeline:\n{pipeline}"
            f"sink: {{name: engine, primary_key: [id], fields: {sink}}}\n")


def test_bare_on_is_the_dimjoins_on_not_a_boolean(tmp_path: Path):
    path = tmp_path / "job.yaml"
    path.write_text(_spec_text("  - udtf: U1\n    class: fixture_plugins.Enrich\n"
                               "  - dimjoin: J1\n    table: sellers\n    on: {b: b}\n    fields: [c]\n"))
    spec = load_spec(path)
    join = spec.pipeline[1]
    assert isinstance(join, DimJoinStep)
    assert join.on == (("b", "b"),)
    assert join.table == "sellers" and join.fields == ("c",)


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "NO", "On", "OFF", "y", "n"])
def test_yaml11_boolean_words_stay_strings(tmp_path: Path, word: str):
    path = tmp_path / "job.yaml"
    path.write_text(_spec_text(
        "  - udtf: U1\n    class: fixture_plugins.Enrich\n"
        f"  - rename: R1\n    fields: {{{word}: {word}_renamed}}\n",
        fields=f"[id, a, b, {word}]", sink=f"[id, a, b, d, {word}_renamed]"))
    spec = load_spec(path)
    assert spec.table("items").fields == ("id", "a", "b", word)
    assert spec.pipeline[1].fields == ((word, f"{word}_renamed"),)


def test_true_and_false_are_still_booleans_and_refused_as_names(tmp_path: Path):
    path = tmp_path / "job.yaml"
    path.write_text(_spec_text("  - udtf: U1\n    class: fixture_plugins.Enrich\n",
                               fields="[id, a, b, true]"))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert "sources.items.fields[3]" in str(caught.value)
    assert "True" in str(caught.value)


def test_the_boolean_free_loader_does_not_change_pyyaml_globally():
    import yaml

    assert yaml.safe_load("on: yes") == {True: True}


# ---------------------------------------------------------------------- good specs
def test_reference_spec_loads():
    spec = load_spec(ROOT / "examples" / "reference" / "job.yaml")
    assert spec.name == "reference"
    assert spec.plugins == (ROOT / "examples" / "reference" / "plugins",)
    assert [(t.name, t.primary_key, t.fields) for t in spec.sources] == [("items", ("id",), ("id", "a", "b"))]
    assert [(t.name, t.primary_key, t.fields) for t in spec.dimensions] == [("sellers", ("b",), ("b", "c"))]
    assert _kinds(spec) == [("udtf", "UDTF1"), ("dimjoin", "J1"), ("udtf", "UDTF2")]
    udtf1, j1, udtf2 = spec.pipeline
    assert udtf1.class_ref == "reference_udtfs.UDTF1" and udtf2.class_ref == "reference_udtfs.UDTF2"
    assert (j1.table, j1.on, j1.fields) == ("sellers", (("b", "b"),), ("c",))
    assert [s.index for s in spec.pipeline] == [0, 1, 2]
    assert (spec.sink.name, spec.sink.primary_key, spec.sink.fields) == (
        "engine", ("id",), ("id", "a", "b", "c", "d", "e"))
    assert spec.row_sources == spec.sources
    assert spec.aggregated_sources == frozenset()
    assert spec.text == (ROOT / "examples" / "reference" / "job.yaml").read_text()


def test_ecommerce_spec_loads():
    spec = load_spec(ROOT / "examples" / "ecommerce" / "job.yaml")
    assert spec.name == "ecommerce"
    assert _kinds(spec) == [("rename", "R1"), ("filter", "F1"), ("udtf", "ItemCore"),
                            ("dimjoin", "seller"), ("udaf", "images"), ("udtf", "Index")]
    rename, filt, core, seller, images, index = spec.pipeline
    assert rename.fields == (("category_id", "cat_id"),)
    assert filt.class_ref == "item_processors.ActiveOnly"
    assert core.class_ref == "item_processors.ItemCoreUDTF"
    assert index.class_ref == "index_processors.IndexUDTF"
    assert seller.on == (("seller_id", "seller_id"),) and seller.table == "sellers"
    assert (images.source, images.key, images.fields, images.output) == (
        "item_images", "item_id", ("url", "position", "is_main"), "image_list")
    assert [t.name for t in spec.sources] == ["items", "item_images"]
    assert [t.name for t in spec.row_sources] == ["items"]
    assert spec.aggregated_sources == frozenset({"item_images"})
    assert spec.sink.primary_key == ("id",) and len(spec.sink.fields) == 31


def test_parse_spec_and_load_spec_agree(tmp_path: Path):
    path = ROOT / "examples" / "reference" / "job.yaml"
    assert parse_spec(path.read_text(), path) == load_spec(path)


def test_plugins_are_relative_to_the_spec_not_the_cwd(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = load_spec(ROOT / "examples" / "reference" / "job.yaml")
    assert spec.plugins == (ROOT / "examples" / "reference" / "plugins",)


# ---------------------------------------------------------------------- typed sources
def test_typed_spec_loads_and_compiles_cleanly():
    from pruner.compiler import build

    path = SPECS / "good" / "typed.yaml"
    spec = load_spec(path)
    items = spec.table("items")
    assert [(f, c.kind, c.spelled) for f, c in items.types] == [
        ("id", "int", "bigint"), ("b", "int", "int"), ("price", "decimal", "decimal(12,2)"),
        ("active", "bool", "bool"), ("created_at", "timestamp", "timestamp")]
    assert items.type_of("a") is None and items.type_of("price").scale == 2
    assert set(spec.types) == {"items", "images", "sellers"}
    assert spec.types["sellers"]["b"].kind == "int"
    assert build(path).diagnostics() == ()


def test_tables_without_types_are_as_before():
    spec = load_spec(ROOT / "examples" / "reference" / "job.yaml")
    assert spec.types == {} and all(t.types == () for t in (*spec.sources, *spec.dimensions))


def test_types_in_block_style_and_with_aliases(tmp_path: Path):
    path = tmp_path / "job.yaml"
    path.write_text(_spec_text("  - udtf: U1\n    class: fixture_plugins.Enrich\n").replace(
        "  items: {primary_key: [id], fields: [id, a, b]}\n",
        "  items:\n    primary_key: [id]\n    fields: &f [id, a, b]\n    types:\n      id: BIGINT UNSIGNED\n"
        "      a: numeric(30, 10)\n").replace(
        "dimensions:\n", "dimensions:\n  other: {primary_key: [id], fields: *f, types: {id: bigint}}\n"))
    spec = load_spec(path)
    assert spec.table("items").type_of("id").high == 2 ** 64 - 1
    assert spec.table("items").type_of("a").precision == 30
    assert spec.table("other").fields == ("id", "a", "b")


def test_the_sink_may_declare_types_of_computed_fields(tmp_path: Path):
    path = tmp_path / "job.yaml"
    text = _spec_text("  - udtf: U1\n    class: fixture_plugins.Enrich\n")
    path.write_text(text.replace("sink: {name: engine, primary_key: [id], fields: [id, a, b, c, d]}",
                                 "sink: {name: engine, primary_key: [id], fields: [id, a, b, c, d], "
                                 "types: {id: bigint, d: \"decimal(12,2)\"}}"))
    sink = load_spec(path).sink
    assert sink.type_of("d").scale == 2 and sink.type_of("c") is None
    # its key typed otherwise than the row sources give it: refused, with where
    path.write_text(text.replace("  items: {primary_key: [id], fields: [id, a, b]}",
                                 "  items: {primary_key: [id], fields: [id, a, b], types: {id: string}}")
                    .replace("fields: [id, a, b, c, d]}", "fields: [id, a, b, c, d], types: {id: bigint}}"))
    with pytest.raises(SpecError, match=r"sink\.types\.id.*typed bigint, the row sources give string"):
        load_spec(path)
    path.write_text(text.replace("fields: [id, a, b, c, d]}", "fields: [id, a, b, c, d], types: {d: money}}"))
    with pytest.raises(SpecError, match="unknown type 'money'"):
        load_spec(path)


# ---------------------------------------------------------------------- bounded reading
def _refused(tmp_path: Path, text: str | bytes, name: str = "job.yaml") -> tuple[str, float]:
    import time

    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    seconds = time.perf_counter() - start
    assert len(caught.value.problems) == 1 and "\n" not in caught.value.problems[0]
    return caught.value.problems[0], seconds


@pytest.mark.parametrize("text", ["a: " + "[" * 5000 + "]" * 5000 + "\n",
                                  "a: " + "{b: " * 5000 + "1" + "}" * 5000 + "\n",
                                  "".join(" " * i + f"k{i}:\n" for i in range(5000)) + " " * 5000 + "x: 1\n"],
                         ids=["flow-lists", "flow-mappings", "block-mappings"])
def test_deep_nesting_is_refused_fast_with_its_line(tmp_path: Path, text: str):
    problem, seconds = _refused(tmp_path, text)
    assert "nested more than 32 levels deep" in problem and problem.startswith("line ")
    assert seconds < 5


def test_the_billion_laughs_is_refused_fast(tmp_path: Path):
    lines = ["a: &a [" + ", ".join(["lol"] * 9) + "]"]
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]")
    text = "\n".join(lines) + "\n"
    assert len(text) < 700
    problem, seconds = _refused(tmp_path, text)
    assert "aliases expand to more than 10,000 nodes" in problem and problem.startswith("line ")
    assert seconds < 5


def test_an_alias_inside_itself_is_refused(tmp_path: Path):
    problem, _ = _refused(tmp_path, "name: &n [x, *n]\n")
    assert problem == "line 1, column 14: an alias of a node inside itself (a recursive structure)"


@pytest.mark.parametrize("text, says", [
    ("name: x\n\tplugins: [p]\n", "YAML indents with spaces, not tabs"),
    ("name: x\n  plugins: [p]\n", "line 2, column 10: not valid YAML (mapping values are not allowed here)"),
    ("name: [x\n", "not valid YAML"),
    ("name: x\n---\nname: y\n", "line 2, column 1: not valid YAML (but found another document)"),
    ("? [a, b]\n: 1\n", "line 1, column 3: not valid YAML (a key must be a plain value, not a list)"),
    ("name: 2020-13-45\n", "line 1, column 7: not valid YAML (cannot read this value: month must be in 1..12)"),
    ("name: !!int abc\n", "cannot read this value"),
    ("name: x\nplugins: \x01\n", "line 2, column 10: not valid YAML (the character U+0001 is not allowed"),
    ("", "the file is empty"),
    ("  \n\n", "the file is empty"),
    ("# only a comment\n", "expected a mapping with keys name, pipeline, plugins, sink, sources, got nothing"),
])
def test_every_yaml_error_is_a_spec_error(tmp_path: Path, text: str, says: str):
    problem, _ = _refused(tmp_path, text)
    assert says in problem


def test_files_that_cannot_be_read_are_spec_errors(tmp_path: Path):
    problem, _ = _refused(tmp_path, b"name: caf\xe9\nplugins: \xff\n")
    assert problem == "cannot read the file: line 1 is not UTF-8 text (byte 0xe9 at offset 9)"
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(SpecError, match="cannot read the file: it is a folder, not a file"):
        load_spec(tmp_path / "folder.yaml")
    with pytest.raises(SpecError, match="cannot read the file: No such file or directory"):
        load_spec(tmp_path / "missing.yaml")


def test_small_aliases_still_work(tmp_path: Path):
    path = tmp_path / "job.yaml"
    path.write_text(_spec_text("  - udtf: U1\n    class: fixture_plugins.Enrich\n",
                               fields="&fields [id, a, b]").replace("sink: {", "extra_fields: *fields\nsink: {"))
    with pytest.raises(SpecError, match="unknown key 'extra_fields'"):   # read, then checked as usual
        load_spec(path)
