"""Adversarial corpus: STATE and EFFECTS.

Processors that keep state across calls (on ``self``, on the class, in module globals,
function attributes, mutable defaults, closures, iterators, objects reachable from those,
row values changed in place), that read clocks, randomness or the environment however
those are reached, or that do I/O, plus negative controls that look suspicious but are
pure functions of their row. Every label is checked by running the code (harness.py).
"""
from tests.transform.corpus.harness import ALL, case

S = "state"

# Rows for the cases that parse dates.
DAY_ROWS = (
    {"day": "2024-01-05", "qty": 1},
    {"day": "2023-12-31", "qty": 2},
    {"day": "2024-02-29", "qty": 0},
)


def _tag_rows():
    """Rows with their own lists (a case that changes row values in place must not touch DEFAULT_ROWS)."""
    return (
        {"a": 1, "tags": ["y", "x"], "meta": {"src": "db"}},
        {"a": 2, "tags": ["b", "c", "a"], "meta": {"src": "api"}},
        {"a": 3, "tags": ["z"], "meta": {}},
    )


CASES = [
    # ======================================================================== state on self
    case("s-self-counter", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.n = 0
            def process(self, row, out):
                self.n = self.n + 1
                out["seq"] = self.n
        """, writes={"seq"}, prunable=False),
    case("s-self-running-total", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.total = 0.0
            def process(self, row, out):
                self.total += row["price"]
                out["running_total"] = self.total
        """, reads={"price"}, writes={"running_total"}, prunable=False),
    case("s-self-helper-bump", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.calls = 0
            def _bump(self):
                self.calls += 1
            def process(self, row, out):
                self._bump()
                out["a2"] = row["a"] * 2
        """, reads={"a"}, writes={"a2"}, prunable=False,
         note="result is a function of the row, but a helper method counts calls on self"),
    case("s-self-dunder-dict", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                self.__dict__["last_kind"] = row["kind"]
                out["kind_copy"] = row["kind"]
        """, reads={"kind"}, writes={"kind_copy"}, prunable=False),
    case("s-setattr-self-dynamic", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                name = "max_" + row["kind"]
                setattr(self, name, max(getattr(self, name, 0), row["qty"]))
                out["qty"] = row["qty"]
        """, reads={"kind", "qty"}, writes={"qty"}, prunable=False),
    case("s-vars-self", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                state = vars(self)
                state["hits"] = state.get("hits", 0) + 1
                out["b_neg"] = -row["b"]
        """, reads={"b"}, writes={"b_neg"}, prunable=False),
    case("s-self-seen-list", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.seen = []
            def process(self, row, out):
                out["dup"] = row["d"] in self.seen
                self.seen.append(row["d"])
        """, reads={"d"}, writes={"dup"}, prunable=False),
    case("s-self-first-seen-set", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self._ids = set()
            def process(self, row, out):
                key = (row["kind"], row["a"])
                out["is_new"] = key not in self._ids
                self._ids.add(key)
        """, reads={"kind", "a"}, writes={"is_new"}, prunable=False),
    case("s-self-cache-by-kind", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.cache = {}
            def process(self, row, out):
                k = row["kind"]
                if k not in self.cache:
                    self.cache[k] = row["price"] * 1.2
                out["gross"] = self.cache[k]
        """, reads={"kind", "price"}, writes={"gross"}, prunable=False,
         note="a cache keyed by the wrong field: the result depends on earlier rows"),
    case("s-self-memo-title", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self._memo = {}
            def process(self, row, out):
                t = row["title"]
                if t not in self._memo:
                    self._memo[t] = " ".join(t.split()).lower()
                out["title_norm"] = self._memo[t]
        """, reads={"title"}, writes={"title_norm"}, prunable=False,
         note="a correct memo, but it grows state on self (execution flags it)"),
    case("s-self-topk-heap", S, """
        import heapq
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.top = []
            def process(self, row, out):
                v = row["price"]
                if len(self.top) < 3:
                    heapq.heappush(self.top, v)
                else:
                    heapq.heappushpop(self.top, v)
                out["third_best"] = self.top[0]
        """, reads={"price"}, writes={"third_best"}, prunable=False),
    case("s-self-tracker-object", S, """
        from plugin_sdk import Processor
        class Tracker:
            def __init__(self):
                self.n = 0
                self.peak = None
            def observe(self, x):
                self.n += 1
                if self.peak is None or x > self.peak:
                    self.peak = x
        class P(Processor):
            def __init__(self):
                self.tracker = Tracker()
            def process(self, row, out):
                self.tracker.observe(row["qty"])
                out["qty_x"] = row["qty"]
        """, reads={"qty"}, writes={"qty_x"}, prunable=False),
    case("s-self-deque-window", S, """
        from collections import deque
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.window = deque(maxlen=3)
            def process(self, row, out):
                self.window.append(row["price"])
                out["moving_avg"] = sum(self.window) / len(self.window)
        """, reads={"price"}, writes={"moving_avg"}, prunable=False),
    case("s-self-counter-kind", S, """
        from collections import Counter
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.counts = Counter()
            def process(self, row, out):
                self.counts[row["kind"]] += 1
                out["nth_of_kind"] = self.counts[row["kind"]]
        """, reads={"kind"}, writes={"nth_of_kind"}, prunable=False),
    case("s-self-lazy-table", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if not hasattr(self, "_table"):
                    self._table = {"A": "alpha", "B": "beta"}
                out["kind_name"] = self._table.get(row["kind"], "other")
        """, reads={"kind"}, writes={"kind_name"}, prunable=False,
         note="lazy init on the first call adds an attribute to self"),
    case("s-self-prev-delta", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.prev = 0
            def process(self, row, out):
                out["delta"] = row["a"] - self.prev
                self.prev = row["a"]
        """, reads={"a"}, writes={"delta"}, prunable=False),
    case("s-object-setattr-self", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                object.__setattr__(self, "_n", 0)
            def process(self, row, out):
                object.__setattr__(self, "_n", self._n + 1)
                out["c"] = row["c"]
        """, reads={"c"}, writes={"c"}, prunable=False),
    case("s-self-alias-local", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.count = 0
            def process(self, row, out):
                me = self
                me.count += 1
                out["flag_int"] = int(row["flag"])
        """, reads={"flag"}, writes={"flag_int"}, prunable=False),
    case("s-self-dict-setdefault-append", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                self.__dict__.setdefault("history", []).append(row["n"])
                out["n2"] = row["n"] ** 2
        """, reads={"n"}, writes={"n2"}, prunable=False),
    case("s-self-stats-dict", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.stats = {"rows": 0, "empty_title": 0}
            def process(self, row, out):
                self.stats["rows"] += 1
                title = row["title"].strip()
                if not title:
                    self.stats["empty_title"] += 1
                out["title"] = title
        """, reads={"title"}, writes={"title"}, prunable=False),
    case("s-self-buffer-alias", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.buffer = []
            def process(self, row, out):
                buf = self.buffer
                buf.append(row["title"])
                if len(buf) > 100:
                    del buf[:50]
                out["title_len"] = len(row["title"])
        """, reads={"title"}, writes={"title_len"}, prunable=False),
    case("s-self-passed-to-helper", S, """
        from plugin_sdk import Processor
        def remember(store, value):
            store.append(value)
        class P(Processor):
            def __init__(self):
                self.log = []
            def process(self, row, out):
                remember(self.log, row["a"])
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, prunable=False),
    case("s-self-property-setter", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self._seen = 0
            @property
            def seen(self):
                return self._seen
            @seen.setter
            def seen(self, value):
                self._seen = value
            def process(self, row, out):
                self.seen += 1
                out["e_is_none"] = row["e"] is None
        """, reads={"e"}, writes={"e_is_none"}, prunable=False),
    case("s-self-error-counter", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.failures = 0
            def process(self, row, out):
                try:
                    out["ratio"] = row["price"] / row["qty"]
                except ZeroDivisionError:
                    self.failures += 1
                    out["ratio"] = None
        """, reads={"price", "qty"}, writes={"ratio"}, prunable=False,
         note="state changes only on the rare row (qty == 0)"),
    case("s-self-delattr", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.pending_warmup = True
            def process(self, row, out):
                if hasattr(self, "pending_warmup"):
                    del self.pending_warmup
                out["d_up"] = row["d"].upper()
        """, reads={"d"}, writes={"d_up"}, prunable=False),
    case("s-self-slots", S, """
        from plugin_sdk import Processor
        class P(Processor):
            __slots__ = ("count",)
            def __init__(self):
                self.count = 0
            def process(self, row, out):
                self.count += 1
                out["b"] = row["b"]
        """, reads={"b"}, writes={"b"}, prunable=False),
    case("s-self-dict-update", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                self.__dict__.update(last_price=row["price"])
                out["price"] = row["price"]
        """, reads={"price"}, writes={"price"}, prunable=False),

    case("s-self-last-row", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.last = None
            def process(self, row, out):
                snapshot = dict(row)
                out["changed"] = self.last is not None and self.last != snapshot
                self.last = snapshot
        """, reads=ALL, writes={"changed"}, prunable=False),

    # ======================================================================== state on the class
    case("s-type-self-aug", S, """
        from plugin_sdk import Processor
        class P(Processor):
            n = 0
            def process(self, row, out):
                type(self).n += 1
                out["b"] = row["b"]
        """, reads={"b"}, writes={"b"}, prunable=False),
    case("s-dunder-class-attr", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                self.__class__.last_title = row["title"]
                out["has_title"] = bool(row["title"])
        """, reads={"title"}, writes={"has_title"}, prunable=False),
    case("s-classmethod-registry", S, """
        from plugin_sdk import Processor
        class P(Processor):
            registry = {}
            @classmethod
            def _register(cls, kind):
                cls.registry[kind] = cls.registry.get(kind, 0) + 1
            def process(self, row, out):
                self._register(row["kind"])
                out["kind"] = row["kind"]
        """, reads={"kind"}, writes={"kind"}, prunable=False),
    case("s-classmethod-tick", S, """
        from plugin_sdk import Processor
        class P(Processor):
            ticks = 0
            @classmethod
            def tick(cls):
                cls.ticks += 1
                return cls.ticks
            def process(self, row, out):
                out["tick"] = P.tick()
        """, writes={"tick"}, prunable=False),
    case("s-class-by-name", S, """
        from plugin_sdk import Processor
        class P(Processor):
            total_qty = 0
            def process(self, row, out):
                P.total_qty += row["qty"]
                out["share"] = row["qty"] / P.total_qty if P.total_qty else 0.0
        """, reads={"qty"}, writes={"share"}, prunable=False),
    case("s-class-list-via-self", S, """
        from plugin_sdk import Processor
        class P(Processor):
            seen_kinds = []
            def process(self, row, out):
                if row["kind"] not in self.seen_kinds:
                    self.seen_kinds.append(row["kind"])
                out["kind_rank"] = self.seen_kinds.index(row["kind"])
        """, reads={"kind"}, writes={"kind_rank"}, prunable=False,
         note="a class-level list mutated through self: shared by every instance"),
    case("s-mixin-class-counter", S, """
        from plugin_sdk import Processor
        class CountingMixin:
            calls = 0
            def count_call(self):
                CountingMixin.calls += 1
        class P(CountingMixin, Processor):
            def process(self, row, out):
                self.count_call()
                out["c1"] = row["c"] + 1
        """, reads={"c"}, writes={"c1"}, prunable=False),
    case("s-staticmethod-module-dict", S, """
        from plugin_sdk import Processor
        LAST = {}
        class P(Processor):
            @staticmethod
            def _note(kind, value):
                LAST[kind] = value
            def process(self, row, out):
                self._note(row["kind"], row["a"])
                out["a"] = row["a"]
        """, reads={"kind", "a"}, writes={"a"}, prunable=False),
    case("s-setattr-type-self", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                setattr(type(self), "max_n", max(getattr(type(self), "max_n", 0), row["n"]))
                out["n"] = row["n"]
        """, reads={"n"}, writes={"n"}, prunable=False),

    # ======================================================================== module globals
    case("s-global-seq", S, """
        from plugin_sdk import Processor
        _seq = 0
        class P(Processor):
            def process(self, row, out):
                global _seq
                _seq += 1
                out["row_id"] = _seq
        """, writes={"row_id"}, prunable=False),
    case("s-global-list-append", S, """
        from plugin_sdk import Processor
        SEEN = []
        class P(Processor):
            def process(self, row, out):
                SEEN.append(row["a"])
                out["seen_count"] = len(SEEN)
        """, reads={"a"}, writes={"seen_count"}, prunable=False),
    case("s-list-element-list-changed-through-alias", S, """
        from plugin_sdk import Processor
        BUCKET = []
        GROUPS = [BUCKET, "b"]
        class P(Processor):
            def process(self, row, out):
                for g in GROUPS:
                    if isinstance(g, list):
                        keep = [1]
                        keep.append(g)
                        g.append(row["a"])
                out["n"] = len(GROUPS[0])
        """, reads={"a"}, writes={"n"}, prunable=False),
    case("s-dict-value-list-changed-through-alias", S, """
        from plugin_sdk import Processor
        BUCKET = []
        GROUPS = {"x": BUCKET, "y": "b"}
        class P(Processor):
            def process(self, row, out):
                for g in [GROUPS["x"]]:
                    keep = [1]
                    keep.append(g)
                    g.append(row["a"])
                out["n"] = len(GROUPS["x"])
        """, reads={"a"}, writes={"n"}, prunable=False),
    case("s-list-element-rebound-name", S, """
        from plugin_sdk import Processor
        K = "a"
        K = []
        KEYS = [K, "b"]
        class P(Processor):
            def process(self, row, out):
                for k in KEYS:
                    if isinstance(k, list):
                        k.append(row["a"])
                out["n"] = len(KEYS[0])
        """, reads={"a"}, writes={"n"}, prunable=False),
    case("s-global-index-setdefault", S, """
        from plugin_sdk import Processor
        INDEX = {}
        class P(Processor):
            def process(self, row, out):
                INDEX.setdefault(row["kind"], []).append(row["a"])
                out["peers"] = len(INDEX[row["kind"]])
        """, reads={"kind", "a"}, writes={"peers"}, prunable=False),
    case("s-global-set-dedup", S, """
        from plugin_sdk import Processor
        _titles = set()
        class P(Processor):
            def process(self, row, out):
                t = row["title"].strip().lower()
                out["first_time"] = t not in _titles
                _titles.add(t)
        """, reads={"title"}, writes={"first_time"}, prunable=False),
    case("s-global-counter", S, """
        from collections import Counter
        from plugin_sdk import Processor
        KIND_COUNTS = Counter()
        class P(Processor):
            def process(self, row, out):
                KIND_COUNTS[row["kind"]] += 1
                out["kind_share"] = KIND_COUNTS[row["kind"]] / sum(KIND_COUNTS.values())
        """, reads={"kind"}, writes={"kind_share"}, prunable=False),
    case("s-global-counter-update", S, """
        import collections
        from plugin_sdk import Processor
        TAG_FREQ = collections.Counter()
        class P(Processor):
            def process(self, row, out):
                TAG_FREQ.update(row["tags"])
                out["ntags"] = len(row["tags"])
        """, reads={"tags"}, writes={"ntags"}, prunable=False),
    case("s-global-deque-recent", S, """
        from collections import deque
        from plugin_sdk import Processor
        RECENT = deque(maxlen=5)
        class P(Processor):
            def process(self, row, out):
                RECENT.append(row["price"])
                out["recent_max"] = max(RECENT)
        """, reads={"price"}, writes={"recent_max"}, prunable=False),
    case("s-global-object-attr", S, """
        from plugin_sdk import Processor
        class _Stats:
            def __init__(self):
                self.rows = 0
        STATS = _Stats()
        class P(Processor):
            def process(self, row, out):
                STATS.rows += 1
                out["q"] = row["qty"]
        """, reads={"qty"}, writes={"q"}, prunable=False),
    case("s-global-namespace-attr", S, """
        from types import SimpleNamespace
        from plugin_sdk import Processor
        STATE = SimpleNamespace(n=0)
        class P(Processor):
            def process(self, row, out):
                STATE.n += 1
                out["n_calls"] = STATE.n
        """, writes={"n_calls"}, prunable=False),
    case("s-globals-dict", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                globals()["LAST_KIND"] = row["kind"]
                out["k"] = row["kind"]
        """, reads={"kind"}, writes={"k"}, prunable=False),
    case("s-sys-modules-self", S, """
        import sys
        from plugin_sdk import Processor
        hits = 0
        class P(Processor):
            def process(self, row, out):
                mod = sys.modules[__name__]
                mod.hits += 1
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, prunable=False),
    case("s-global-dict-update", S, """
        from plugin_sdk import Processor
        CONFIG = {"mode": "batch"}
        class P(Processor):
            def process(self, row, out):
                CONFIG.update(last_a=row["a"])
                out["mode"] = CONFIG["mode"]
        """, reads={"a"}, writes={"mode"}, prunable=False),
    case("s-global-slice-assign", S, """
        from plugin_sdk import Processor
        LOG = []
        class P(Processor):
            def process(self, row, out):
                LOG[len(LOG):] = [row["d"]]
                out["d"] = row["d"]
        """, reads={"d"}, writes={"d"}, prunable=False),
    case("s-global-pop-pending", S, """
        from plugin_sdk import Processor
        PENDING = {"A": "first A", "B": "first B"}
        class P(Processor):
            def process(self, row, out):
                out["note"] = PENDING.pop(row["kind"], "")
        """, reads={"kind"}, writes={"note"}, prunable=False),
    case("s-global-queue-pop", S, """
        from plugin_sdk import Processor
        QUEUE = ["slot-3", "slot-2", "slot-1"]
        class P(Processor):
            def process(self, row, out):
                out["slot"] = QUEUE.pop() if QUEUE else None
        """, writes={"slot"}, prunable=False),
    case("s-global-defaultdict-read", S, """
        from collections import defaultdict
        from plugin_sdk import Processor
        GROUPS = defaultdict(list)
        class P(Processor):
            def process(self, row, out):
                out["group_size"] = len(GROUPS[row["kind"]])
        """, reads={"kind"}, writes={"group_size"}, prunable=False,
         note="looks like a read, but a defaultdict inserts the missing key"),
    case("s-global-dict-setitem-unbound", S, """
        from plugin_sdk import Processor
        CACHE = {}
        class P(Processor):
            def process(self, row, out):
                dict.__setitem__(CACHE, row["kind"], row["a"])
                out["a"] = row["a"]
        """, reads={"kind", "a"}, writes={"a"}, prunable=False),
    case("s-global-partial-append", S, """
        import functools
        from plugin_sdk import Processor
        SEEN = []
        _remember = functools.partial(list.append, SEEN)
        class P(Processor):
            def process(self, row, out):
                _remember(row["a"])
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, prunable=False),
    case("s-global-comprehension-side-effect", S, """
        from plugin_sdk import Processor
        ALL_TAGS = set()
        class P(Processor):
            def process(self, row, out):
                [ALL_TAGS.add(t) for t in row["tags"]]
                out["ntags"] = len(row["tags"])
        """, reads={"tags"}, writes={"ntags"}, prunable=False),
    case("s-global-map-bound-method", S, """
        from plugin_sdk import Processor
        TAG_LOG = []
        class P(Processor):
            def process(self, row, out):
                list(map(TAG_LOG.append, row["tags"]))
                out["has_tags"] = bool(row["tags"])
        """, reads={"tags"}, writes={"has_tags"}, prunable=False),
    case("s-global-field-max", S, """
        from plugin_sdk import Processor
        FIELD_MAX = {}
        class P(Processor):
            def process(self, row, out):
                for k, v in row.items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        FIELD_MAX[k] = max(FIELD_MAX.get(k, v), v)
                        out["max_" + k] = FIELD_MAX[k]
        """, reads=ALL, writes=ALL, prunable=False),
    case("s-global-rebind-in-helper", S, """
        from plugin_sdk import Processor
        _last = None
        def _remember(value):
            global _last
            prev, _last = _last, value
            return prev
        class P(Processor):
            def process(self, row, out):
                out["prev_title"] = _remember(row["title"])
        """, reads={"title"}, writes={"prev_title"}, prunable=False),
    case("s-global-batch-flush", S, """
        from plugin_sdk import Processor
        BATCH = []
        class P(Processor):
            def process(self, row, out):
                global BATCH
                BATCH += [row["qty"]]
                if len(BATCH) >= 3:
                    BATCH = []
                out["q"] = row["qty"]
        """, reads={"qty"}, writes={"q"}, prunable=False),
    case("s-global-nested-def", S, """
        from plugin_sdk import Processor
        TOTALS = {}
        class P(Processor):
            def process(self, row, out):
                def add(k, v):
                    TOTALS[k] = TOTALS.get(k, 0) + v
                add(row["kind"], row["qty"])
                out["kind_total"] = TOTALS[row["kind"]]
        """, reads={"kind", "qty"}, writes={"kind_total"}, prunable=False),
    case("s-global-shallow-copy-shared", S, """
        from plugin_sdk import Processor
        TEMPLATE = {"source": "cdc", "tags": []}
        class P(Processor):
            def process(self, row, out):
                rec = dict(TEMPLATE)
                rec["tags"].append(row["kind"])
                out["n_tags"] = len(rec["tags"])
        """, reads={"kind"}, writes={"n_tags"}, prunable=False,
         note="a shallow copy shares the nested list with the module-level template"),
    case("s-helper-module-registry", S, {
        "plug": """
            import util
            from plugin_sdk import Processor
            class P(Processor):
                def process(self, row, out):
                    out["a"] = util.record(row["a"])
            """,
        "util": """
            REGISTRY = []
            def record(x):
                REGISTRY.append(x)
                return x
            """,
    }, reads={"a"}, writes={"a"}, prunable=False),
    case("s-helper-module-imported-set", S, {
        "plug": """
            from util import SEEN
            from plugin_sdk import Processor
            class P(Processor):
                def process(self, row, out):
                    out["new_d"] = row["d"] not in SEEN
                    SEEN.add(row["d"])
            """,
        "util": """
            SEEN = set()
            """,
    }, reads={"d"}, writes={"new_d"}, prunable=False),

    # ======================================================================== function attributes
    case("s-func-attr-calls", S, """
        from plugin_sdk import Processor
        def scale(x):
            scale.calls += 1
            return x * 10
        scale.calls = 0
        class P(Processor):
            def process(self, row, out):
                out["a10"] = scale(row["a"])
        """, reads={"a"}, writes={"a10"}, prunable=False),
    case("s-func-attr-dict-setdefault", S, """
        from plugin_sdk import Processor
        def seen_before(key):
            keys = seen_before.__dict__.setdefault("keys", set())
            hit = key in keys
            keys.add(key)
            return hit
        class P(Processor):
            def process(self, row, out):
                out["repeat_title"] = seen_before(row["title"])
        """, reads={"title"}, writes={"repeat_title"}, prunable=False),
    case("s-func-attr-setattr", S, """
        from plugin_sdk import Processor
        def fmt(x):
            return f"{x:.2f}"
        class P(Processor):
            def process(self, row, out):
                setattr(fmt, "last", row["price"])
                out["price_s"] = fmt(row["price"])
        """, reads={"price"}, writes={"price_s"}, prunable=False),
    case("s-decorator-call-counter", S, """
        from plugin_sdk import Processor
        def counted(fn):
            def wrapper(*args, **kwargs):
                wrapper.calls += 1
                return fn(*args, **kwargs)
            wrapper.calls = 0
            return wrapper
        @counted
        def double(x):
            return 2 * x
        class P(Processor):
            def process(self, row, out):
                out["c2"] = double(row["c"])
        """, reads={"c"}, writes={"c2"}, prunable=False),
    case("s-decorator-closure-memo", S, """
        from plugin_sdk import Processor
        def memo(fn):
            cache = {}
            def wrapper(x):
                if x not in cache:
                    cache[x] = fn(x)
                return cache[x]
            return wrapper
        @memo
        def norm(s):
            return s.strip().casefold()
        class P(Processor):
            def process(self, row, out):
                out["title_key"] = norm(row["title"])
        """, reads={"title"}, writes={"title_key"}, prunable=False,
         note="a hand-written memo keeps its cache in a closure cell (execution sees it grow)"),

    # ======================================================================== mutable defaults
    case("s-default-list-accumulates", S, """
        from plugin_sdk import Processor
        def position(x, seen=[]):
            seen.append(x)
            return len(seen)
        class P(Processor):
            def process(self, row, out):
                out["pos"] = position(row["a"])
        """, reads={"a"}, writes={"pos"}, prunable=False),
    case("s-default-dict-memo", S, """
        from plugin_sdk import Processor
        def slug(s, _memo={}):
            if s not in _memo:
                _memo[s] = "-".join(s.lower().split())
            return _memo[s]
        class P(Processor):
            def process(self, row, out):
                out["slug"] = slug(row["title"])
        """, reads={"title"}, writes={"slug"}, prunable=False),
    case("s-default-on-method", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def _is_new(self, key, _seen=set()):
                new = key not in _seen
                _seen.add(key)
                return new
            def process(self, row, out):
                out["new_kind"] = self._is_new(row["kind"])
        """, reads={"kind"}, writes={"new_kind"}, prunable=False),
    case("s-kwonly-default", S, """
        from plugin_sdk import Processor
        def tally(x, *, acc={}):
            acc[x] = acc.get(x, 0) + 1
            return acc[x]
        class P(Processor):
            def process(self, row, out):
                out["times_seen"] = tally(row["d"])
        """, reads={"d"}, writes={"times_seen"}, prunable=False),

    # ======================================================================== closures
    case("s-nonlocal-counter-factory", S, """
        from plugin_sdk import Processor
        def make_counter(start=0):
            n = start
            def nxt():
                nonlocal n
                n += 1
                return n
            return nxt
        next_id = make_counter()
        class P(Processor):
            def process(self, row, out):
                out["id"] = next_id()
        """, writes={"id"}, prunable=False),
    case("s-closure-list-append", S, """
        from plugin_sdk import Processor
        def make_log():
            items = []
            def add(x):
                items.append(x)
                return len(items)
            return add
        log_value = make_log()
        class P(Processor):
            def process(self, row, out):
                log_value(row["b"])
                out["b"] = row["b"]
        """, reads={"b"}, writes={"b"}, prunable=False),
    case("s-closure-on-self", S, """
        from plugin_sdk import Processor
        def make_counter():
            n = 0
            def nxt():
                nonlocal n
                n += 1
                return n
            return nxt
        class P(Processor):
            def __init__(self):
                self._next = make_counter()
            def process(self, row, out):
                out["seq"] = self._next()
                out["kind"] = row["kind"]
        """, reads={"kind"}, writes={"seq", "kind"}, prunable=False),

    # ======================================================================== iterators that outlive the call
    case("s-count-module", S, """
        import itertools
        from plugin_sdk import Processor
        _ids = itertools.count(1)
        class P(Processor):
            def process(self, row, out):
                out["id"] = next(_ids)
        """, writes={"id"}, prunable=False),
    case("s-count-self", S, """
        from itertools import count
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self._counter = count()
            def process(self, row, out):
                out["ordinal"] = next(self._counter)
                out["a"] = row["a"]
        """, reads={"a"}, writes={"ordinal", "a"}, prunable=False),
    case("s-cycle-module", S, """
        import itertools
        from plugin_sdk import Processor
        _shards = itertools.cycle(["s0", "s1", "s2"])
        class P(Processor):
            def process(self, row, out):
                out["shard"] = next(_shards)
        """, writes={"shard"}, prunable=False),
    case("s-cycle-self", S, """
        import itertools
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.colors = itertools.cycle(("red", "green", "blue"))
            def process(self, row, out):
                out["color"] = next(self.colors)
                out["title"] = row["title"]
        """, reads={"title"}, writes={"color", "title"}, prunable=False),
    case("s-generator-on-self", S, """
        from plugin_sdk import Processor
        def _serials():
            i = 1000
            while True:
                yield i
                i += 1
        class P(Processor):
            def __init__(self):
                self._serial = _serials()
            def process(self, row, out):
                out["serial"] = next(self._serial)
        """, writes={"serial"}, prunable=False),
    case("s-genexpr-on-self", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self._squares = (i * i for i in range(10 ** 6))
            def process(self, row, out):
                out["sq"] = next(self._squares) + row["a"]
        """, reads={"a"}, writes={"sq"}, prunable=False),
    case("s-iter-module-list", S, """
        from plugin_sdk import Processor
        _batches = iter(["b1", "b2", "b3"])
        class P(Processor):
            def process(self, row, out):
                out["batch"] = next(_batches, "overflow")
        """, writes={"batch"}, prunable=False),
    case("s-for-break-module-iter", S, """
        from plugin_sdk import Processor
        _stream = iter(range(100))
        class P(Processor):
            def process(self, row, out):
                for x in _stream:
                    out["tick"] = x + row["n"]
                    break
        """, reads={"n"}, writes={"tick"}, prunable=False),

    # ======================================================================== clocks
    case("s-clock-monotonic-alias", S, """
        import time
        from plugin_sdk import Processor
        _now = time.monotonic
        class P(Processor):
            def process(self, row, out):
                out["t"] = _now()
        """, writes={"t"}, prunable=False, effects={"clock"}),
    case("s-clock-star-import", S, """
        from time import *
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["ts"] = time()
                out["a"] = row["a"]
        """, reads={"a"}, writes={"ts", "a"}, prunable=False, effects={"clock"}),
    case("s-clock-gettime", S, """
        import time
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["ingested_at"] = time.clock_gettime(time.CLOCK_REALTIME)
        """, writes={"ingested_at"}, prunable=False, effects={"clock"}),
    case("s-clock-perf-timing", S, """
        import time
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                t0 = time.perf_counter()
                out["title_u"] = row["title"].upper()
                out["took_ms"] = (time.perf_counter() - t0) * 1000
        """, reads={"title"}, writes={"title_u", "took_ms"}, prunable=False, effects={"clock"}),
    case("s-clock-datetime-alias", S, """
        from datetime import datetime as dt
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["seen_at"] = dt.now().isoformat()
        """, writes={"seen_at"}, prunable=False, effects={"clock"}),
    case("s-clock-date-today-module-alias", S, """
        import datetime as _dt
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                age = _dt.date.today() - _dt.date.fromisoformat(row["day"])
                out["age_days"] = age.days
        """, reads={"day"}, writes={"age_days"}, prunable=False, effects={"clock"},
         rows=DAY_ROWS),
    case("s-clock-helper-module", S, {
        "plug": """
            from util import stamp
            from plugin_sdk import Processor
            class P(Processor):
                def process(self, row, out):
                    out["ts"] = stamp()
                    out["qty"] = row["qty"]
            """,
        "util": """
            import time
            def stamp():
                return round(time.time(), 6)
            """,
    }, reads={"qty"}, writes={"ts", "qty"}, prunable=False, effects={"clock"}),
    case("s-clock-helper-module-alias", S, {
        "plug": """
            import util
            from plugin_sdk import Processor
            class P(Processor):
                def process(self, row, out):
                    out["t"] = util.clock()
            """,
        "util": """
            from time import monotonic_ns as clock
            """,
    }, writes={"t"}, prunable=False, effects={"clock"}),
    case("s-clock-getattr-dispatch", S, """
        import time
        from plugin_sdk import Processor
        class P(Processor):
            def h_A(self, row):
                return row["a"] * 2
            def h_B(self, row):
                return time.time()
            def h_C(self, row):
                return row["c"]
            def process(self, row, out):
                out["v"] = getattr(self, "h_" + row["kind"])(row)
        """, reads={"kind", "a", "c"}, writes={"v"}, prunable=False, effects={"clock"},
         note="only the handler chosen by kind == 'B' reads the clock"),
    case("s-clock-default-arg", S, """
        import time
        from plugin_sdk import Processor
        def stamp(now=time.time):
            return now()
        class P(Processor):
            def process(self, row, out):
                out["ts"] = stamp()
        """, writes={"ts"}, prunable=False, effects={"clock"}),
    case("s-clock-dunder-import", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["ns"] = __import__("time").time_ns()
        """, writes={"ns"}, prunable=False, effects={"clock"}),
    case("s-clock-on-self", S, """
        import time
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.clock = time.monotonic
                self.started = self.clock()
            def process(self, row, out):
                out["uptime"] = self.clock() - self.started
        """, writes={"uptime"}, prunable=False, effects={"clock"}),
    case("s-clock-external", S, """
        import vendorclock
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["stamped"] = vendorclock.now()
        """, writes={"stamped"}, prunable=False, effects={"clock"},
         external={"vendorclock": """
            import time
            def now():
                return time.time()
            """}),

    # ======================================================================== randomness
    case("s-random-alias", S, """
        import random
        from plugin_sdk import Processor
        RAND = random.random
        class P(Processor):
            def process(self, row, out):
                out["sampled"] = RAND() < 0.5
                out["a"] = row["a"]
        """, reads={"a"}, writes={"sampled", "a"}, prunable=False, effects={"random"}),
    case("s-random-instance-module", S, """
        import random
        from plugin_sdk import Processor
        _rng = random.Random()
        class P(Processor):
            def process(self, row, out):
                out["jittered"] = row["price"] + _rng.uniform(-1, 1)
        """, reads={"price"}, writes={"jittered"}, prunable=False, effects={"random"}),
    case("s-random-seeded-on-self", S, """
        import random
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.rng = random.Random(1234)
            def process(self, row, out):
                out["bucket"] = self.rng.randrange(10)
        """, writes={"bucket"}, prunable=False,
         note="seeded, so reproducible per job, but the generator's state outlives each call"),
    case("s-random-seeded-module", S, """
        import random
        from plugin_sdk import Processor
        _rng = random.Random(7)
        class P(Processor):
            def process(self, row, out):
                out["pick"] = _rng.choice(row["tags"]) if row["tags"] else None
        """, reads={"tags"}, writes={"pick"}, prunable=False),
    case("s-random-from-import-choice", S, """
        from random import choice
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["variant"] = choice(["control", "treatment", "holdout"])
        """, writes={"variant"}, prunable=False, effects={"random"}),
    case("s-random-shuffle-copy", S, """
        import random
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                tags = list(row["tags"])
                random.shuffle(tags)
                out["tags_shuffled"] = tags
        """, reads={"tags"}, writes={"tags_shuffled"}, prunable=False, effects={"random"}),
    case("s-random-reseed-global", S, """
        import random
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                random.seed(row["a"])
                out["r"] = random.random()
        """, reads={"a"}, writes={"r"}, prunable=False, effects={"random"},
         note="the result is a function of the row, but it reseeds the process-wide generator"),
    case("s-random-getattr", S, """
        import random
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                roll = getattr(random, "randint")
                out["roll"] = roll(1, 10 ** 9)
        """, writes={"roll"}, prunable=False, effects={"random"}),
    case("s-random-importlib", S, """
        import importlib
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                rnd = importlib.import_module("random")
                out["noise"] = rnd.random()
        """, writes={"noise"}, prunable=False, effects={"random"}),
    case("s-random-systemrandom", S, """
        import random
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["token"] = random.SystemRandom().getrandbits(64)
        """, writes={"token"}, prunable=False, effects={"random"}),
    case("s-uuid4", S, """
        import uuid
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["event_id"] = str(uuid.uuid4())
        """, writes={"event_id"}, prunable=False, effects={"random"}),
    case("s-uuid4-alias", S, """
        from uuid import uuid4 as new_id
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["id"] = new_id().hex
                out["kind"] = row["kind"]
        """, reads={"kind"}, writes={"id", "kind"}, prunable=False, effects={"random"}),
    case("s-os-urandom", S, """
        import os
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["nonce"] = os.urandom(8).hex()
        """, writes={"nonce"}, prunable=False, effects={"random"}),
    case("s-secrets-token", S, """
        import secrets
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["token"] = secrets.token_urlsafe(12)
        """, writes={"token"}, prunable=False, effects={"random"}),
    case("s-random-external", S, """
        import vendorlib
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["score"] = vendorlib.score(row["a"])
        """, reads={"a"}, writes={"score"}, prunable=False, effects={"random"},
         external={"vendorlib": """
            import random
            def score(x):
                return x + random.random()
            """}),
    case("s-external-counter", S, """
        import vendorlib
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["id"] = vendorlib.next_id()
        """, writes={"id"}, prunable=False,
         external={"vendorlib": """
            _n = [0]
            def next_id():
                _n[0] += 1
                return _n[0]
            """},
         note="state lives in code the analyzer cannot see"),
    case("s-external-mutates-self", S, """
        import vendorlib
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.state = []
            def process(self, row, out):
                vendorlib.enrich(self.state, row["a"])
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, prunable=False,
         external={"vendorlib": """
            def enrich(buffer, value):
                buffer.append(value)
            """}),

    # ======================================================================== I/O
    case("s-print-debug", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                print("processing", row["a"])
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, prunable=False, effects={"io"}),
    case("s-print-stderr-conditional", S, """
        import sys
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if row["qty"] == 0:
                    print(f"warning: zero qty for {row['title']!r}", file=sys.stderr)
                out["qty_ok"] = row["qty"] > 0
        """, reads={"qty", "title"}, writes={"qty_ok"}, prunable=False, effects={"io"}),
    case("s-stdout-write", S, """
        import sys
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                sys.stdout.write(row["d"] + "\\n")
                out["d"] = row["d"]
        """, reads={"d"}, writes={"d"}, prunable=False, effects={"io"}),
    case("s-stdout-alias", S, """
        import sys
        from plugin_sdk import Processor
        _emit = sys.stdout.write
        class P(Processor):
            def process(self, row, out):
                _emit(f"{row['kind']}\\n")
                out["kind"] = row["kind"]
        """, reads={"kind"}, writes={"kind"}, prunable=False, effects={"io"}),
    case("s-logging-module-logger", S, """
        import logging
        from plugin_sdk import Processor
        log = logging.getLogger(__name__)
        class P(Processor):
            def process(self, row, out):
                log.info("row a=%s", row["a"])
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, prunable=False, effects={"io"}),
    case("s-logging-getlogger-inline", S, """
        import logging
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if row["b"] < 0:
                    logging.getLogger(__name__).warning("negative b: %s", row["b"])
                out["b_abs"] = abs(row["b"])
        """, reads={"b"}, writes={"b_abs"}, prunable=False, effects={"io"}),
    case("s-logger-on-self", S, """
        import logging
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.log = logging.getLogger("plugins.pricing")
            def process(self, row, out):
                self.log.debug("price %s", row["price"])
                out["price_c"] = int(row["price"] * 100)
        """, reads={"price"}, writes={"price_c"}, prunable=False, effects={"io"}),
    case("s-file-append", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                with open("audit.log", "a") as fh:
                    fh.write(f"{row['a']}\\n")
                out["a"] = row["a"]
        """, reads={"a"}, writes={"a"}, prunable=False, effects={"io"}),
    case("s-file-pathlib", S, """
        from pathlib import Path
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                Path("last_title.txt").write_text(row["title"])
                out["title"] = row["title"]
        """, reads={"title"}, writes={"title"}, prunable=False, effects={"io"}),
    case("s-file-exists-check", S, """
        import os
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                mode = "override" if os.path.exists("override.json") else "default"
                out["mode"] = mode
                out["kind"] = row["kind"]
        """, reads={"kind"}, writes={"mode", "kind"}, prunable=False, effects={"io"},
         note="reads the file system on every call"),
    case("s-file-helper-module", S, {
        "plug": """
            from util import audit
            from plugin_sdk import Processor
            class P(Processor):
                def process(self, row, out):
                    audit(row["kind"])
                    out["kind"] = row["kind"]
            """,
        "util": """
            def audit(msg):
                with open("audit.txt", "a", encoding="utf-8") as fh:
                    print(msg, file=fh)
            """,
    }, reads={"kind"}, writes={"kind"}, prunable=False, effects={"io"}),
    case("s-tempfile-spill", S, """
        import tempfile
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                with tempfile.TemporaryFile("w+") as fh:
                    fh.write(row["title"])
                    fh.seek(0)
                    out["title_rt"] = fh.read()
        """, reads={"title"}, writes={"title_rt"}, prunable=False, effects={"io"}),
    case("s-warnings-warn", S, """
        import warnings
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if not row["title"]:
                    warnings.warn("empty title")
                out["title_len"] = len(row["title"])
        """, reads={"title"}, writes={"title_len"}, prunable=False, effects={"io"}),

    # ======================================================================== environment
    case("s-environ-subscript", S, """
        import os
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["path_parts"] = len(os.environ["PATH"].split(os.pathsep))
        """, writes={"path_parts"}, prunable=False, effects={"env"}),
    case("s-getenv-factor", S, """
        import os
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                factor = float(os.getenv("PRICE_FACTOR", "1.0"))
                out["price_adj"] = row["price"] * factor
        """, reads={"price"}, writes={"price_adj"}, prunable=False, effects={"env"}),
    case("s-environ-get-from-import", S, """
        from os import environ
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["region"] = environ.get("REGION", "eu")
                out["a"] = row["a"]
        """, reads={"a"}, writes={"region", "a"}, prunable=False, effects={"env"}),
    case("s-environ-membership", S, """
        import os
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if "CDC_DEBUG" in os.environ:
                    out["debug_row"] = repr(row)
                out["n"] = row["n"]
        """, reads={"n"}, writes={"n"}, prunable=False, effects={"env"},
         note="CDC_DEBUG is not set when the corpus runs"),
    case("s-getenv-alias", S, """
        import os
        from plugin_sdk import Processor
        _env = os.getenv
        class P(Processor):
            def process(self, row, out):
                out["currency"] = _env("CURRENCY") or "EUR"
        """, writes={"currency"}, prunable=False, effects={"env"}),
    case("s-env-helper-module", S, {
        "plug": """
            import util
            from plugin_sdk import Processor
            class P(Processor):
                def process(self, row, out):
                    if util.feature_on("UPPER"):
                        out["title"] = row["title"].upper()
                    else:
                        out["title"] = row["title"]
            """,
        "util": """
            import os
            def feature_on(name):
                return os.environ.get("FEATURE_" + name) == "1"
            """,
    }, reads={"title"}, writes={"title"}, prunable=False, effects={"env"}),
    case("s-environ-write", S, """
        import os
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                os.environ["CDC_CORPUS_LAST_KIND"] = row["kind"]
                out["kind"] = row["kind"]
        """, reads={"kind"}, writes={"kind"}, prunable=False, effects={"env"},
         note="writes the process environment: an effect that outlives the call"),

    # ======================================================================== row values changed in place
    case("s-row-list-append", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                tags = row["tags"]
                tags.append("seen")
                out["ntags"] = len(tags)
        """, reads={"tags"}, writes={"ntags"}, prunable=False, rows=_tag_rows()),
    case("s-row-list-sort", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                row["tags"].sort()
                out["first_tag"] = row["tags"][0]
        """, reads={"tags"}, writes={"first_tag"}, prunable=False, rows=_tag_rows(),
         note="sorts the row's own list instead of a copy"),
    case("s-row-nested-dict-mark", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                meta = row["meta"]
                meta["processed"] = True
                out["src"] = meta.get("src", "unknown")
        """, reads={"meta"}, writes={"src"}, prunable=False, rows=_tag_rows()),

    # ======================================================================== negative controls: pure
    case("s-ok-local-list", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                acc = []
                for t in row["tags"]:
                    acc.append(t.upper())
                acc.sort()
                out["tags_upper"] = ",".join(acc)
        """, reads={"tags"}, writes={"tags_upper"}),
    case("s-ok-local-counter", S, """
        from collections import Counter
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                letters = Counter(row["title"].lower().replace(" ", ""))
                out["top_letter"] = letters.most_common(1)[0][0] if letters else None
        """, reads={"title"}, writes={"top_letter"}),
    case("s-ok-random-fresh-seeded", S, """
        import random
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                rng = random.Random(42)
                out["bucket"] = (rng.randint(0, 9) + row["a"]) % 10
        """, reads={"a"}, writes={"bucket"},
         note="a fresh generator with a constant seed per call is deterministic"),
    case("s-ok-random-seeded-by-row", S, """
        import random
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["sample_bucket"] = random.Random(row["title"]).randrange(100)
        """, reads={"title"}, writes={"sample_bucket"}),
    case("s-ok-sorted-copy", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                tags = list(row["tags"])
                tags.sort(reverse=True)
                out["tags_desc"] = tags
                out["tags_asc"] = sorted(row["tags"])
        """, reads={"tags"}, writes={"tags_desc", "tags_asc"}),
    case("s-ok-heapq-local", S, """
        import heapq
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                vals = [row["a"], row["b"], row["c"]]
                heapq.heapify(vals)
                heapq.heappush(vals, 0)
                out["two_smallest"] = [heapq.heappop(vals), heapq.heappop(vals)]
        """, reads={"a", "b", "c"}, writes={"two_smallest"}),
    case("s-ok-local-generator", S, """
        from plugin_sdk import Processor
        def _words(text):
            for w in text.split():
                yield w.strip().lower()
        class P(Processor):
            def process(self, row, out):
                words = _words(row["title"])
                first = next(words, "")
                rest = list(words)
                out["first_word"] = first
                out["n_words"] = (1 if first else 0) + len(rest)
        """, reads={"title"}, writes={"first_word", "n_words"}),
    case("s-ok-fromisoformat", S, """
        from datetime import datetime
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                d = datetime.fromisoformat(row["day"])
                out["weekday"] = d.weekday()
                out["month"] = d.strftime("%Y-%m")
        """, reads={"day"}, writes={"weekday", "month"}, rows=DAY_ROWS),
    case("s-ok-time-strptime", S, """
        import time
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["yday"] = time.strptime(row["day"], "%Y-%m-%d").tm_yday
        """, reads={"day"}, writes={"yday"}, rows=DAY_ROWS,
         note="uses the time module, but only to parse a row value"),
    case("s-ok-datetime-arith", S, """
        from datetime import date, timedelta
        from plugin_sdk import Processor
        EPOCH = date(2024, 1, 1)
        class P(Processor):
            def process(self, row, out):
                out["due"] = (EPOCH + timedelta(days=row["n"])).isoformat()
        """, reads={"n"}, writes={"due"}),
    case("s-ok-sha256", S, """
        import hashlib
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                h = hashlib.sha256()
                h.update(row["title"].encode("utf-8"))
                out["title_hash"] = h.hexdigest()[:16]
        """, reads={"title"}, writes={"title_hash"}),
    case("s-ok-uuid5", S, """
        import uuid
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["title_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, row["title"]))
        """, reads={"title"}, writes={"title_id"},
         note="uuid5 is a hash of its arguments, unlike uuid4"),
    case("s-ok-re-module-level", S, """
        import re
        from plugin_sdk import Processor
        _WS = re.compile(r"\\s+")
        class P(Processor):
            def process(self, row, out):
                out["title_clean"] = _WS.sub(" ", row["title"]).strip()
        """, reads={"title"}, writes={"title_clean"}),
    case("s-ok-module-dict-constant", S, """
        from plugin_sdk import Processor
        RATES = {"A": 0.07, "B": 0.19, "C": 0.0}
        class P(Processor):
            def process(self, row, out):
                out["tax"] = round(row["price"] * RATES.get(row["kind"], 0.0), 2)
        """, reads={"price", "kind"}, writes={"tax"}),
    case("s-ok-global-decl-read-only", S, """
        from plugin_sdk import Processor
        THRESHOLD = 3
        class P(Processor):
            def process(self, row, out):
                global THRESHOLD
                out["over"] = row["qty"] > THRESHOLD
        """, reads={"qty"}, writes={"over"},
         note="a `global` statement with no assignment"),
    case("s-ok-frozen-dataclass", S, """
        from dataclasses import dataclass
        from plugin_sdk import Processor
        @dataclass(frozen=True)
        class Money:
            amount: float
            currency: str = "EUR"
            def cents(self):
                return round(self.amount * 100)
        class P(Processor):
            def process(self, row, out):
                m = Money(row["price"])
                out["cents"] = m.cents()
                out["currency"] = m.currency
        """, reads={"price"}, writes={"cents", "currency"}),
    case("s-ok-local-instance-mutated", S, """
        from plugin_sdk import Processor
        class Acc:
            def __init__(self):
                self.total = 0
            def add(self, v):
                self.total += v
                return self
        class P(Processor):
            def process(self, row, out):
                acc = Acc()
                for k in ("a", "b", "c"):
                    acc.add(row[k])
                out["abc_sum"] = acc.total
        """, reads={"a", "b", "c"}, writes={"abc_sum"}),
    case("s-ok-lru-cache-method", S, """
        import functools
        from plugin_sdk import Processor
        class P(Processor):
            @functools.lru_cache(maxsize=256)
            def _band(self, price):
                return "low" if price < 50 else "high"
            def process(self, row, out):
                out["band"] = self._band(row["price"])
        """, reads={"price"}, writes={"band"},
         note="lru_cache memoizes a pure function: no observable state"),
    case("s-ok-lru-cache-function", S, """
        from functools import lru_cache
        from plugin_sdk import Processor
        @lru_cache(maxsize=None)
        def normalize(title):
            return " ".join(title.split()).casefold()
        class P(Processor):
            def process(self, row, out):
                out["title_key"] = normalize(row["title"])
        """, reads={"title"}, writes={"title_key"}),
    case("s-ok-self-config-read", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.threshold = 5
                self.labels = {True: "big", False: "small"}
            def process(self, row, out):
                out["size"] = self.labels[row["qty"] > self.threshold]
        """, reads={"qty"}, writes={"size"}),
    case("s-ok-self-int-copied-local", S, """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.base = 100
            def process(self, row, out):
                total = self.base
                total += row["a"]
                out["score"] = total
        """, reads={"a"}, writes={"score"},
         note="augmented assignment on a local copy of an int from self"),
    case("s-ok-local-deque", S, """
        from collections import deque
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                last_two = deque(row["tags"], maxlen=2)
                last_two.appendleft("head")
                out["last_tags"] = list(last_two)
        """, reads={"tags"}, writes={"last_tags"}),
    case("s-ok-copy-of-module-list", S, """
        from plugin_sdk import Processor
        DEFAULT_TAGS = ["new"]
        class P(Processor):
            def process(self, row, out):
                tags = list(DEFAULT_TAGS)
                tags.extend(row["tags"])
                out["all_tags"] = tags
        """, reads={"tags"}, writes={"all_tags"}),
    case("s-ok-deepcopy-template", S, """
        import copy
        from plugin_sdk import Processor
        TEMPLATE = {"source": "cdc", "tags": []}
        class P(Processor):
            def process(self, row, out):
                rec = copy.deepcopy(TEMPLATE)
                rec["tags"].append(row["kind"])
                out["n_tags"] = len(rec["tags"])
        """, reads={"kind"}, writes={"n_tags"},
         note="the deep-copy twin of s-global-shallow-copy-shared"),
    case("s-ok-local-count-zip", S, """
        import itertools
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["tag_pos"] = dict(zip(row["tags"], itertools.count()))
        """, reads={"tags"}, writes={"tag_pos"}),
    case("s-ok-local-closure-counter", S, """
        from plugin_sdk import Processor
        def make_counter():
            n = 0
            def nxt():
                nonlocal n
                n += 1
                return n
            return nxt
        class P(Processor):
            def process(self, row, out):
                nxt = make_counter()
                for _ in row["tags"]:
                    nxt()
                out["ntags"] = nxt() - 1
        """, reads={"tags"}, writes={"ntags"},
         note="the counter factory of s-nonlocal-counter-factory, but a fresh counter per call"),
    case("s-ok-frozenset-stopwords", S, """
        from plugin_sdk import Processor
        STOP = frozenset({"the", "a", "an"})
        class P(Processor):
            def process(self, row, out):
                words = [w for w in row["title"].lower().split() if w not in STOP]
                out["keywords"] = words
        """, reads={"title"}, writes={"keywords"}),
    case("s-ok-external-pure", S, """
        from vendorlib import clean
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["title"] = clean(row["title"])
        """, reads={"title"}, writes={"title"},
         external={"vendorlib": """
            def clean(s):
                return " ".join(s.split())
            """},
         note="pure, but in code the analyzer cannot see: unprunable there is imprecise, not unsound"),
    case("s-ok-env-at-import", S, """
        import os
        from plugin_sdk import Processor
        FACTOR = float(os.getenv("PRICE_FACTOR", "1.0"))
        class P(Processor):
            def process(self, row, out):
                out["price_adj"] = row["price"] * FACTOR
        """, reads={"price"}, writes={"price_adj"},
         note="the environment is read once at import: a constant for the job"),
]
