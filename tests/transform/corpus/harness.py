"""Ground truth by execution for the adversarial corpus of Processors.

Each ``Case`` is plugin source code (one or more modules) plus labels: the fields its
Processor truly reads and writes, and whether it may be pruned. The labels are *checked by
running the code*, so a wrong label fails as loudly as a wrong analysis:

- every module is imported (the analyzer never does this; the test does), then every
  Processor of the case is instantiated, all before any message, as the engine does;
- every row of the case goes through every Processor, twice (two passes over the same
  inputs), each call with a recording ``row`` (a read-only mapping that notes each key
  looked up, and "every field" when it is iterated, sized, compared or copied) and a fresh
  ``out``;
- around each call the "world" is snapshotted: the plugin modules' globals, their classes,
  functions (defaults, attributes, closures) and instances, followed into plain data. A
  call that changes the world, changes a row value in place, prints or logs, or gives a
  different result on the second pass than on the first is *stateful*: it must not be
  pruned;
- what execution cannot show (I/O to the outside, the environment, a clock that did not
  tick) is given as ``effects`` labels.

The analyzer is then judged against the labels: *unsound* when it misses a read or a write,
claims a must-write that some run did not make, or calls a stateful Processor prunable;
*exact* when its sets and its verdict equal the labels; *imprecise* otherwise.
"""
from __future__ import annotations

import contextlib
import copy
import importlib
import io
import os
import random
import re
import sys
import tempfile
import textwrap
import time
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ALL = "<ALL>"

# A generic set of rows: every Processor of the corpus gets these unless its case gives its own.
DEFAULT_ROWS: tuple[dict[str, Any], ...] = (
    {"a": 1, "b": 2, "c": 3, "d": "x", "e": None, "price": 10.0, "qty": 3, "title": "Red Shoe",
     "tags": ["x", "y"], "kind": "A", "n": 2, "flag": True},
    {"a": 0, "b": -1, "c": 7, "d": "", "e": "z", "price": 250.0, "qty": 0, "title": "  blue hat ",
     "tags": [], "kind": "B", "n": 0, "flag": False},
    {"a": 5, "b": 5, "c": 0, "d": "yy", "e": 3, "price": 0.0, "qty": 12, "title": "CAFÉ",
     "tags": ["q"], "kind": "C", "n": 7, "flag": True},
    {"a": -3, "b": 9, "c": 1, "d": "x", "e": "", "price": 99.5, "qty": 1, "title": "",
     "tags": ["a", "b", "c"], "kind": "A", "n": 1, "flag": False},
)

EFFECT_LABELS = frozenset({"io", "env", "clock", "random"})


@dataclass(frozen=True)
class Case:
    """One Processor of the corpus, with its true behaviour (checked by execution).

    ``reads``/``writes``: the true field sets, or ALL (depends on data: a dynamic key, or the
    whole row). ``must``: fields written on every normal run (None: not labelled). ``prunable``:
    false when results depend on more than the row or an effect outlives the call.
    ``effects``: labels for what execution cannot show. ``external``: modules that run but are
    not given to the analyzer (code it cannot see, like a third-party library). ``precise``:
    the analyzer is required to be exact here (plain code that must not lose pruning).
    """

    id: str
    category: str
    modules: dict[str, str]
    processor: str                   # "module.Class"
    reads: frozenset[str] | str
    writes: frozenset[str] | str
    prunable: bool = True
    must: frozenset[str] | None = None
    effects: frozenset[str] = frozenset()
    rows: tuple[dict[str, Any], ...] = DEFAULT_ROWS
    external: dict[str, str] = field(default_factory=dict)
    precise: bool = False
    note: str = ""


