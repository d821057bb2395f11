"""Adversarial cases: plugin code a user could plausibly write, aimed at the analyzer's soundness.

Each case is judged by execution (see harness.py). Ids are prefixed "a-". Groups:

- shared helper objects (module-level, on self, in a class attribute, a default argument)
  whose own methods change them;
- implicit calls of dunder methods on plugin objects (__bool__, __str__, __len__, __iter__,
  __getitem__, __setitem__, __eq__, __hash__, __lt__, __enter__/__exit__, __del__, property
  setters, descriptors, __getattr__);
- aliases changed in place by augmented assignment;
- iterators kept between messages and consumed by builtins, pure functions or `iter()`;
- callbacks (print, logging, unbound methods, setattr, clocks) handed to map/defaultdict/...;
- seeded/unseeded random.Random objects; local-time conversions (environment);
- constants changed in ways the collector does not see (bound methods taken as values,
  instance attributes shadowing class attributes, helpers taking the class as an argument,
  object.__setattr__, globals(), star imports, vars() of another module);
- a `process` that is not the one that runs (replaced in __init__, patched by a helper,
  __class__ swapped, __new__);
- functions stored as class attributes (bound as methods at run time);
- regression cases that the analyzer gets right.
"""
from tests.transform.corpus.harness import ALL, case

A = "adversary"

