"""Job specs: the YAML file that names a job's sources, operators and sink.

``load_spec(path)`` returns a ``JobSpec`` or raises ``SpecError`` listing every problem,
each with its place in the spec (``pipeline[2].on``), its line, and what was expected.
Unknown keys are errors. YAML 1.1 booleans (``on``/``off``/``yes``/``no``) are read as
plain strings, so a DimJoin's ``on:`` stays ``on``.

Typed sources: a source or dimension table may declare the types of some or all of its
fields, ``types: {id: bigint, title: string, created_at: timestamp}`` (one per line for
``decimal(12,2)``, or quoted: a comma ends an entry of a ``{...}`` mapping). The types are
tinyint, smallint, int, bigint (each may be ``unsigned``), decimal(p,s), double, string,
bool, timestamp, date, json and bytes, with the aliases integer, numeric, float, text and
boolean; ``pruner.cdc.types`` says what each accepts from each CDC format. Decoded rows are
coerced to them and a value that does not fit is a dead letter; untyped fields are not
checked, and a table without ``types`` is read as it always was. A typed primary-key field
is an integer, string or bytes type. A key must be typed alike wherever rows are matched
by it (every row source, a DimJoin's ``on`` field and the dimension's key, a udaf's ``key``
and the row key), or ``"18"`` and ``18`` would be two keys.

The sink may declare ``types`` too, for the fields the job computes: they type the output
columns of a Flink SQL ``PrunedUDTF`` (``plugin_sdk.flink``), where a value that does not
fit its type fails with the step, field and value. The local runtimes do not check them.

Reading is bounded: nesting deeper than ``MAX_DEPTH``, aliases that expand to more than
``MAX_ALIAS_NODES`` nodes (a "billion laughs" file) and aliases of a node inside itself are
refused as soon as the parser meets them, as is every YAML error, with its line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Final, Union

import yaml

from pruner.cdc.types import ColumnType, parse_type

MAX_DEPTH: Final = 32              # a job spec is 5 or 6 levels deep
MAX_ALIAS_NODES: Final = 10_000     # nodes reached through aliases, all aliases together
_KEY_KINDS: Final = frozenset({"int", "string", "bytes"})   # types whose values compare exactly
_IDENTIFIER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CLASS_REF: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


# ---------------------------------------------------------------------- the spec
@dataclass(frozen=True)
class TableSpec:
    name: str
    primary_key: tuple[str, ...]
    fields: tuple[str, ...]
    types: tuple[tuple[str, ColumnType], ...] = ()     # (field, type) of the typed fields

    def type_of(self, field: str) -> ColumnType | None:
        for name, column in self.types:
            if name == field:
                return column
        return None


@dataclass(frozen=True)
class UdtfStep:
    name: str
    class_ref: str             # module.Class of a UDTF under `plugins`
    index: int


@dataclass(frozen=True)
class DimJoinStep:
    name: str
    table: str
    on: tuple[tuple[str, str], ...]   # (row field, dimension key field)
    fields: tuple[str, ...]           # dimension fields copied into the row
    index: int


@dataclass(frozen=True)
class RenameStep:
    name: str
    fields: tuple[tuple[str, str], ...]   # (old row field, new name)
    index: int


@dataclass(frozen=True)
class UdafStep:
    name: str
    source: str                # an aggregated source (many rows per wide row)
    key: str                   # its field holding the wide row's key
    fields: tuple[str, ...]    # its fields the aggregate reads
    output: str                # the row field the aggregate writes
    index: int


@dataclass(frozen=True)
class FilterStep:
    name: str
    class_ref: str             # module.Class of a Processor; the row passes when its output is truthy
    index: int


Step = Union[UdtfStep, DimJoinStep, RenameStep, UdafStep, FilterStep]


@dataclass(frozen=True)
class JobSpec:
    name: str
    path: Path
    plugins: tuple[Path, ...]
    sources: tuple[TableSpec, ...]
    dimensions: tuple[TableSpec, ...]
    pipeline: tuple[Step, ...]
    sink: TableSpec
    text: str = field(repr=False, default="")

    @property
    def aggregated_sources(self) -> frozenset[str]:
        return frozenset(s.source for s in self.pipeline if isinstance(s, UdafStep))

    @property
    def row_sources(self) -> tuple[TableSpec, ...]:
        return tuple(s for s in self.sources if s.name not in self.aggregated_sources)

    @cached_property
    def types(self) -> dict[str, dict[str, ColumnType]]:
        """Table -> field -> type, for the tables that declare types (``decode(..., types)``)."""
        return {t.name: dict(t.types) for t in (*self.sources, *self.dimensions) if t.types}

    def table(self, name: str) -> TableSpec:
        for table in (*self.sources, *self.dimensions):
            if table.name == name:
                return table
        raise KeyError(name)


class SpecError(Exception):
    """A job spec that cannot be used; `problems` lists every one found."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{path}: invalid job spec:\n" + "\n".join(f"  - {p}" for p in problems))