def case(id: str, category: str, source: str | dict[str, str], *, reads=(), writes=(),
         prunable: bool = True, must=None, effects=(), rows=None, external=None,
         processor: str = "P", precise: bool = False, note: str = "") -> Case:
    """Build a Case; `source` is one module's text (module `plug`) or {module: text}."""
    modules = ({"plug": textwrap.dedent(source).lstrip("\n")} if isinstance(source, str)
               else {name: textwrap.dedent(text).lstrip("\n") for name, text in source.items()})
    if "." not in processor:
        processor = f"{next(iter(modules))}.{processor}"

    def fields(value):
        return ALL if value == ALL else frozenset(value)

    unknown = set(effects) - EFFECT_LABELS
    if unknown:
        raise ValueError(f"{id}: unknown effect labels {sorted(unknown)}")
    return Case(id=id, category=category, modules=modules, processor=processor,
                reads=fields(reads), writes=fields(writes), prunable=prunable,
                must=None if must is None else frozenset(must), effects=frozenset(effects),
                rows=tuple(rows) if rows is not None else DEFAULT_ROWS,
                external={n: textwrap.dedent(t).lstrip("\n") for n, t in (external or {}).items()},
                precise=precise, note=note)


# ---------------------------------------------------------------------------- recording row/out
class RecordingRow(Mapping):
    """A read-only row that notes each key looked up; ALL when the whole row is touched."""

    def __init__(self, data: dict[str, Any], reads: set) -> None:
        self._data = data
        self._reads = reads

    def __getitem__(self, key):
        self._reads.add(key)
        return self._data[key]

    def get(self, key, default=None):
        self._reads.add(key)
        return self._data.get(key, default)

    def __contains__(self, key):
        self._reads.add(key)
        return key in self._data

    def _whole(self):
        self._reads.add(ALL)
        return self._data

    def __iter__(self):
        return iter(self._whole())

    def __len__(self):
        return len(self._whole())

    def keys(self):
        return self._whole().keys()

    def items(self):
        return self._whole().items()

    def values(self):
        return self._whole().values()

    def __eq__(self, other):
        return self._whole() == other

    def __ne__(self, other):
        return self._whole() != other

    def __repr__(self):
        return repr(self._whole())

    def __str__(self):
        return str(self._whole())

    def __format__(self, spec):
        return format(self._whole(), spec)

    def __or__(self, other):
        return dict(self._whole()) | other

    def __ror__(self, other):
        return other | dict(self._whole())

    def __reduce__(self):
        return (dict, (dict(self._whole()),))

    def __bool__(self):
        return bool(self._whole())

    def copy(self):
        return dict(self._whole())

    def __reversed__(self):
        return reversed(self._whole())

    __hash__ = None