CASES = [
    # ------------------------------------------------------------------ shared helper objects
    case("a-module-obj-method-mutates", A, """
        from plugin_sdk import Processor
        class Counter:
            def __init__(self):
                self.n = 0
            def bump(self):
                self.n += 1
                return self.n
        COUNTER = Counter()
        class P(Processor):
            def process(self, row, out):
                out["x"] = row["a"] + COUNTER.bump()
        """, reads={"a"}, writes={"x"}, must={"x"}, prunable=False,
        note="a module-level helper instance changes itself in its own method"),
    case("a-self-obj-method-appends", A, """
        from plugin_sdk import Processor
        class Seen:
            def __init__(self):
                self.items = []
            def add(self, v):
                self.items.append(v)
                return len(self.items)
        class P(Processor):
            def __init__(self):
                self.seen = Seen()
            def process(self, row, out):
                out["count"] = self.seen.add(row["a"])
        """, reads={"a"}, writes={"count"}, must={"count"}, prunable=False),
    case("a-class-attr-obj-records", A, """
        from plugin_sdk import Processor
        class Stats:
            def __init__(self):
                self.by_kind = {}
            def record(self, kind):
                self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        class P(Processor):
            stats = Stats()
            def process(self, row, out):
                self.stats.record(row["kind"])
                out["price"] = row["price"]
        """, reads={"kind", "price"}, writes={"price"}, must={"price"}, prunable=False),
    case("a-default-arg-obj", A, """
        from plugin_sdk import Processor
        class Acc:
            def __init__(self):
                self.total = 0
            def add(self, v):
                self.total = self.total + v
                return self.total
        def running(v, acc=Acc()):
            return acc.add(v)
        class P(Processor):
            def process(self, row, out):
                out["run"] = running(row["a"])
        """, reads={"a"}, writes={"run"}, must={"run"}, prunable=False),
    case("a-obj-in-module-list", A, """
        from plugin_sdk import Processor
        class Memo:
            def __init__(self):
                self.cache = {}
            def title(self, s):
                if s not in self.cache:
                    self.cache[s] = s.strip().title()
                return self.cache[s]
        POOL = [Memo()]
        class P(Processor):
            def process(self, row, out):
                out["t"] = POOL[0].title(row["title"])
        """, reads={"title"}, writes={"t"}, must={"t"}, prunable=False,
        note="a memo cache: same results, but state outlives the call"),
    case("a-per-call-obj-is-local", A, """
        from plugin_sdk import Processor
        class Acc:
            def __init__(self):
                self.items = []
            def add(self, v):
                self.items.append(v)
                return self
        class P(Processor):
            def process(self, row, out):
                acc = Acc().add(row["a"]).add(row["b"])
                out["n"] = len(acc.items)
        """, reads={"a", "b"}, writes={"n"}, must={"n"}, prunable=True,
        note="regression: an object made in the call may change itself"),

    # ------------------------------------------------------------------ implicit dunder calls
    case("a-dunder-bool-logs", A, """
        from plugin_sdk import Processor
        CHECKS = []
        class Positive:
            def __init__(self, v):
                self.v = v
            def __bool__(self):
                CHECKS.append(self.v)
                return self.v > 0
        class P(Processor):
            def process(self, row, out):
                if Positive(row["a"]):
                    out["pos"] = True
        """, reads={"a"}, writes={"pos"}, prunable=False),
    case("a-dunder-str-memo", A, """
        from plugin_sdk import Processor
        class Money:
            _cache = {}
            def __init__(self, v):
                self.v = v
            def __str__(self):
                if self.v not in Money._cache:
                    Money._cache[self.v] = "$%.2f" % self.v
                return Money._cache[self.v]
        class P(Processor):
            def process(self, row, out):
                out["price_s"] = str(Money(row["price"]))
        """, reads={"price"}, writes={"price_s"}, must={"price_s"}, prunable=False),
    case("a-dunder-format-fstring", A, """
        from plugin_sdk import Processor
        SEEN = []
        class Tag:
            def __init__(self, v):
                self.v = v
            def __format__(self, spec):
                SEEN.append(self.v)
                return "<%s>" % self.v
        class P(Processor):
            def process(self, row, out):
                out["label"] = f"{Tag(row['d'])}"
        """, reads={"d"}, writes={"label"}, must={"label"}, prunable=False),
    case("a-dunder-len-counts", A, """
        from plugin_sdk import Processor
        class Bag:
            sizes = []
            def __init__(self, items):
                self.items = list(items)
            def __len__(self):
                Bag.sizes.append(len(self.items))
                return len(self.items)
        class P(Processor):
            def process(self, row, out):
                out["n"] = len(Bag(row["tags"]))
        """, reads={"tags"}, writes={"n"}, must={"n"}, prunable=False),
    case("a-dunder-iter-logs", A, """
        from plugin_sdk import Processor
        LOG = []
        class Words:
            def __init__(self, text):
                self.text = text
            def __iter__(self):
                LOG.append(self.text)
                return iter(self.text.split())
        class P(Processor):
            def process(self, row, out):
                out["words"] = [w.lower() for w in Words(row["title"])]
        """, reads={"title"}, writes={"words"}, must={"words"}, prunable=False),
    case("a-dunder-getitem-memo", A, """
        from plugin_sdk import Processor
        _RATES = {}
        class Rates:
            def __getitem__(self, currency):
                if currency not in _RATES:
                    _RATES[currency] = len(currency) * 0.5
                return _RATES[currency]
        class P(Processor):
            def process(self, row, out):
                out["rate"] = Rates()[row["d"]]
        """, reads={"d"}, writes={"rate"}, must={"rate"}, prunable=False),
    case("a-dunder-setitem-global", A, """
        from plugin_sdk import Processor
        REGISTRY = {}
        class Registrar:
            def __setitem__(self, key, value):
                REGISTRY[key] = value
        class P(Processor):
            def process(self, row, out):
                r = Registrar()
                r[row["d"]] = row["a"]
                out["ok"] = 1
        """, reads={"d", "a"}, writes={"ok"}, must={"ok"}, prunable=False),
    case("a-dunder-contains-counts", A, """
        from plugin_sdk import Processor
        LOOKUPS = {"n": 0}
        class Allow:
            def __contains__(self, item):
                LOOKUPS["n"] += 1
                return item in ("A", "B")
        class P(Processor):
            def process(self, row, out):
                out["allowed"] = row["kind"] in Allow()
        """, reads={"kind"}, writes={"allowed"}, must={"allowed"}, prunable=False),
    case("a-dunder-eq-counts", A, """
        from plugin_sdk import Processor
        COMPARISONS = []
        class Code:
            def __init__(self, v):
                self.v = v
            def __eq__(self, other):
                COMPARISONS.append(other)
                return self.v == other
            __hash__ = None
        class P(Processor):
            def process(self, row, out):
                out["is_a"] = Code(row["kind"]) == "A"
        """, reads={"kind"}, writes={"is_a"}, must={"is_a"}, prunable=False),
    case("a-dunder-hash-in-set", A, """
        from plugin_sdk import Processor
        HASHED = []
        class Key:
            def __init__(self, v):
                self.v = v
            def __hash__(self):
                HASHED.append(self.v)
                return 7
            def __eq__(self, other):
                return isinstance(other, Key) and other.v == self.v
        class P(Processor):
            def process(self, row, out):
                out["distinct"] = len({Key(row["a"]), Key(row["b"])})
        """, reads={"a", "b"}, writes={"distinct"}, must={"distinct"}, prunable=False),
    case("a-dunder-lt-sorted", A, """
        from plugin_sdk import Processor
        class Version:
            compared = [0]
            def __init__(self, s):
                self.s = s
            def __lt__(self, other):
                Version.compared[0] += 1
                return len(self.s) < len(other.s)
        class P(Processor):
            def process(self, row, out):
                vs = sorted([Version(row["d"]), Version("zz")])
                out["low"] = vs[0].s
        """, reads={"d"}, writes={"low"}, must={"low"}, prunable=False),
    case("a-dunder-add-accumulates", A, """
        from plugin_sdk import Processor
        TOTALS = []
        class Amount:
            def __init__(self, v):
                self.v = v
            def __add__(self, other):
                TOTALS.append(self.v)
                return Amount(self.v + other.v)
        class P(Processor):
            def process(self, row, out):
                out["sum"] = (Amount(row["a"]) + Amount(row["b"])).v
        """, reads={"a", "b"}, writes={"sum"}, must={"sum"}, prunable=False),
    case("a-context-manager-stats", A, """
        import time
        from plugin_sdk import Processor
        TIMINGS = {}
        class timed:
            def __init__(self, name):
                self.name = name
            def __enter__(self):
                self.t0 = time.perf_counter()
                return self
            def __exit__(self, *exc):
                TIMINGS[self.name] = TIMINGS.get(self.name, 0) + (time.perf_counter() - self.t0)
                return False
        class P(Processor):
            def process(self, row, out):
                with timed("norm"):
                    out["t"] = row["title"].strip()
        """, reads={"title"}, writes={"t"}, prunable=False, effects={"clock"}),
    case("a-dunder-del-finalizer", A, """
        from plugin_sdk import Processor
        CLOSED = []
        class Handle:
            def __init__(self, name):
                self.name = name
            def __del__(self):
                CLOSED.append(self.name)
        class P(Processor):
            def process(self, row, out):
                h = Handle(row["d"])
                out["h"] = h.name
        """, reads={"d"}, writes={"h"}, must={"h"}, prunable=False),
    case("a-property-setter-logs", A, """
        from plugin_sdk import Processor
        AUDIT = []
        class Item:
            def __init__(self):
                self._price = 0
            @property
            def price(self):
                return self._price
            @price.setter
            def price(self, v):
                AUDIT.append(v)
                self._price = v
        class P(Processor):
            def process(self, row, out):
                it = Item()
                it.price = row["price"]
                out["p"] = it.price
        """, reads={"price"}, writes={"p"}, must={"p"}, prunable=False),
    case("a-descriptor-get-counts", A, """
        from plugin_sdk import Processor
        class Counted:
            def __init__(self):
                self.reads = 0
            def __get__(self, obj, owner):
                self.reads += 1
                return "a"
        class P(Processor):
            field = Counted()
            def process(self, row, out):
                out["v"] = row[self.field]
        """, reads={"a"}, writes={"v"}, must={"v"}, prunable=False),
    case("a-getattr-fallback-logs", A, """
        from plugin_sdk import Processor
        MISSES = []
        class Defaults:
            def __getattr__(self, name):
                MISSES.append(name)
                return 0
        class P(Processor):
            def process(self, row, out):
                out["disc"] = Defaults().discount + row["a"]
        """, reads={"a"}, writes={"disc"}, must={"disc"}, prunable=False),
    case("a-call-dunder-followed", A, """
        from plugin_sdk import Processor
        SEEN = []
        class Recorder:
            def __call__(self, v):
                SEEN.append(v)
                return v
        class P(Processor):
            def process(self, row, out):
                out["v"] = Recorder()(row["a"])
        """, reads={"a"}, writes={"v"}, must={"v"}, prunable=False,
        note="regression: __call__ is followed"),

    # ------------------------------------------------------------------ aliases changed by +=, |=, *=
    case("a-aug-row-list-alias", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                tags = row["tags"]
                tags += ["seen"]
                out["tags"] = tags
        """, reads={"tags"}, writes={"tags"}, must={"tags"}, prunable=False),
    case("a-aug-self-list-alias", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.history = []
            def process(self, row, out):
                h = self.history
                h += [row["a"]]
                out["n"] = len(h)
        """, reads={"a"}, writes={"n"}, must={"n"}, prunable=False),
    case("a-aug-global-set-alias", A, """
        from plugin_sdk import Processor
        KINDS = set()
        class P(Processor):
            def process(self, row, out):
                known = KINDS
                known |= {row["kind"]}
                out["n_kinds"] = len(known)
        """, reads={"kind"}, writes={"n_kinds"}, must={"n_kinds"}, prunable=False),
    case("a-aug-row-list-mul", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                xs = row["tags"]
                xs *= 2
                out["n"] = len(xs)
        """, reads={"tags"}, writes={"n"}, must={"n"}, prunable=False),
    case("a-aug-param-list", A, """
        from plugin_sdk import Processor
        def extend(acc, more):
            acc += more
            return acc
        class P(Processor):
            def process(self, row, out):
                out["all"] = extend(row["tags"], ["z"])
        """, reads={"tags"}, writes={"all"}, must={"all"}, prunable=False),

    # ------------------------------------------------------------------ iterators kept between messages
    case("a-zip-module-dict", A, """
        from plugin_sdk import Processor
        PAIRS = zip(["x", "y"], [1, 2])
        class P(Processor):
            def process(self, row, out):
                out["m"] = len(dict(PAIRS)) + row["a"]
        """, reads={"a"}, writes={"m"}, must={"m"}, prunable=False),
    case("a-map-module-list", A, """
        from plugin_sdk import Processor
        NAMES = map(str.upper, ["x", "y"])
        class P(Processor):
            def process(self, row, out):
                out["names"] = list(NAMES)
                out["a"] = row["a"]
        """, reads={"a"}, writes={"names", "a"}, must={"names", "a"}, prunable=False),
    case("a-genexp-module-sum", A, """
        from plugin_sdk import Processor
        _SQUARES = (i * i for i in range(5))
        class P(Processor):
            def process(self, row, out):
                out["s"] = sum(_SQUARES) + row["a"]
        """, reads={"a"}, writes={"s"}, must={"s"}, prunable=False),
    case("a-genexp-module-for", A, """
        from plugin_sdk import Processor
        _IDS = (i for i in range(1000))
        class P(Processor):
            def process(self, row, out):
                for i in _IDS:
                    out["id"] = i
                    break
        """, writes={"id"}, prunable=False),
    case("a-generator-func-for", A, """
        from plugin_sdk import Processor
        def _sequence():
            i = 0
            while True:
                i += 1
                yield i
        IDS = _sequence()
        class P(Processor):
            def process(self, row, out):
                for i in IDS:
                    out["id"] = i
                    break
        """, writes={"id"}, prunable=False),
    case("a-generator-islice", A, """
        import itertools
        from plugin_sdk import Processor
        def _sequence():
            i = 0
            while True:
                i += 1
                yield i
        IDS = _sequence()
        class P(Processor):
            def process(self, row, out):
                out["id"] = list(itertools.islice(IDS, 1))[0]
        """, writes={"id"}, must={"id"}, prunable=False),
    case("a-itertools-chain-module", A, """
        import itertools
        from plugin_sdk import Processor
        ALL_KEYS = itertools.chain(["x"], ["y"])
        class P(Processor):
            def process(self, row, out):
                out["n"] = sum(1 for _ in ALL_KEYS) + row["a"]
        """, reads={"a"}, writes={"n"}, must={"n"}, prunable=False),
    case("a-re-finditer-module", A, """
        import re
        from plugin_sdk import Processor
        DIGITS = re.finditer(r"[0-9]", "a1b2c3")
        class P(Processor):
            def process(self, row, out):
                out["digits"] = [m.group() for m in DIGITS]
        """, writes={"digits"}, must={"digits"}, prunable=False),
    case("a-iter-of-module-iterator", A, """
        from plugin_sdk import Processor
        ORDER = map(str.strip, [" a", "b ", "c"])
        class P(Processor):
            def process(self, row, out):
                out["first"] = next(iter(ORDER), None)
        """, writes={"first"}, must={"first"}, prunable=False),
    case("a-enumerate-module-iterator", A, """
        from plugin_sdk import Processor
        STEPS = zip(["x", "y", "z"], [1, 2, 3])
        class P(Processor):
            def process(self, row, out):
                for i, (name, n) in enumerate(STEPS):
                    out["step"] = name
                    break
        """, writes={"step"}, prunable=False),
    case("a-self-iterator-listed", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.pending = iter(["x", "y"])
            def process(self, row, out):
                out["pending"] = list(self.pending)
        """, writes={"pending"}, must={"pending"}, prunable=False),
    case("a-str-join-module-generator", A, """
        from plugin_sdk import Processor
        _PARTS = (s for s in ["a", "b"])
        class P(Processor):
            def process(self, row, out):
                out["j"] = "-".join(_PARTS) + row["d"]
        """, reads={"d"}, writes={"j"}, must={"j"}, prunable=False),
    case("a-next-module-iterator", A, """
        from plugin_sdk import Processor
        IDS = iter(range(100))
        class P(Processor):
            def process(self, row, out):
                out["id"] = next(IDS)
        """, writes={"id"}, must={"id"}, prunable=False, note="regression: next() on module state"),

    # ------------------------------------------------------------------ callbacks handed to pure code
    case("a-map-print", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                list(map(print, row["tags"]))
                out["n"] = len(row["tags"])
        """, reads={"tags"}, writes={"n"}, must={"n"}, prunable=False, effects={"io"}),
    case("a-map-logging", A, """
        import logging
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                any(map(logging.warning, ["processing %s" % row["d"]]))
                out["d"] = row["d"]
        """, reads={"d"}, writes={"d"}, must={"d"}, prunable=False, effects={"io"}),
    case("a-map-stdout-write", A, """
        import sys
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                list(map(sys.stdout.write, [str(row["a"]), "\\n"]))
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, must={"a"}, prunable=False, effects={"io"}),
    case("a-map-unbound-list-append", A, """
        from plugin_sdk import Processor
        SEEN = []
        class P(Processor):
            def process(self, row, out):
                list(map(list.append, [SEEN], [row["a"]]))
                out["n"] = len(SEEN)
        """, reads={"a"}, writes={"n"}, must={"n"}, prunable=False),
    case("a-map-setattr-module-obj", A, """
        from plugin_sdk import Processor
        class Last:
            def __init__(self):
                self.value = None
        LAST = Last()
        class P(Processor):
            def process(self, row, out):
                list(map(setattr, [LAST], ["value"], [row["a"]]))
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, must={"a"}, prunable=False),
    case("a-map-heappush-module", A, """
        import heapq
        from plugin_sdk import Processor
        TOP = []
        class P(Processor):
            def process(self, row, out):
                list(map(heapq.heappush, [TOP], [row["price"]]))
                out["min"] = TOP[0]
        """, reads={"price"}, writes={"min"}, must={"min"}, prunable=False),
    case("a-defaultdict-clock-factory", A, """
        import collections
        import time
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                first_seen = collections.defaultdict(time.perf_counter)
                out["t"] = first_seen[row["d"]]
        """, reads={"d"}, writes={"t"}, must={"t"}, prunable=False, effects={"clock"}),
    case("a-map-methodcaller-append", A, """
        import operator
        from plugin_sdk import Processor
        LOG = []
        class P(Processor):
            def process(self, row, out):
                list(map(operator.methodcaller("append", row["a"]), [LOG]))
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, must={"a"}, prunable=False),
    case("a-json-encoder-class", A, """
        import json
        from plugin_sdk import Processor
        UNKNOWN_TYPES = []
        class Enc(json.JSONEncoder):
            def default(self, o):
                UNKNOWN_TYPES.append(type(o).__name__)
                return str(o)
        class P(Processor):
            def process(self, row, out):
                out["js"] = json.dumps({"t": {row["d"]}}, cls=Enc)
        """, reads={"d"}, writes={"js"}, must={"js"}, prunable=False),
    case("a-reduce-unbound-iadd", A, """
        import functools
        from plugin_sdk import Processor
        ALL_TAGS = []
        class P(Processor):
            def process(self, row, out):
                functools.reduce(list.__iadd__, [row["tags"]], ALL_TAGS)
                out["n"] = len(ALL_TAGS)
        """, reads={"tags"}, writes={"n"}, must={"n"}, prunable=False),
    case("a-map-bound-append-flagged", A, """
        from plugin_sdk import Processor
        SEEN = []
        class P(Processor):
            def process(self, row, out):
                list(map(SEEN.append, row["tags"]))
                out["n"] = len(row["tags"])
        """, reads={"tags"}, writes={"n"}, must={"n"}, prunable=False,
        note="regression: a bound mutating method handed on"),

    # ------------------------------------------------------------------ randomness, clocks, local time
    case("a-self-seeded-rng", A, """
        import random
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.rng = random.Random(42)
            def process(self, row, out):
                out["sampled"] = self.rng.random() < 0.5
                out["a"] = row["a"]
        """, reads={"a"}, writes={"sampled", "a"}, must={"sampled", "a"}, prunable=False),
    case("a-module-seeded-rng", A, """
        import random
        from plugin_sdk import Processor
        RNG = random.Random(7)
        class P(Processor):
            def process(self, row, out):
                out["pick"] = RNG.choice(["x", "y", "z"])
        """, writes={"pick"}, must={"pick"}, prunable=False),
    case("a-rng-seed-none", A, """
        import random
        from plugin_sdk import Processor
        SEED = None   # set an int for reproducible sampling
        class P(Processor):
            def process(self, row, out):
                rng = random.Random(SEED)
                out["r"] = rng.random()
        """, writes={"r"}, must={"r"}, prunable=False, effects={"random"}),
    case("a-rng-reseeded", A, """
        import random
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                rng = random.Random(row["a"])
                rng.seed()
                out["r"] = rng.random()
        """, reads={"a"}, writes={"r"}, must={"r"}, prunable=False, effects={"random"}),
    case("a-rng-seeded-by-row", A, """
        import random
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                rng = random.Random(row["a"])
                out["r"] = rng.random()
        """, reads={"a"}, writes={"r"}, must={"r"}, prunable=True,
        note="regression: a per-call Random seeded from the row is a function of the row"),
    case("a-fromtimestamp-local-tz", A, """
        import datetime
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["day"] = datetime.datetime.fromtimestamp(row["n"] * 3600).strftime("%Y-%m-%d %H")
        """, reads={"n"}, writes={"day"}, must={"day"}, prunable=False, effects={"env"},
        note="fromtimestamp converts to the machine's local time zone (TZ)"),
    case("a-naive-timestamp-local-tz", A, """
        import datetime
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["ts"] = datetime.datetime(2024, 1, 1, row["n"]).timestamp()
        """, reads={"n"}, writes={"ts"}, must={"ts"}, prunable=False, effects={"env"}),
    case("a-dataclass-default-factory-clock", A, """
        import time
        from dataclasses import dataclass, field
        from plugin_sdk import Processor
        @dataclass
        class Event:
            name: str
            at: float = field(default_factory=time.perf_counter)
        class P(Processor):
            def process(self, row, out):
                ev = Event(row["d"])
                out["at"] = ev.at
        """, reads={"d"}, writes={"at"}, must={"at"}, prunable=False, effects={"clock"}),
    case("a-set-order-of-strings", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["letters"] = "".join(set(row["title"]))
        """, reads={"title"}, writes={"letters"}, must={"letters"}, prunable=False,
        effects={"random"},
        note="str hashes are salted per process (like hash()): set order differs between workers"),
    case("a-import-time-env", A, """
        import os
        from plugin_sdk import Processor
        REGION = os.environ.get("REGION", "eu")
        class P(Processor):
            def process(self, row, out):
                out["region"] = REGION
                out["a"] = row["a"]
        """, reads={"a"}, writes={"region", "a"}, must={"region", "a"}, prunable=False,
        effects={"env"}, note="the environment read once, at import time"),

    # ------------------------------------------------------------------ constants changed out of sight
    case("a-module-obj-attr-shadows-class-attr", A, """
        from plugin_sdk import Processor
        class Settings:
            price_field = "price"
        SETTINGS = Settings()
        SETTINGS.price_field = "qty"
        class P(Processor):
            def process(self, row, out):
                out["p"] = row[SETTINGS.price_field]
        """, reads={"qty"}, writes={"p"}, must={"p"}),
    case("a-module-obj-init-attr-overridden", A, """
        from plugin_sdk import Processor
        class Settings:
            def __init__(self):
                self.field = "price"
        SETTINGS = Settings()
        SETTINGS.field = "qty"
        class P(Processor):
            def process(self, row, out):
                out[SETTINGS.field] = row[SETTINGS.field]
        """, reads={"qty"}, writes={"qty"}, must={"qty"}),
    case("a-configure-helper-takes-class", A, """
        from plugin_sdk import Processor
        def configure(cls, field):
            cls.FIELD = field
        class P(Processor):
            FIELD = "price"
            def process(self, row, out):
                out["v"] = row[self.FIELD]
        configure(P, "qty")
        """, reads={"qty"}, writes={"v"}, must={"v"}),
    case("a-setattr-helper-on-class", A, """
        from plugin_sdk import Processor
        def apply_settings(target, **settings):
            for name, value in settings.items():
                setattr(target, name, value)
        class P(Processor):
            FIELD = "price"
            def process(self, row, out):
                out["v"] = row[self.FIELD]
        apply_settings(P, FIELD="qty")
        """, reads={"qty"}, writes={"v"}, must={"v"}),
    case("a-setattr-helper-on-self", A, """
        from plugin_sdk import Processor
        DEFAULTS = {"FIELD": "qty"}
        def apply_settings(target, settings):
            for name, value in settings.items():
                setattr(target, name, value)
        class P(Processor):
            FIELD = "price"
            def __init__(self):
                apply_settings(self, DEFAULTS)
            def process(self, row, out):
                out["v"] = row[self.FIELD]
        """, reads={"qty"}, writes={"v"}, must={"v"}),
    case("a-object-setattr-in-init", A, """
        from plugin_sdk import Processor
        class P(Processor):
            KEY = "price"
            def __init__(self):
                object.__setattr__(self, "KEY", "qty")
            def process(self, row, out):
                out[self.KEY] = row[self.KEY]
        """, reads={"qty"}, writes={"qty"}, must={"qty"}),
    case("a-super-setattr-in-init", A, """
        from plugin_sdk import Processor
        class P(Processor):
            KEY = "price"
            def __init__(self):
                super().__setattr__("KEY", "qty")
            def process(self, row, out):
                out["v"] = row[self.KEY]
        """, reads={"qty"}, writes={"v"}, must={"v"}),
    case("a-globals-subscript-at-import", A, """
        from plugin_sdk import Processor
        FIELD = "price"
        for _name, _value in {"FIELD": "qty"}.items():
            globals()[_name] = _value
        class P(Processor):
            def process(self, row, out):
                out["v"] = row[FIELD]
        """, reads={"qty"}, writes={"v"}, must={"v"}),
    case("a-sys-modules-setattr", A, """
        import sys
        from plugin_sdk import Processor
        FIELD = "price"
        setattr(sys.modules[__name__], "FIELD", "qty")
        class P(Processor):
            def process(self, row, out):
                out["v"] = row[FIELD]
        """, reads={"qty"}, writes={"v"}, must={"v"}),
    case("a-star-import-overrides", A, {"plug": """
        from plugin_sdk import Processor
        FIELD = "price"
        from local_settings import *
        class P(Processor):
            def process(self, row, out):
                out["v"] = row[FIELD]
        """, "local_settings": """
        FIELD = "qty"
        """}, reads={"qty"}, writes={"v"}, must={"v"}),
    case("a-reexport-then-append", A, {"plug": """
        from plugin_sdk import Processor
        from helpers import FIELDS
        class P(Processor):
            def process(self, row, out):
                for f in FIELDS:
                    out["o_" + f] = row[f]
        """, "helpers": """
        FIELDS = ["a"]
        """, "reexport": """
        from helpers import FIELDS
        """, "tweak": """
        from reexport import FIELDS
        FIELDS.append("b")
        """}, reads={"a", "b"}, writes={"o_a", "o_b"}),
    case("a-vars-of-other-module", A, {"plug": """
        from plugin_sdk import Processor
        FIELD = "price"
        class P(Processor):
            def process(self, row, out):
                out["v"] = row[FIELD]
        """, "tweak": """
        import plug
        vars(plug)["FIELD"] = "qty"
        """}, reads={"qty"}, writes={"v"}, must={"v"}),
    case("a-module-dict-of-other-module", A, {"plug": """
        from plugin_sdk import Processor
        FIELD = "price"
        class P(Processor):
            def process(self, row, out):
                out["v"] = row[FIELD]
        """, "tweak": """
        import plug
        plug.__dict__["FIELD"] = "qty"
        """}, reads={"qty"}, writes={"v"}, must={"v"}),
    case("a-getattr-other-module-pop", A, {"plug": """
        from plugin_sdk import Processor
        EXTRA = {"x": 1, "y": 2}
        class P(Processor):
            def process(self, row, out):
                out.update(EXTRA)
                out["a"] = row["a"]
        """, "tweak": """
        import plug
        getattr(plug, "EXTRA").pop("y")
        """}, reads={"a"}, writes={"x", "a"}, must={"x", "a"}),
    case("a-bound-append-local", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                fields = ["a"]
                add = fields.append
                add("b")
                for f in fields:
                    out["o_" + f] = row[f]
        """, reads={"a", "b"}, writes={"o_a", "o_b"}, must={"o_a", "o_b"}),
    case("a-bound-append-module", A, """
        from plugin_sdk import Processor
        FIELDS = ["a"]
        _add = FIELDS.append
        for _f in ("b", "c"):
            _add(_f)
        class P(Processor):
            def process(self, row, out):
                out["total"] = sum(row[f] for f in FIELDS)
        """, reads={"a", "b", "c"}, writes={"total"}, must={"total"}),
    case("a-bound-pop-must", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                d = {"x": row["a"], "y": row["b"]}
                drop = d.pop
                if not row["flag"]:
                    drop("y")
                out.update(d)
        """, reads={"a", "b", "flag"}, writes={"x", "y"}, must={"x"}),
    case("a-map-pop-must", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                d = {"x": row["a"], "y": row["b"]}
                list(map(d.pop, row["tags"][:0] or ["y"]))
                out.update(d)
        """, reads={"a", "b", "tags"}, writes={"x"}, must={"x"}),
    case("a-bound-extend-in-init", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.fields = ["a"]
                more = self.fields.extend
                more(["b"])
            def process(self, row, out):
                out["m"] = max(row[f] for f in self.fields)
        """, reads={"a", "b"}, writes={"m"}, must={"m"}),
    case("a-class-body-append", A, """
        from plugin_sdk import Processor
        class P(Processor):
            FIELDS = ["a"]
            FIELDS.append("b")
            def process(self, row, out):
                for f in self.FIELDS:
                    out["o_" + f] = row[f]
        """, reads={"a", "b"}, writes={"o_a", "o_b"}, must={"o_a", "o_b"}),
    case("a-class-body-dict-store", A, """
        from plugin_sdk import Processor
        class P(Processor):
            RENAME = {"a": "x"}
            RENAME["b"] = "y"
            def process(self, row, out):
                for src, dst in P.RENAME.items():
                    out[dst] = row[src]
        """, reads={"a", "b"}, writes={"x", "y"}),
    case("a-ifexp-alias-cleared-must", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                extra = {"x": row["a"], "y": row["b"]}
                scratch = extra if row["flag"] else dict(extra)
                scratch.pop("y")
                out.update(extra)
        """, reads={"a", "b", "flag"}, writes={"x", "y"}, must={"x"}),
    case("a-ifexp-alias-module", A, """
        from plugin_sdk import Processor
        BASE = ["a"]
        WITH_EXTRAS = True
        ACTIVE = BASE if WITH_EXTRAS else []
        ACTIVE.append("b")
        class P(Processor):
            def process(self, row, out):
                for f in BASE:
                    out["o_" + f] = row[f]
        """, reads={"a", "b"}, writes={"o_a", "o_b"}),
    case("a-update-kw-alias-module", A, """
        from plugin_sdk import Processor
        FIELDS = ["a"]
        CONFIG = {}
        CONFIG.update(fields=FIELDS)
        CONFIG["fields"].append("b")
        class P(Processor):
            def process(self, row, out):
                for f in FIELDS:
                    out["o_" + f] = row[f]
        """, reads={"a", "b"}, writes={"o_a", "o_b"}),
    case("a-shallow-copy-shares-elements", A, """
        from plugin_sdk import Processor
        DEFAULT_GROUPS = [["a"], ["c"]]
        groups = list(DEFAULT_GROUPS)
        groups[0].append("b")
        class P(Processor):
            def process(self, row, out):
                out["g0"] = [row[f] for f in DEFAULT_GROUPS[0]]
        """, reads={"a", "b"}, writes={"g0"}, must={"g0"}),
    case("a-local-shallow-copy-shares", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                base = [["a"], ["c"]]
                mine = list(base)
                mine[0].append("b")
                out["g0"] = [row[f] for f in base[0]]
        """, reads={"a", "b"}, writes={"g0"}, must={"g0"}),

    # ------------------------------------------------------------------ the process that really runs
    case("a-process-replaced-in-init", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.process = self._fast
            def process(self, row, out):
                out["x"] = row["a"]
            def _fast(self, row, out):
                out["y"] = row["b"]
        """, reads={"b"}, writes={"y"}, must={"y"}),
    case("a-process-patched-by-helper", A, """
        from plugin_sdk import Processor
        def use_fast_path(cls):
            cls.process = cls.fast_process
            return cls
        class P(Processor):
            def process(self, row, out):
                out["x"] = row["a"]
            def fast_process(self, row, out):
                out["y"] = row["b"]
        use_fast_path(P)
        """, reads={"b"}, writes={"y"}, must={"y"}),
    case("a-class-swapped-in-init", A, """
        from plugin_sdk import Processor
        class _Fast:
            def process(self, row, out):
                out["y"] = row["b"]
        class P(Processor):
            def __init__(self):
                self.__class__ = _Fast
            def process(self, row, out):
                out["x"] = row["a"]
        """, reads={"b"}, writes={"y"}, must={"y"}),
    case("a-new-returns-other", A, """
        from plugin_sdk import Processor
        class _Impl:
            def process(self, row, out):
                out["y"] = row["b"]
        class P(Processor):
            def __new__(cls):
                return _Impl()
            def process(self, row, out):
                out["x"] = row["a"]
        """, reads={"b"}, writes={"y"}, must={"y"}),

    # ------------------------------------------------------------------ functions stored as class attributes
    case("a-func-class-attr-reads", A, """
        from plugin_sdk import Processor
        def _extract(self, row):
            return row["price"] * 2
        class P(Processor):
            extract = _extract
            def process(self, row, out):
                out["x"] = self.extract(row)
        """, reads={"price"}, writes={"x"}, must={"x"}),
    case("a-func-class-attr-writes", A, """
        from plugin_sdk import Processor
        def _fill(self, row, out):
            out["y"] = row["b"]
        class P(Processor):
            fill = _fill
            def process(self, row, out):
                self.fill(row, out)
                out["x"] = 1
        """, reads={"b"}, writes={"x", "y"}, must={"x", "y"}),
    case("a-lambda-class-attr-reads", A, """
        from plugin_sdk import Processor
        class P(Processor):
            extract = lambda self, r: r["price"] * 2
            def process(self, row, out):
                out["x"] = self.extract(row)
        """, reads={"price"}, writes={"x"}, must={"x"}),
    case("a-func-class-attr-on-helper-obj", A, """
        from plugin_sdk import Processor
        def _get(self, r):
            return r[self.key]
        class Getter:
            key = "qty"
            get = _get
        class P(Processor):
            def process(self, row, out):
                out["q"] = Getter().get(row)
        """, reads={"qty"}, writes={"q"}, must={"q"}),

    # ------------------------------------------------------------------ attributes that run code
    case("a-property-call-form-clock", A, """
        import time
        from plugin_sdk import Processor
        class P(Processor):
            def _now(self):
                return time.time()
            now = property(_now)
            def process(self, row, out):
                out["age"] = self.now - row["n"]
        """, reads={"n"}, writes={"age"}, must={"age"}, prunable=False, effects={"clock"}),
    case("a-processor-getattr-env", A, """
        import os
        from plugin_sdk import Processor
        class P(Processor):
            def __getattr__(self, name):
                return os.environ.get("PLUGIN_" + name.upper(), "eu")
            def process(self, row, out):
                out["region"] = self.region
                out["a"] = row["a"]
        """, reads={"a"}, writes={"region", "a"}, must={"region", "a"}, prunable=False,
        effects={"env"}),
    case("a-cached-property-state", A, """
        import functools
        from plugin_sdk import Processor
        class P(Processor):
            @functools.cached_property
            def table(self):
                return {"A": 1, "B": 2}
            def process(self, row, out):
                out["v"] = self.table.get(row["kind"])
        """, reads={"kind"}, writes={"v"}, must={"v"}, prunable=False,
        note="the cached value lands in the instance __dict__ on the first message"),
    case("a-external-property-decorator", A, """
        from extlib import logged_property
        from plugin_sdk import Processor
        class P(Processor):
            @logged_property
            def rate(self):
                return 2
            def process(self, row, out):
                out["x"] = row["a"] * self.rate
        """, reads={"a"}, writes={"x"}, must={"x"}, prunable=False, effects={"io"},
        external={"extlib": """
        def logged_property(f):
            def get(self):
                print("computing", f.__name__)
                return f(self)
            return property(get)
        """}),
    case("a-opaque-handler-pure-named-method", A, """
        from plugin_sdk import Processor
        _CACHE = {}
        class Normalizer:
            def __init__(self, kind):
                self.kind = kind
            def accepts(self, kind):
                return kind == self.kind
            def normalize(self, v):
                if v not in _CACHE:
                    _CACHE[v] = v.strip().lower()
                return _CACHE[v]
        HANDLERS = [Normalizer("A"), Normalizer("B"), Normalizer("C")]
        class P(Processor):
            def process(self, row, out):
                h = next(h for h in HANDLERS if h.accepts(row["kind"]))
                out["norm"] = h.normalize(row["title"])
        """, reads={"kind", "title"}, writes={"norm"}, must={"norm"}, prunable=False),
    case("a-max-then-format-method", A, """
        from plugin_sdk import Processor
        class Formatter:
            calls = {"n": 0}
            def __init__(self, prio):
                self.prio = prio
            def format(self, v):
                Formatter.calls["n"] += 1
                return "%s:%s" % (self.prio, v)
        class P(Processor):
            def process(self, row, out):
                best = max([Formatter(1), Formatter(2)], key=lambda f: f.prio)
                out["s"] = best.format(row["a"])
        """, reads={"a"}, writes={"s"}, must={"s"}, prunable=False),
    case("a-list-pop-then-split-method", A, """
        from plugin_sdk import Processor
        USED = []
        class Step:
            def __init__(self, name):
                self.name = name
            def split(self, text):
                USED.append(self.name)
                return text.split()
        class P(Processor):
            def process(self, row, out):
                steps = [Step("ws")]
                step = steps.pop()
                out["parts"] = step.split(row["title"])
        """, reads={"title"}, writes={"parts"}, must={"parts"}, prunable=False),
    case("a-dataclass-replace-post-init", A, """
        import dataclasses
        from plugin_sdk import Processor
        @dataclasses.dataclass
        class Line:
            sku: str
            qty: int = 0
            created = [0]
            def __post_init__(self):
                Line.created[0] += 1
        TEMPLATE = Line("none")
        class P(Processor):
            def process(self, row, out):
                line = dataclasses.replace(TEMPLATE, qty=row["qty"])
                out["qty"] = line.qty
        """, reads={"qty"}, writes={"qty"}, must={"qty"}, prunable=False),
    case("a-unused-nested-def-default-reads", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                def label(v, sep=row["d"]):
                    return sep.join(v)
                out["a"] = row["a"]
        """, reads={"a", "d"}, writes={"a"}, must={"a"},
        note="a default is evaluated when the def runs, even if the function is never called"),

    # ------------------------------------------------------------------ more attacks
    case("a-obj-attr-set-in-process", A, """
        from plugin_sdk import Processor
        class Spec:
            field = "price"
        class P(Processor):
            def process(self, row, out):
                spec = Spec()
                spec.field = "qty"
                out["v"] = row[spec.field]
        """, reads={"qty"}, writes={"v"}, must={"v"}),
    case("a-obj-attr-set-by-helper-function", A, """
        from plugin_sdk import Processor
        class Spec:
            def __init__(self):
                self.field = "price"
        def for_quantity(spec):
            spec.field = "qty"
            return spec
        class P(Processor):
            def process(self, row, out):
                spec = for_quantity(Spec())
                out["v"] = row[spec.field]
        """, reads={"qty"}, writes={"v"}, must={"v"}),
    case("a-super-in-helper-diamond", A, """
        from plugin_sdk import Processor
        class Source:
            def field(self):
                return "a"
        class Upper(Source):
            def field(self):
                return super().field()
        class Alt(Source):
            def field(self):
                return "qty"
        class Picker(Upper, Alt):
            pass
        class P(Upper, Processor):
            def process(self, row, out):
                out["v"] = row[Picker().field()]
        """, reads={"qty"}, writes={"v"}, must={"v"},
        note="super() inside a helper object's method resolves along the helper's MRO, not the Processor's"),
    case("a-lru-cache-returns-mutable", A, """
        import functools
        from plugin_sdk import Processor
        @functools.lru_cache(maxsize=None)
        def template(kind):
            return {"kind": kind, "seen": []}
        class P(Processor):
            def process(self, row, out):
                t = template(row["kind"])
                t["seen"].append(row["a"])
                out["n_seen"] = len(t["seen"])
        """, reads={"kind", "a"}, writes={"n_seen"}, must={"n_seen"}, prunable=False),
    case("a-lru-cache-returns-list-sorted", A, """
        import functools
        from plugin_sdk import Processor
        @functools.cache
        def allowed(kind):
            return ["x", kind]
        class P(Processor):
            def process(self, row, out):
                names = allowed(row["kind"])
                names.append(row["d"])
                out["names"] = list(names)
        """, reads={"kind", "d"}, writes={"names"}, must={"names"}, prunable=False),
    case("a-format-attribute-property", A, """
        from plugin_sdk import Processor
        class Price:
            rendered = []
            def __init__(self, v):
                self.v = v
            @property
            def text(self):
                Price.rendered.append(self.v)
                return "%.1f" % self.v
        class P(Processor):
            def process(self, row, out):
                out["s"] = "{0.text} EUR".format(Price(row["price"]))
        """, reads={"price"}, writes={"s"}, must={"s"}, prunable=False),
    case("a-dunder-setattr-audit", A, """
        from plugin_sdk import Processor
        AUDIT = []
        class Record:
            def __setattr__(self, name, value):
                AUDIT.append(name)
                object.__setattr__(self, name, value)
        class P(Processor):
            def process(self, row, out):
                r = Record()
                r.value = row["a"]
                out["v"] = r.value
        """, reads={"a"}, writes={"v"}, must={"v"}, prunable=False),
    case("a-dunder-keys-getitem-splat", A, """
        from plugin_sdk import Processor
        CALLS = []
        class Defaults:
            def keys(self):
                CALLS.append("keys")
                return ["unit"]
            def __getitem__(self, k):
                return "pcs"
        class P(Processor):
            def process(self, row, out):
                out.update({**Defaults()})
                out["a"] = row["a"]
        """, reads={"a"}, writes={"unit", "a"}, must={"unit", "a"}, prunable=False),
    case("a-dunder-round", A, """
        from plugin_sdk import Processor
        class Money:
            roundings = [0]
            def __init__(self, v):
                self.v = v
            def __round__(self, n=None):
                Money.roundings[0] += 1
                return round(self.v, n)
        class P(Processor):
            def process(self, row, out):
                out["p"] = round(Money(row["price"]), 1)
        """, reads={"price"}, writes={"p"}, must={"p"}, prunable=False),
    case("a-dunder-iter-in-for-over-self-obj", A, """
        from plugin_sdk import Processor
        class Cursor:
            def __init__(self):
                self.pos = 0
            def __iter__(self):
                return self
            def __next__(self):
                if self.pos >= 2:
                    raise StopIteration
                self.pos += 1
                return self.pos
        class P(Processor):
            def __init__(self):
                self.cursor = Cursor()
            def process(self, row, out):
                out["n"] = sum(1 for _ in self.cursor) + row["a"]
        """, reads={"a"}, writes={"n"}, must={"n"}, prunable=False),
    case("a-obj-method-via-getattr-constant", A, """
        from plugin_sdk import Processor
        class Counter:
            def __init__(self):
                self.n = 0
            def bump(self):
                self.n += 1
                return self.n
        COUNTER = Counter()
        class P(Processor):
            def process(self, row, out):
                out["x"] = getattr(COUNTER, "bump")() + row["a"]
        """, reads={"a"}, writes={"x"}, must={"x"}, prunable=False,
        note="regression: getattr on a non-self object is unknown code"),
    case("a-posonly-kwargs-collision", A, """
        from plugin_sdk import Processor
        def emit(target, /, **fields):
            fields["target"]["y"] = fields["value"]
        class P(Processor):
            def process(self, row, out):
                emit({}, target=out, value=row["b"])
                out["x"] = 1
        """, reads={"b"}, writes={"x", "y"}, must={"x", "y"}),

    # ------------------------------------------------------------------ regressions (handled)
    case("a-reexported-random", A, {"plug": """
        from plugin_sdk import Processor
        from helpers import jitter
        class P(Processor):
            def process(self, row, out):
                out["j"] = row["price"] + jitter()
        """, "helpers": """
        from random import random as jitter
        """}, reads={"price"}, writes={"j"}, must={"j"}, prunable=False, effects={"random"}),
    case("a-clock-on-helper-class", A, {"plug": """
        from plugin_sdk import Processor
        import helpers
        class P(Processor):
            def process(self, row, out):
                out["t"] = helpers.Clock.now() - row["n"]
        """, "helpers": """
        import time
        class Clock:
            now = staticmethod(time.monotonic)
        """}, reads={"n"}, writes={"t"}, must={"t"}, prunable=False, effects={"clock"}),
    case("a-environ-alias", A, """
        import os
        from plugin_sdk import Processor
        ENV = os.environ
        class P(Processor):
            def process(self, row, out):
                out["home"] = ENV.get("HOME", "") + row["d"]
        """, reads={"d"}, writes={"home"}, must={"home"}, prunable=False, effects={"env"}),
    case("a-getattr-dispatch", A, """
        import time
        from plugin_sdk import Processor
        class P(Processor):
            def h_A(self, row):
                return row["a"]
            def h_B(self, row):
                return time.time()
            def h_C(self, row):
                return 0
            def process(self, row, out):
                out["v"] = getattr(self, "h_" + row["kind"])(row)
        """, reads={"kind", "a"}, writes={"v"}, must={"v"}, prunable=False, effects={"clock"}),
    case("a-import-time-closure-counter", A, """
        from plugin_sdk import Processor
        def make_counter():
            count = 0
            def nxt():
                nonlocal count
                count += 1
                return count
            return nxt
        next_id = make_counter()
        class P(Processor):
            def process(self, row, out):
                out["id"] = next_id()
        """, writes={"id"}, must={"id"}, prunable=False),
    case("a-local-closure-nonlocal", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                key = "a"
                def switch():
                    nonlocal key
                    key = "b"
                if row["flag"]:
                    switch()
                out["v"] = row[key]
        """, reads={"flag", "a", "b"}, writes={"v"}, must={"v"}, prunable=True),
    case("a-class-list-via-instance", A, """
        from plugin_sdk import Processor
        class Log:
            entries = []
            def add(self, v):
                self.entries.append(v)
        class P(Processor):
            def process(self, row, out):
                Log().add(row["a"])
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, must={"a"}, prunable=False),
    case("a-genexp-mutates-global", A, """
        from plugin_sdk import Processor
        SEEN = set()
        class P(Processor):
            def process(self, row, out):
                out["new"] = any(SEEN.add(t) for t in row["tags"] if t not in SEEN)
        """, reads={"tags"}, writes={"new"}, must={"new"}, prunable=False),
    case("a-walrus-global-alias", A, """
        from plugin_sdk import Processor
        CACHE = {}
        class P(Processor):
            def process(self, row, out):
                if (c := CACHE).get(row["d"]) is None:
                    c[row["d"]] = len(row["d"])
                out["len"] = c[row["d"]]
        """, reads={"d"}, writes={"len"}, must={"len"}, prunable=False),
    case("a-match-on-row", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                match row:
                    case {"kind": "A", "a": a}:
                        out["x"] = a
                    case _:
                        out["x"] = None
        """, reads=ALL, writes={"x"}, must={"x"}),
    case("a-match-on-value", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                match row.get("kind"):
                    case "A":
                        out["band"] = row["a"]
                    case "B" | "C":
                        out["band"] = row["b"]
        """, reads={"kind", "a", "b"}, writes={"band"}, must={"band"}),
    case("a-star-unpack-into-out", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                *out["init"], out["last"] = [row["a"], row["b"], row["c"]]
        """, reads={"a", "b", "c"}, writes={"init", "last"}, must={"init", "last"}),
    case("a-update-with-pairs", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.update((k + "_2", row[k] * 2) for k in ("a", "b"))
        """, reads={"a", "b"}, writes={"a_2", "b_2"}, must={"a_2", "b_2"}),
    case("a-format-index-row", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["s"] = "{0[title]}/{0[kind]}".format(row)
        """, reads={"title", "kind"}, writes={"s"}, must={"s"}),
    case("a-del-after-write-not-must", A, """
        from plugin_sdk import Processor
        def scrub(d, flag):
            if not flag:
                del d["x"]
        class P(Processor):
            def process(self, row, out):
                out["x"] = row["a"]
                out["y"] = row["b"]
                scrub(out, row["flag"])
        """, reads={"a", "b", "flag"}, writes={"x", "y"}, must={"y"}),
    case("a-mixin-super-chain", A, """
        from plugin_sdk import Processor
        class Base(Processor):
            def process(self, row, out):
                out["base"] = row["a"]
        class Mixin:
            def process(self, row, out):
                super().process(row, out)
                out["mixin"] = row["b"]
        class P(Mixin, Base):
            def process(self, row, out):
                super().process(row, out)
                out["p"] = row["c"]
        """, reads={"a", "b", "c"}, writes={"base", "mixin", "p"}, must={"base", "mixin", "p"}),
    case("a-partial-of-append-called", A, """
        import functools
        from plugin_sdk import Processor
        SEEN = []
        remember = functools.partial(list.append, SEEN)
        class P(Processor):
            def process(self, row, out):
                remember(row["a"])
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, must={"a"}, prunable=False),
    case("a-module-field-shadow-resolution", A, """
        from plugin_sdk import Processor
        FIELD = "price"
        class P(Processor):
            FIELD = "qty"
            def process(self, row, out):
                out["v"] = row[FIELD]
                out["w"] = row[self.FIELD]
        """, reads={"price", "qty"}, writes={"v", "w"}, must={"v", "w"}, precise=True),
    case("a-operator-setitem-global", A, """
        import operator
        from plugin_sdk import Processor
        LAST = {}
        class P(Processor):
            def process(self, row, out):
                operator.setitem(LAST, "a", row["a"])
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, must={"a"}, prunable=False),
    case("a-self-counter-try-finally", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.calls = 0
            def process(self, row, out):
                try:
                    out["a"] = row["a"]
                finally:
                    self.calls += 1
        """, reads={"a"}, writes={"a"}, prunable=False),
    case("a-row-value-sorted-in-place-via-alias", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                holder = {"t": row["tags"]}
                holder["t"].sort(reverse=True)
                out["first"] = holder["t"][0] if holder["t"] else None
        """, reads={"tags"}, writes={"first"}, must={"first"}, prunable=False),

    # ------------------------------------------------------------------ elements aliased out of sight
    case("a-module-loop-extends-groups", A, """
        from plugin_sdk import Processor
        GROUPS = [["a"], ["c"]]
        for g in GROUPS:
            g.append("b")
        class P(Processor):
            def process(self, row, out):
                out["first"] = [row[f] for f in GROUPS[0]]
        """, reads={"a", "b"}, writes={"first"}, must={"first"}),
    case("a-module-dict-values-extended", A, """
        from plugin_sdk import Processor
        BY_KIND = {"A": ["a"], "B": ["b"]}
        for fields in BY_KIND.values():
            fields.append("c")
        class P(Processor):
            def process(self, row, out):
                out["vals"] = [row[f] for f in BY_KIND["A"]]
        """, reads={"a", "c"}, writes={"vals"}, must={"vals"}),
    case("a-init-loop-extends-self-groups", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.groups = [["a"], ["b"]]
                for g in self.groups:
                    g.append("c")
            def process(self, row, out):
                out["g"] = [row[f] for f in self.groups[1]]
        """, reads={"b", "c"}, writes={"g"}, must={"g"}),
    case("a-local-element-alias-append", A, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                layout = [["a"], ["c"]]
                head = layout[0]
                head.append("b")
                out["head"] = [row[f] for f in layout[0]]
        """, reads={"a", "b"}, writes={"head"}, must={"head"}),
    case("a-operator-getitem-alias", A, """
        import operator
        from plugin_sdk import Processor
        GROUPS = [["a"], ["c"]]
        operator.getitem(GROUPS, 0).append("b")
        class P(Processor):
            def process(self, row, out):
                out["g"] = [row[f] for f in GROUPS[0]]
        """, reads={"a", "b"}, writes={"g"}, must={"g"}),
    case("a-max-returns-element", A, """
        from plugin_sdk import Processor
        GROUPS = [["a", "c"], ["d"]]
        max(GROUPS, key=len).append("b")
        class P(Processor):
            def process(self, row, out):
                out["g"] = [row[f] for f in GROUPS[0]]
        """, reads={"a", "b", "c"}, writes={"g"}, must={"g"}),
    case("a-dict-copy-shares-inner", A, """
        from plugin_sdk import Processor
        BASE = {"fields": ["a"]}
        EXTENDED = BASE.copy()
        EXTENDED["fields"].append("b")
        class P(Processor):
            def process(self, row, out):
                out["v"] = [row[f] for f in BASE["fields"]]
        """, reads={"a", "b"}, writes={"v"}, must={"v"}),
    case("a-partial-bound-pop-must", A, """
        import functools
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                d = {"x": row["a"], "y": row["b"]}
                forget_y = functools.partial(d.pop, "y")
                if row["flag"]:
                    forget_y()
                out.update(d)
        """, reads={"a", "b", "flag"}, writes={"x", "y"}, must={"x"}, prunable=True),
    case("a-helper-mutates-module-list", A, """
        from plugin_sdk import Processor
        FIELDS = ["a"]
        def extend(lst, *more):
            lst.extend(more)
        extend(FIELDS, "b")
        class P(Processor):
            def process(self, row, out):
                out["s"] = sum(row[f] for f in FIELDS)
        """, reads={"a", "b"}, writes={"s"}, must={"s"}, note="regression: a container handed to a helper"),

    # ------------------------------------------------------------------ callbacks, more
    case("a-map-partial-print", A, """
        import functools
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                show = functools.partial(print, "tag:")
                list(map(show, row["tags"]))
                out["n"] = len(row["tags"])
        """, reads={"tags"}, writes={"n"}, must={"n"}, prunable=False, effects={"io"}),
    case("a-filter-callback-env", A, """
        import os
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["set"] = list(filter(os.environ.__contains__, ["HOME", "PATH"]))
                out["a"] = row["a"]
        """, reads={"a"}, writes={"set", "a"}, must={"set", "a"}, prunable=False, effects={"env"}),
    case("a-dict-get-default-callback-time", A, """
        import time
        from plugin_sdk import Processor
        HANDLERS = {"A": len}
        class P(Processor):
            def process(self, row, out):
                fn = HANDLERS.get(row["kind"], time.time)
                out["v"] = fn() if fn is time.time else fn(row["d"])
        """, reads={"kind", "d"}, writes={"v"}, must={"v"}, prunable=False, effects={"clock"},
        note="regression: a clock reached through a dict default is called"),
]