# ---------------------------------------------------------------------- YAML loading
class _TooBig(yaml.MarkedYAMLError):
    """A document past a reading bound (depth, alias expansion), refused where it is met."""


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false, any case) and bounded composing.

    ``compose_node`` keeps the depth and, per node, its size with every alias expanded; an
    alias adds its target's size to the running count of aliased nodes. The sizes are
    counted, never expanded, so a billion-laughs file is refused after a few hundred events.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliased = 0
        self._size: dict[int, int] = {}     # id(node) -> nodes below it, aliases expanded

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            node = super().compose_node(parent, index)
            size = self._size.get(id(node))
            if size is None:
                raise _TooBig(None, None, "an alias of a node inside itself (a recursive structure)", mark)
            self._aliased += size
            if self._aliased > MAX_ALIAS_NODES:
                raise _TooBig(None, None, f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes; "
                                          "a job spec needs few or none", mark)
            return node
        if self._depth >= MAX_DEPTH:
            raise _TooBig(None, None, f"nested more than {MAX_DEPTH} levels deep; a job spec needs 5 or 6", mark)
        self._depth += 1
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._size[id(node)] = 1 + sum(self._size[id(n)] for n in _children(node))
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as error:    # !!int x, 2020-13-45, ...
            raise yaml.constructor.ConstructorError(None, None, f"cannot read this value: {error}",
                                                    node.start_mark) from None


def _children(node: yaml.Node) -> list[yaml.Node]:
    """The nodes written directly inside `node` (an alias among them is its target)."""
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _construct_mapping_without_duplicates(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                f"a key must be a plain value, not {_kind(key)}", key_node.start_mark) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                f"key {key!r} appears twice (first on line {seen[key]}); YAML would silently keep "
                "only the last one", key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                        lambda loader, node: _construct_mapping_without_duplicates(loader, node, True))