# ---------------------------------------------------------------------------- observing the world
_SAFE_STATEFUL = (random.Random,)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _freeze(value: Any, plugin: frozenset[str], seen: dict[int, tuple[int, Any]], depth: int = 0,
            reprs: bool = False) -> Any:
    """A comparable picture of `value` and what it holds, into plugin-defined objects.

    `reprs`: show other objects by their repr (without addresses), for results, where a
    datetime's value matters; the world's pictures keep only their type.
    """
    if depth > 40:
        return "<deep>"
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return (type(value).__name__, repr(value))
    key = id(value)
    if key in seen:
        return ("<ref>", seen[key][0])
    seen[key] = (len(seen), value)     # holding `value` keeps its id from being reused
    down = depth + 1

    def inner(v):
        return _freeze(v, plugin, seen, down, reprs)

    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(inner(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, tuple(sorted(repr(inner(v)) for v in value)))
    if isinstance(value, dict):
        return (type(value).__name__, tuple((repr(inner(k)), inner(v))
                                            for k, v in value.items()))
    if isinstance(value, bytearray):
        return ("bytearray", bytes(value))
    if isinstance(value, _SAFE_STATEFUL):
        return ("Random", repr(value.getstate()))
    module = getattr(type(value), "__module__", "")
    if module == "itertools" or type(value).__name__ in ("deque", "array"):
        try:
            return ("reduce", repr(value.__reduce__()))
        except Exception:
            return ("opaque", type(value).__name__)
    if isinstance(value, types.GeneratorType):
        frame = value.gi_frame
        return ("gen", None if frame is None else (frame.f_lasti, inner(dict(frame.f_locals))))
    if isinstance(value, types.FunctionType):
        if value.__module__ not in plugin:
            return ("function", value.__qualname__)
        cells = tuple(inner(_cell(c)) for c in (value.__closure__ or ()))
        return ("function", value.__qualname__, inner(value.__defaults__),
                inner(value.__kwdefaults__), inner(dict(value.__dict__)),
                cells)
    if isinstance(value, (staticmethod, classmethod)):
        return (type(value).__name__, inner(value.__func__))
    if isinstance(value, property):
        return ("property", inner(value.fget))
    if isinstance(value, type):
        if value.__module__ not in plugin:
            return ("class", value.__qualname__)
        return ("class", value.__qualname__, tuple((k, inner(v))
                                                   for k, v in vars(value).items()
                                                   if k not in ("__dict__", "__weakref__", "__doc__")))
    if isinstance(value, types.ModuleType):
        return ("module", value.__name__)
    if module in plugin:
        state = getattr(value, "__dict__", None)
        slots = tuple(inner(getattr(value, s, None))
                      for c in type(value).__mro__ for s in getattr(c, "__slots__", ()) if isinstance(s, str))
        return ("object", type(value).__qualname__, inner(state), slots)
    if isinstance(value, Mapping):
        try:
            return ("mapping", tuple((repr(k), inner(v)) for k, v in value.items()))
        except Exception:
            return ("opaque", type(value).__name__)
    if reprs:
        try:
            return ("repr", _ADDRESS.sub("", repr(value))[:300])
        except Exception:
            pass
    return ("opaque", type(value).__qualname__)


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return "<empty cell>"


def _world(modules: dict[str, types.ModuleType], instances: dict[str, Any], plugin: frozenset[str]) -> Any:
    seen: dict[int, tuple[int, Any]] = {}
    picture = []
    for name, module in modules.items():
        items = tuple((k, _freeze(v, plugin, seen)) for k, v in vars(module).items()
                      if not k.startswith("__"))
        picture.append((name, items))
    for name, instance in instances.items():
        picture.append((name, _freeze(instance, plugin, seen)))
    return tuple(picture)


# ---------------------------------------------------------------------------- running a case
@dataclass
class Observed:
    reads: set = field(default_factory=set)         # keys looked up (ALL: the whole row)
    writes: set = field(default_factory=set)        # keys present in `out` after some call
    must: set | None = None                          # keys in `out` after every normal return
    stateful: list[str] = field(default_factory=list)   # why the Processor is not a function of its row
    raised: int = 0
    returned: int = 0


@dataclass
class Execution:
    observed: dict[str, Observed]                   # "module.Class" -> what running it showed
    error: str | None = None                        # the case itself could not run


def _write_modules(folder: Path, modules: dict[str, str]) -> None:
    for name, text in modules.items():
        parts = name.split(".")
        path = folder.joinpath(*parts[:-1], parts[-1] + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        for package in path.relative_to(folder).parents:
            init = folder / package / "__init__.py"
            if package != Path(".") and not init.exists():
                init.write_text("", encoding="utf-8")
        path.write_text(text, encoding="utf-8")


def _picture(out: dict) -> Any:
    return _freeze(dict(out), frozenset(), {}, reprs=True)


def execute(case: Case, workdir: Path) -> Execution:
    """Import the case's modules, create every Processor, run every row twice; observe."""
    from plugin_sdk import Processor

    plugins = workdir / "plugins"
    external = workdir / "external"
    _write_modules(plugins, case.modules)
    _write_modules(external, case.external)
    names = list(case.modules) + list(case.external)
    saved_path = list(sys.path)
    saved_modules = dict(sys.modules)
    saved_cwd = os.getcwd()
    run_dir = workdir / "cwd"
    run_dir.mkdir()
    sink = io.StringIO()
    try:
        sys.path[:0] = [str(plugins), str(external)]
        for name in names:
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
        os.chdir(run_dir)
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            try:
                loaded = {name: importlib.import_module(name) for name in case.modules}
                for name in case.external:
                    importlib.import_module(name)
                classes = [(f"{name}.{k}", v) for name, m in loaded.items() for k, v in vars(m).items()
                           if isinstance(v, type) and issubclass(v, Processor) and v is not Processor
                           and v.__module__ == name]
                instances = {}
                for qual, cls in classes:
                    try:
                        instances[qual] = cls()
                    except Exception:
                        continue  # an abstract base or a helper class
            except Exception as error:
                return Execution({}, f"import failed: {type(error).__name__}: {error}")
            if case.processor not in instances:
                return Execution({}, f"{case.processor} is not a Processor the case defines "
                                     f"(found: {sorted(instances)})")
            plugin_names = frozenset(case.modules)
            observed = {qual: Observed() for qual in instances}
            results: dict[tuple[str, int], list[Any]] = {}
            for pass_no in (0, 1):
                for row_no, data in enumerate(case.rows):
                    for qual, instance in instances.items():
                        seen = observed[qual]
                        row_data = copy.deepcopy(data)   # a case that changes a row value must not change the next case's
                        row_before = _freeze(row_data, plugin_names, {})
                        world_before = _world(loaded, instances, plugin_names)
                        printed_before = sink.tell()
                        files_before = sorted(os.listdir(run_dir))
                        reads: set = set()
                        out: dict = {}
                        try:
                            instance.process(RecordingRow(row_data, reads), out)
                            result: Any = ("ok", _picture(out))
                            seen.returned += 1
                            keys = set(out)
                            seen.writes |= keys
                            seen.must = keys if seen.must is None else seen.must & keys
                        except Exception as error:
                            result = ("raised", type(error).__name__)
                            seen.raised += 1
                            seen.writes |= set(out)
                        seen.reads |= reads
                        if _freeze(row_data, plugin_names, {}) != row_before:
                            seen.stateful.append(f"changed a row value in place (row {row_no})")
                        if _world(loaded, instances, plugin_names) != world_before:
                            seen.stateful.append(f"changed state that outlives the call (row {row_no}, "
                                                 f"pass {pass_no + 1})")
                        if sink.tell() != printed_before:
                            seen.stateful.append("printed or logged")
                        if sorted(os.listdir(run_dir)) != files_before:
                            seen.stateful.append("created or removed files")
                        results.setdefault((qual, row_no), []).append(result)
            for (qual, row_no), (first, second) in results.items():
                if first != second:
                    observed[qual].stateful.append(f"row {row_no} gave a different result on the second pass")
            return Execution(observed)
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        for name in list(sys.modules):
            if name not in saved_modules:
                del sys.modules[name]
        sys.modules.update(saved_modules)


# ---------------------------------------------------------------------------- judging the analyzer
@dataclass
class Verdict:
    case: Case
    kind: str                        # "exact" | "imprecise" | "unsound" | "bad-case"
    reasons: list[str]
    facts: Any = None
    seconds: float = 0.0

    def describe(self) -> str:
        facts = self.facts
        static = ("(no facts)" if facts is None else
                  f"reads={'ALL' if facts.reads_all else ''}{sorted(facts.reads)} "
                  f"writes={'ALL' if facts.writes_all else ''}{sorted(facts.writes)} "
                  f"must={sorted(facts.must_writes)} prunable={facts.prunable} "
                  f"codes={sorted({d.code for d in facts.diagnostics})}")
        label = (f"reads={_show(self.case.reads)} writes={_show(self.case.writes)} "
                 f"must={None if self.case.must is None else sorted(self.case.must)} prunable={self.case.prunable}")
        sources = "\n".join(f"--- {name}.py\n{text}" for name, text in self.case.modules.items())
        return (f"[{self.kind}] {self.case.id}: {'; '.join(self.reasons)}\n  truth:  {label}\n"
                f"  static: {static}\n{sources}")


def _show(value) -> str:
    return "ALL" if value == ALL else str(sorted(value))


def check_labels(case: Case, seen: Observed) -> list[str]:
    """Where the case's labels disagree with its own execution (a bad case, not a bad analyzer)."""
    problems = []
    if seen.returned == 0:
        problems.append("the Processor never returned normally on the case's rows")
    if case.reads != ALL:
        if ALL in seen.reads:
            problems.append("execution touched the whole row, but reads is not ALL")
        elif seen.reads != case.reads:
            problems.append(f"execution read {sorted(seen.reads)}, the label says {sorted(case.reads)}")
    if case.writes != ALL and seen.writes != case.writes:
        problems.append(f"execution wrote {sorted(seen.writes)}, the label says {sorted(case.writes)}")
    if case.must is not None and (seen.must or set()) != case.must:
        problems.append(f"execution always wrote {sorted(seen.must or ())}, the label says {sorted(case.must)}")
    if case.prunable and seen.stateful:
        problems.append(f"labelled prunable, but execution shows: {seen.stateful[0]}")
    if not case.prunable and not seen.stateful and not case.effects:
        problems.append("labelled not prunable, but execution shows no state and no effect label explains it")
    return problems


def judge(case: Case, facts: Any, seen: Observed) -> tuple[str, list[str]]:
    """(kind, reasons) for the analyzer's facts against the labels and the observation."""
    unsound: list[str] = []
    imprecise: list[str] = []
    if case.reads == ALL or ALL in seen.reads:
        if not facts.reads_all:
            unsound.append("reads depend on data or the whole row, but reads_all is false")
    else:
        missed = (case.reads | seen.reads) - facts.reads
        if missed and not facts.reads_all:
            unsound.append(f"missed reads {sorted(missed)}")
        if facts.reads_all or facts.reads != case.reads:
            imprecise.append("reads not exact")
    if case.writes == ALL:
        if not facts.writes_all:
            unsound.append("writes depend on data, but writes_all is false")
    else:
        missed = (case.writes | seen.writes) - facts.writes
        if missed and not facts.writes_all:
            unsound.append(f"missed writes {sorted(missed)}")
        if facts.writes_all or facts.writes != case.writes:
            imprecise.append("writes not exact")
    wrong_must = set(facts.must_writes) - (seen.must or set())
    if wrong_must:
        unsound.append(f"must_writes {sorted(wrong_must)} not written on every run")
    if case.must is not None and set(facts.must_writes) != case.must and not wrong_must:
        imprecise.append("must_writes not exact")
    if facts.prunable and not case.prunable:
        unsound.append("called prunable, but it is stateful or effectful")
    if not facts.isolated and any(s.startswith("changed a row value in place") for s in seen.stateful):
        unsound.append("changed a row value in place, but not isolated (it would run on the shared row)")
    if not facts.prunable and case.prunable:
        imprecise.append("called unprunable")
    if unsound:
        return "unsound", unsound
    if imprecise:
        return "imprecise", imprecise
    return "exact", []


def evaluate(case: Case) -> Verdict:
    """Run the case and the analyzer on it; the verdict."""
    from pruner.transform import transform

    with tempfile.TemporaryDirectory(prefix="corpus_") as tmp:
        workdir = Path(tmp)
        execution = execute(case, workdir)
        if execution.error is not None:
            return Verdict(case, "bad-case", [execution.error])
        seen = execution.observed[case.processor]
        problems = check_labels(case, seen)
        if problems:
            return Verdict(case, "bad-case", problems)
        start = time.perf_counter()
        analysis = transform([workdir / "plugins"])
        seconds = time.perf_counter() - start
        try:
            facts = next(p for p in analysis.processors if p.name == case.processor)
        except StopIteration:
            return Verdict(case, "unsound", [f"the analyzer did not report {case.processor} as a Processor"],
                           seconds=seconds)
        kind, reasons = judge(case, facts, seen)
        return Verdict(case, kind, reasons, facts, seconds)