_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _marks(node: yaml.Node, path: tuple, out: dict[tuple, int]) -> None:
    """Line (1-based) of every node by its path, keys included (path + ('<key>',)).

    Recursive: the loader bounds the depth and what aliases add."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            if not isinstance(key, str):        # a list or mapping as a key: it has no path
                continue
            out[path + (key, "<key>")] = key_node.start_mark.line + 1
            _marks(value_node, path + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _marks(item, path + (i,), out)


def load_spec(path: str | Path) -> JobSpec:
    path = Path(path)
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            raise SpecError(path, ["cannot read the file: not a regular file (a device or a pipe)"])
        data = path.read_bytes()
    except OSError as error:
        reason = "it is a folder, not a file" if path.is_dir() else error.strerror or error
        raise SpecError(path, [f"cannot read the file: {reason}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise SpecError(path, [f"cannot read the file: line {line} is not UTF-8 text "
                               f"(byte {data[error.start]:#04x} at offset {error.start})"]) from None
    return parse_spec(text, path)


def parse_spec(text: str, path: Path) -> JobSpec:
    if not text.strip():
        raise SpecError(path, ["the file is empty; a job spec is a mapping with name, plugins, sources, "
                               "pipeline and sink"])
    loader = None
    try:
        loader = _Loader(text)          # its reader already refuses unprintable characters
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        raise SpecError(path, [_yaml_problem(error, text)]) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[tuple, int] = {}
    if node is not None:
        _marks(node, (), lines)
    checker = _Checker(path, lines)
    spec = checker.job(data, text)
    if checker.problems:
        raise SpecError(path, checker.problems)
    assert spec is not None
    return spec


def _yaml_problem(error: yaml.YAMLError, text: str) -> str:
    """A YAML error as one line: where (line, column) and what."""
    if isinstance(error, yaml.reader.ReaderError):
        before = text[:error.position]
        line, column = before.count("\n") + 1, error.position - before.rfind("\n")
        character = error.character if isinstance(error.character, str) else chr(error.character)
        return (f"line {line}, column {column}: not valid YAML (the character U+{ord(character):04X} "
                "is not allowed in YAML text)")
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    what = str(getattr(error, "problem", None) or error).replace("\n", " ")
    if "'\\t'" in what:
        what += ": YAML indents with spaces, not tabs"
    return f"{where}{what}" if isinstance(error, _TooBig) else f"{where}not valid YAML ({what})"


# ---------------------------------------------------------------------- validation
_STEP_KINDS: Final = {
    "udtf": {"udtf", "class"},
    "dimjoin": {"dimjoin", "table", "on", "fields"},
    "rename": {"rename", "fields"},
    "udaf": {"udaf", "source", "key", "fields", "output"},
    "filter": {"filter", "class"},
}


class _Checker:
    def __init__(self, path: Path, lines: dict[tuple, int]) -> None:
        self.path = path
        self.lines = lines
        self.problems: list[str] = []

    # --- reporting -------------------------------------------------------------------------
    def fail(self, where: tuple, message: str) -> None:
        line = self.lines.get(where) or self.lines.get(where[:-1]) if where else self.lines.get(())
        dotted = _dotted(where) or "(top level)"
        self.problems.append(f"{dotted}{f' (line {line})' if line else ''}: {message}")

    # --- shapes ----------------------------------------------------------------------------
    def mapping(self, value: Any, where: tuple, required: set[str], allowed: set[str]) -> dict | None:
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping with keys {', '.join(sorted(required))}, "
                             f"got {_kind(value)}")
            return None
        for key in value:
            if key not in allowed:
                self.fail(where + (key, "<key>") if isinstance(key, str) else where,
                          f"unknown key {key!r}; expected one of {', '.join(sorted(allowed))}")
        for key in sorted(required - set(value)):
            self.fail(where, f"missing key {key!r}")
        return value

    def name(self, value: Any, where: tuple, what: str = "a name") -> str | None:
        if not isinstance(value, str) or not _IDENTIFIER.match(value):
            self.fail(where, f"expected {what} (letters, digits, _), got {value!r}")
            return None
        return value

    def names(self, value: Any, where: tuple, *, non_empty: bool = True) -> tuple[str, ...]:
        if not isinstance(value, list) or (non_empty and not value):
            self.fail(where, f"expected a {'non-empty ' if non_empty else ''}list of field names, "
                             f"got {_kind(value)}")
            return ()
        found: list[str] = []
        for i, item in enumerate(value):
            name = self.name(item, where + (i,), "a field name")
            if name is not None:
                if name in found:
                    self.fail(where + (i,), f"field {name!r} is listed twice")
                else:
                    found.append(name)
        return tuple(found)

    def table(self, name: str, value: Any, where: tuple, *, typed: bool = True) -> TableSpec | None:
        allowed = {"primary_key", "fields", "types"} if typed else {"primary_key", "fields"}
        data = self.mapping(value, where, {"primary_key", "fields"}, allowed)
        if data is None:
            return None
        fields = self.names(data.get("fields"), where + ("fields",)) if "fields" in data else ()
        key = self.names(data.get("primary_key"), where + ("primary_key",)) if "primary_key" in data else ()
        for i, k in enumerate(key):
            if fields and k not in fields:
                self.fail(where + ("primary_key", i), f"primary key field {k!r} is not in fields")
        types = self.types(data["types"], where + ("types",), fields, key) if typed and "types" in data else ()
        return TableSpec(name, key, fields, types)

    def types(self, value: Any, where: tuple, fields: tuple[str, ...],
              key: tuple[str, ...]) -> tuple[tuple[str, ColumnType], ...]:
        if value is None or value == {}:
            return ()
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping of field -> type, e.g. {{id: bigint, title: string}}, "
                             f"got {_kind(value)}")
            return ()
        found = []
        for name, text in value.items():
            field_name = self.name(name, where + (name, "<key>"), "a field name")
            if field_name is None:
                continue
            if fields and field_name not in fields:
                self.fail(where + (name, "<key>"), f"{field_name!r} is not in fields; types are for the "
                                                   "table's fields")
                continue
            try:
                column = parse_type(text)
            except ValueError as error:
                self.fail(where + (name,), str(error))
                continue
            if field_name in key and column.kind not in _KEY_KINDS:
                self.fail(where + (name,), f"primary key field {field_name!r} cannot be {column.spelled}: a key "
                                           "is compared exactly, so its type is an integer type, string or bytes")
                continue
            found.append((field_name, column))
        return tuple(found)

    def tables(self, value: Any, where: tuple, *, required: bool) -> tuple[TableSpec, ...]:
        if value is None and not required:
            return ()
        if not isinstance(value, dict) or (required and not value):
            self.fail(where, f"expected a mapping of table name -> {{primary_key, fields, types}}, "
                             f"got {_kind(value)}")
            return ()
        found = []
        for name, table in value.items():
            if self.name(name, where + (name, "<key>"), "a table name") is None:
                continue
            spec = self.table(name, table, where + (name,))
            if spec is not None:
                found.append(spec)
        return tuple(found)

    def field_map(self, value: Any, where: tuple) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, dict) or not value:
            self.fail(where, f"expected a mapping of field -> field, e.g. {{b: b}}, got {_kind(value)}")
            return ()
        pairs = []
        for key, target in value.items():
            left = self.name(key, where + (key, "<key>"), "a field name")
            right = self.name(target, where + (key,), "a field name")
            if left and right:
                pairs.append((left, right))
        return tuple(pairs)

    def class_ref(self, value: Any, where: tuple) -> str | None:
        if not isinstance(value, str) or not _CLASS_REF.match(value):
            self.fail(where, f"expected module.Class (a class in a module under `plugins`), got {value!r}")
            return None
        return value

    # --- the job ---------------------------------------------------------------------------
    def job(self, data: Any, text: str) -> JobSpec | None:
        top = {"name", "plugins", "sources", "dimensions", "pipeline", "sink"}
        job = self.mapping(data, (), {"name", "plugins", "sources", "pipeline", "sink"}, top)
        if job is None:
            return None
        name = self.name(job.get("name"), ("name",), "a job name") if "name" in job else None
        plugins = self.plugins(job.get("plugins"), ("plugins",)) if "plugins" in job else ()
        sources = self.tables(job.get("sources"), ("sources",), required=True) if "sources" in job else ()
        dimensions = self.tables(job.get("dimensions"), ("dimensions",), required=False)
        sink = None
        if "sink" in job:
            sink_data = self.mapping(job["sink"], ("sink",), {"name", "primary_key", "fields"},
                                     {"name", "primary_key", "fields", "types"})
            if sink_data is not None and "name" in sink_data:
                sink_name = self.name(sink_data["name"], ("sink", "name"), "a sink name")
                table = self.table(sink_name or "sink",      # its unknown keys are reported above
                                   {k: v for k, v in sink_data.items() if k in ("primary_key", "fields", "types")},
                                   ("sink",))
                sink = table
        pipeline = self.pipeline(job.get("pipeline"), ("pipeline",)) if "pipeline" in job else ()
        if name is None or sink is None:
            return None
        # Cross-checks run on whatever validated, so one report lists every problem.
        spec = JobSpec(name=name, path=self.path, plugins=plugins, sources=sources,
                       dimensions=dimensions, pipeline=pipeline, sink=sink, text=text)
        self.references(spec)
        return spec

    def plugins(self, value: Any, where: tuple) -> tuple[Path, ...]:
        if not isinstance(value, list) or not value:
            self.fail(where, f"expected a list of plugin folders relative to the spec, got {_kind(value)}")
            return ()
        folders = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                self.fail(where + (i,), f"expected a folder path, got {item!r}")
                continue
            folder = (self.path.parent / item)
            if not folder.exists():
                self.fail(where + (i,), f"plugin folder {item!r} does not exist (looked for {folder})")
                continue
            folders.append(folder)
        return tuple(folders)

    def pipeline(self, value: Any, where: tuple) -> tuple[Step, ...]:
        if not isinstance(value, list) or not value:
            self.fail(where, f"expected a non-empty list of steps (udtf, dimjoin, rename, udaf, filter), "
                             f"got {_kind(value)}")
            return ()
        steps: list[Step] = []
        names: set[str] = set()
        for i, item in enumerate(value):
            here = where + (i,)
            if not isinstance(item, dict):
                self.fail(here, f"expected a step mapping such as {{udtf: NAME, class: module.Class}}, "
                                f"got {_kind(item)}")
                continue
            kinds = [k for k in _STEP_KINDS if k in item]
            if len(kinds) != 1:
                self.fail(here, "a step needs exactly one of the keys "
                                f"{', '.join(_STEP_KINDS)} (its kind and name), got "
                                f"{', '.join(map(str, item)) or 'none'}")
                continue
            kind = kinds[0]
            allowed = _STEP_KINDS[kind]
            data = self.mapping(item, here, allowed, allowed)
            if data is None:
                continue
            name = self.name(data.get(kind), here + (kind,), f"a {kind} name")
            if name is None:
                continue
            if name in names:
                self.fail(here + (kind,), f"step name {name!r} is used twice")
            names.add(name)
            step = self.step(kind, name, data, here, i)
            if step is not None:
                steps.append(step)
        return tuple(steps)

    def step(self, kind: str, name: str, data: dict, here: tuple, i: int) -> Step | None:
        if any(key not in data for key in _STEP_KINDS[kind]):
            return None
        if kind == "udtf":
            ref = self.class_ref(data["class"], here + ("class",))
            return UdtfStep(name, ref, i) if ref else None
        if kind == "filter":
            ref = self.class_ref(data["class"], here + ("class",))
            return FilterStep(name, ref, i) if ref else None
        if kind == "dimjoin":
            table = self.name(data["table"], here + ("table",), "a dimension table name")
            on = self.field_map(data["on"], here + ("on",))
            fields = self.names(data["fields"], here + ("fields",))
            return DimJoinStep(name, table, on, fields, i) if table and on and fields else None
        if kind == "rename":
            pairs = self.field_map(data["fields"], here + ("fields",))
            return RenameStep(name, pairs, i) if pairs else None
        source = self.name(data["source"], here + ("source",), "a source name")
        key = self.name(data["key"], here + ("key",), "a field name")
        fields = self.names(data["fields"], here + ("fields",))
        output = self.name(data["output"], here + ("output",), "a field name")
        if source and key and fields and output:
            return UdafStep(name, source, key, fields, output, i)
        return None

    def references(self, spec: JobSpec) -> None:
        """Cross-checks: tables that exist, keys that match, fields that are there."""
        tables = {t.name: t for t in spec.sources}
        dims = {t.name: t for t in spec.dimensions}
        for clash in sorted(set(tables) & set(dims)):
            self.fail(("dimensions", clash, "<key>"), f"{clash!r} is both a source and a dimension")
        row_sources = spec.row_sources
        if spec.sources and not row_sources:
            self.fail(("sources",), "no source feeds the wide row (every source is aggregated by a udaf)")
        owners: dict[str, str] = {}
        for table in row_sources:
            key_is_valid = all(k in table.fields for k in table.primary_key)
            if key_is_valid and table.primary_key != spec.sink.primary_key:
                self.fail(("sources", table.name, "primary_key"),
                          f"a source that feeds the wide row must have the sink's primary key "
                          f"{list(spec.sink.primary_key)}, got {list(table.primary_key)}")
            for f in table.fields:
                if f in owners and f not in table.primary_key:
                    self.fail(("sources", table.name, "fields"),
                              f"field {f!r} comes from both {owners[f]!r} and {table.name!r}; "
                              "rename it in one of them")
                owners.setdefault(f, table.name)
        row_types = self.row_key_types(spec)
        for f in spec.sink.primary_key:
            sink_type, source_type = spec.sink.type_of(f), row_types.get(f)
            if sink_type is not None and source_type is not None and sink_type.kind != source_type.kind:
                self.fail(("sink", "types", f), f"the sink's key field {f!r} is typed {sink_type.spelled}, "
                                                f"the row sources give {source_type.spelled}: type them alike")
        for step in spec.pipeline:
            here = ("pipeline", step.index)
            if isinstance(step, DimJoinStep) and step.table in dims:
                for row_field, dim_field in step.on:
                    holders = [t for t in row_sources if row_field in t.fields]
                    if holders and dim_field in dims[step.table].fields:
                        self.same_type(here + ("on", row_field), f"{holders[0].name}.{row_field}",
                                       holders[0].type_of(row_field), f"{step.table}.{dim_field}",
                                       dims[step.table].type_of(dim_field))
            if isinstance(step, UdafStep) and step.source in tables and len(spec.sink.primary_key) == 1:
                source = tables[step.source]
                if step.key in source.fields and spec.sink.primary_key[0] in row_types:
                    self.same_type(here + ("key",), f"{source.name}.{step.key}", source.type_of(step.key),
                                   f"the row key {spec.sink.primary_key[0]}", row_types[spec.sink.primary_key[0]])
            if isinstance(step, DimJoinStep):
                dim = dims.get(step.table)
                if dim is None:
                    self.fail(here + ("table",), f"unknown dimension table {step.table!r}; "
                                                 f"expected one of {sorted(dims) or 'none (add dimensions:)'}")
                    continue
                for row_field, dim_field in step.on:
                    if dim_field not in dim.fields:
                        self.fail(here + ("on", row_field),
                                  f"{dim_field!r} is not a field of dimension {dim.name!r}")
                if tuple(d for _, d in step.on) != dim.primary_key:
                    self.fail(here + ("on",), f"a DimJoin looks rows up by the dimension's primary key "
                                              f"{list(dim.primary_key)}; `on` maps to {[d for _, d in step.on]}")
                for i, f in enumerate(step.fields):
                    if f not in dim.fields:
                        self.fail(here + ("fields", i), f"{f!r} is not a field of dimension {dim.name!r}")
            if isinstance(step, UdafStep):
                source = tables.get(step.source)
                if source is None:
                    self.fail(here + ("source",), f"unknown source {step.source!r}; "
                                                  f"expected one of {sorted(tables)}")
                    continue
                if step.key not in source.fields:
                    self.fail(here + ("key",), f"{step.key!r} is not a field of source {source.name!r}")
                for i, f in enumerate(step.fields):
                    if f not in source.fields:
                        self.fail(here + ("fields", i), f"{f!r} is not a field of source {source.name!r}")
                if len(spec.sink.primary_key) != 1:
                    self.fail(here, "a udaf needs a single-field row key (the sink's primary key)")


    def row_key_types(self, spec: JobSpec) -> dict[str, ColumnType | None]:
        """The type of each row-key field; a problem if the row sources type it differently."""
        found: dict[str, ColumnType | None] = {}
        first: dict[str, str] = {}
        for table in spec.row_sources:
            for f in spec.sink.primary_key:
                if f not in table.fields:
                    continue
                if f not in found:
                    found[f], first[f] = table.type_of(f), table.name
                else:
                    self.same_type(("sources", table.name, "types") if table.types else ("sources", table.name),
                                   f"{table.name}.{f}", table.type_of(f), f"{first[f]}.{f}", found[f])
        return found

    def same_type(self, where: tuple, left: str, left_type: ColumnType | None,
                  right: str, right_type: ColumnType | None) -> None:
        """Two fields whose values are matched as keys must be typed alike (or both untyped)."""
        if left_type is None and right_type is None:
            return
        if left_type is not None and right_type is not None and left_type.kind == right_type.kind:
            return
        self.fail(where, f"{left} ({_spelled(left_type)}) and {right} ({_spelled(right_type)}) are matched as "
                         "keys: type both alike, or neither (\"18\" and 18 would be two keys)")


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        if part == "<key>":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _spelled(column: ColumnType | None) -> str:
    return column.spelled if column is not None else "untyped"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    shown = repr(value)          # a whole file that is one string must not fill the screen
    return f"{type(value).__name__} {shown if len(shown) <= 60 else shown[:57] + '...'}"
