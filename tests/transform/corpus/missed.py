"""Adversarial cases: writes and reads an analyzer could miss ("missed"), and must-writes that
are not certain ("certain"). Every label is checked by running the code (see harness.py)."""
from tests.transform.corpus.harness import ALL, case

_KEYED_ROWS = (
    {"a": 1, "b": 2, "d": "12", "flag": True},
    {"a": 0, "b": 3, "d": "x", "flag": False},
)

MISSED = [
    # ------------------------------------------------------------------ out |= {...}
    case("m-ior-two-keys", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out |= {"total": row["price"] * row["qty"], "label": row.get("title", "").strip()}
        """, reads={"price", "qty", "title"}, writes={"total", "label"}, must={"total", "label"}),
    case("m-ior-dict-call", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out |= dict(a2=row["a"] * 2)
        """, reads={"a"}, writes={"a2"}, must={"a2"}),
    case("m-ior-alias", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                result = out
                result |= {"kind_lower": row["kind"].lower()}
        """, reads={"kind"}, writes={"kind_lower"}, must={"kind_lower"}),
    case("m-ior-helper", "missed", """
        from plugin_sdk import Processor
        def derive(row):
            return {"discounted": row["price"] * 0.9}
        class P(Processor):
            def process(self, row, out):
                out |= derive(row)
        """, reads={"price"}, writes={"discounted"}, must={"discounted"}),
    case("m-ior-conditional", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out |= {"big": True} if row["qty"] > 5 else {"small": True}
        """, reads={"qty"}, writes={"big", "small"}, must=set()),

    # ------------------------------------------------------------------ out.update(helper(row))
    case("m-update-helper-setdefault", "missed", """
        from plugin_sdk import Processor
        def first_tag(row):
            d = {}
            d.setdefault("first_tag", row["tags"][0] if row["tags"] else None)
            return d
        class P(Processor):
            def process(self, row, out):
                out.update(first_tag(row))
        """, reads={"tags"}, writes={"first_tag"}, must={"first_tag"}),
    case("m-update-helper-dict-kwargs", "missed", """
        from plugin_sdk import Processor
        def build(row):
            return dict(a_plus_b=row["a"] + row["b"])
        class P(Processor):
            def process(self, row, out):
                out.update(build(row))
        """, reads={"a", "b"}, writes={"a_plus_b"}, must={"a_plus_b"}),
    case("m-helper-fills-param", "missed", """
        from plugin_sdk import Processor
        def fill(target, row):
            target["title_len"] = len(row["title"])
        class P(Processor):
            def process(self, row, out):
                fill(out, row)
        """, reads={"title"}, writes={"title_len"}, must={"title_len"}),
    case("m-update-helper-chain", "missed", """
        from plugin_sdk import Processor
        def base(row):
            d = dict()
            d["qty"] = row.get("qty")
            return d
        def enriched(row):
            d = base(row)
            d["has_e"] = row.get("e") is not None
            return d
        class P(Processor):
            def process(self, row, out):
                out.update(enriched(row))
        """, reads={"qty", "e"}, writes={"qty", "has_e"}, must={"qty", "has_e"}),
    case("m-update-helper-tag-keys", "missed", """
        from plugin_sdk import Processor
        def tag_flags(row):
            return {"tag_" + t: True for t in row["tags"]}
        class P(Processor):
            def process(self, row, out):
                out.update(tag_flags(row))
        """, reads={"tags"}, writes=ALL),

    # ------------------------------------------------------------------ out.update(**kw), zip, pairs
    case("m-update-kwargs-splat", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                kw = {"price_x2": row["price"] * 2}
                out.update(**kw)
        """, reads={"price"}, writes={"price_x2"}, must={"price_x2"}),
    case("m-update-kwargs-mixed", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.update(qty_pos=row["qty"] > 0, **{"a_neg": row["a"] < 0})
        """, reads={"qty", "a"}, writes={"qty_pos", "a_neg"}, must={"qty_pos", "a_neg"}),
    case("m-update-kwargs-helper", "missed", """
        from plugin_sdk import Processor
        def options(row):
            return {"n_sq": row["n"] ** 2}
        class P(Processor):
            def process(self, row, out):
                out.update(**options(row))
        """, reads={"n"}, writes={"n_sq"}, must={"n_sq"}),
    case("m-update-zip-keys", "missed", """
        from plugin_sdk import Processor
        KEYS = ("lo", "hi")
        class P(Processor):
            def process(self, row, out):
                out.update(zip(KEYS, sorted((row["a"], row["b"]))))
        """, reads={"a", "b"}, writes={"lo", "hi"}, must={"lo", "hi"}),
    case("m-update-dict-zip", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.update(dict(zip(["p", "q"], [row["price"], row["qty"]])))
        """, reads={"price", "qty"}, writes={"p", "q"}, must={"p", "q"}),
    case("m-update-pairs", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.update([("k1", row["c"]), ("k2", row["d"])])
        """, reads={"c", "d"}, writes={"k1", "k2"}, must={"k1", "k2"}),
    case("m-update-zip-short", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.update(zip(("first", "second"), row["tags"]))
        """, reads={"tags"}, writes={"first", "second"}, must=set(),
        note="zip stops at the shorter input: an empty tags list writes nothing"),

    # ------------------------------------------------------------------ unbound and dunder writes
    case("m-dict-update-unbound", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                dict.update(out, doubled=row["n"] * 2)
        """, reads={"n"}, writes={"doubled"}, must={"doubled"}),
    case("m-dict-setitem-unbound", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                dict.__setitem__(out, "c_str", str(row["c"]))
        """, reads={"c"}, writes={"c_str"}, must={"c_str"}),
    case("m-type-out-update", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                type(out).update(out, {"flag_inv": not row["flag"]})
        """, reads={"flag"}, writes={"flag_inv"}, must={"flag_inv"}),
    case("m-dunder-setitem", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.__setitem__("e_none", row["e"] is None)
        """, reads={"e"}, writes={"e_none"}, must={"e_none"}),
    case("m-bound-setitem-alias", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                put = out.__setitem__
                put("qty2", row["qty"])
                put("a2", row["a"])
        """, reads={"qty", "a"}, writes={"qty2", "a2"}, must={"qty2", "a2"}),
    case("m-operator-setitem", "missed", """
        import operator
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                operator.setitem(out, "dsize", len(row["d"]))
        """, reads={"d"}, writes={"dsize"}, must={"dsize"}),
    case("m-operator-setitem-from", "missed", """
        from operator import setitem as put
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                put(out, "kind_a", row["kind"] == "A")
        """, reads={"kind"}, writes={"kind_a"}, must={"kind_a"}),
    case("m-partial-setitem", "missed", """
        import functools
        import operator
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                emit = functools.partial(operator.setitem, out)
                emit("b_abs", abs(row["b"]))
        """, reads={"b"}, writes={"b_abs"}, must={"b_abs"}),
    case("m-itemgetter-reads", "missed", """
        import operator
        from plugin_sdk import Processor
        pick = operator.itemgetter("a", "b")
        class P(Processor):
            def process(self, row, out):
                a, b = pick(row)
                out["ab"] = a * b
        """, reads={"a", "b"}, writes={"ab"}, must={"ab"}),
    case("m-map-setitem", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                list(map(out.__setitem__, ("x", "y"), (row["a"], row["b"])))
        """, reads={"a", "b"}, writes={"x", "y"}, must={"x", "y"}),

    # ------------------------------------------------------------------ constant containers changed
    case("m-keys-extend", "missed", """
        from plugin_sdk import Processor
        FIELDS = ["price"]
        FIELDS.extend(["qty", "n"])
        class P(Processor):
            def process(self, row, out):
                for f in FIELDS:
                    out[f + "_in"] = row[f]
        """, reads={"price", "qty", "n"}, writes={"price_in", "qty_in", "n_in"},
        must={"price_in", "qty_in", "n_in"}),
    case("m-keys-iadd", "missed", """
        from plugin_sdk import Processor
        FIELDS = ["a"]
        FIELDS += ["c"]
        class P(Processor):
            def process(self, row, out):
                out["sum"] = sum(row[f] for f in FIELDS)
        """, reads={"a", "c"}, writes={"sum"}, must={"sum"}),
    case("m-rename-map-setitem", "missed", """
        from plugin_sdk import Processor
        RENAME = {"a": "alpha"}
        RENAME["b"] = "beta"
        class P(Processor):
            def process(self, row, out):
                for src, dst in RENAME.items():
                    out[dst] = row[src]
        """, reads={"a", "b"}, writes={"alpha", "beta"}, must={"alpha", "beta"}),
    case("m-keys-insert-front", "missed", """
        from plugin_sdk import Processor
        ORDER = ["qty"]
        ORDER.insert(0, "price")
        class P(Processor):
            def process(self, row, out):
                out["first"] = row[ORDER[0]]
        """, reads={"price"}, writes={"first"}, must={"first"}),
    case("m-keys-item-replaced", "missed", """
        from plugin_sdk import Processor
        COLS = ["a", "b"]
        COLS[1] = "c"
        class P(Processor):
            def process(self, row, out):
                out["pair"] = tuple(row[c] for c in COLS)
        """, reads={"a", "c"}, writes={"pair"}, must={"pair"}),
    case("m-keys-registered", "missed", """
        from plugin_sdk import Processor
        KEYS = []
        def register(*names):
            KEYS.extend(names)
        register("price", "qty")
        class P(Processor):
            def process(self, row, out):
                total = 1
                for k in KEYS:
                    total *= row[k]
                out["total"] = total
        """, reads={"price", "qty"}, writes={"total"}, must={"total"}),
    case("m-keys-loop-append", "missed", """
        from plugin_sdk import Processor
        OUTPUTS = []
        for _field in ("a", "b"):
            OUTPUTS.append(_field + "_sq")
        class P(Processor):
            def process(self, row, out):
                for name in OUTPUTS:
                    out[name] = row[name[0]] ** 2
        """, reads={"a", "b"}, writes={"a_sq", "b_sq"}, must={"a_sq", "b_sq"}),
    case("m-keys-other-module-appends", "missed", {
        "plug": """
            from plugin_sdk import Processor
            KEYS = ["a"]
            class P(Processor):
                def process(self, row, out):
                    for k in KEYS:
                        out["copy_" + k] = row[k]
            import other  # registers the extra fields
            """,
        "other": """
            import plug
            plug.KEYS.append("qty")
            """},
        reads={"a", "qty"}, writes={"copy_a", "copy_qty"}, must={"copy_a", "copy_qty"}),
    case("m-keys-shared-config", "missed", {
        "plug": """
            from plugin_sdk import Processor
            from config import FIELDS
            import extras
            class P(Processor):
                def process(self, row, out):
                    for f in FIELDS:
                        out[f"has_{f}"] = bool(row[f])
            """,
        "config": """
            FIELDS = ["price"]
            """,
        "extras": """
            from config import FIELDS
            FIELDS.append("title")
            """},
        reads={"price", "title"}, writes={"has_price", "has_title"}, must={"has_price", "has_title"}),
    case("m-config-rebound-elsewhere", "missed", {
        "plug": """
            import config
            import setup_fields
            from plugin_sdk import Processor
            class P(Processor):
                def process(self, row, out):
                    out["v"] = row[config.FIELD]
            """,
        "config": """
            FIELD = "a"
            """,
        "setup_fields": """
            import config
            config.FIELD = "b"
            """},
        reads={"b"}, writes={"v"}, must={"v"}),
    case("m-other-module-updates-map", "missed", {
        "plug": """
            from plugin_sdk import Processor
            ALIASES = {"title": "name"}
            class P(Processor):
                def process(self, row, out):
                    for src, dst in ALIASES.items():
                        out[dst] = row[src]
            import aliases_extra
            """,
        "aliases_extra": """
            from plug import ALIASES
            ALIASES.update(kind="category")
            """},
        reads={"title", "kind"}, writes={"name", "category"}, must={"name", "category"}),
    case("m-init-appends-module-list", "missed", """
        from plugin_sdk import Processor
        KEYS = ["a"]
        class P(Processor):
            def __init__(self):
                if "b" not in KEYS:
                    KEYS.append("b")
            def process(self, row, out):
                for k in KEYS:
                    out[k + "_neg"] = -row[k]
        """, reads={"a", "b"}, writes={"a_neg", "b_neg"}, must={"a_neg", "b_neg"}),
    case("m-init-appends-class-list", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            FIELDS = ["a"]
            def __init__(self):
                self.FIELDS.append("n")
            def process(self, row, out):
                out["total"] = sum(row[f] for f in self.FIELDS)
        """, reads={"a", "n"}, writes={"total"}, must={"total"}),
    case("m-init-copies-map", "missed", """
        from plugin_sdk import Processor
        MAPPING = {"a": "a_out"}
        class P(Processor):
            def __init__(self):
                self.mapping = dict(MAPPING)
                self.mapping["d"] = "d_out"
            def process(self, row, out):
                for src, dst in self.mapping.items():
                    out[dst] = row[src]
        """, reads={"a", "d"}, writes={"a_out", "d_out"}, must={"a_out", "d_out"}),
    case("m-setattr-loop-fields", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            source = "a"
            target = "a_copy"
            def process(self, row, out):
                out[self.target] = row[self.source]
        for _name, _value in (("source", "price"), ("target", "price_copy")):
            setattr(P, _name, _value)
        """, reads={"price"}, writes={"price_copy"}, must={"price_copy"}),
    case("m-setattr-loop-getters", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["q"] = self.get_qty(row)
        for _f in ("qty", "n"):
            setattr(P, "get_" + _f, lambda self, row, f=_f: row[f])
        """, reads={"qty"}, writes={"q"}, must={"q"}),
    case("m-init-subclass-field", "missed", """
        from plugin_sdk import Processor
        class Base(Processor):
            field = "a"
            def __init_subclass__(cls, field="a", **kw):
                super().__init_subclass__(**kw)
                cls.field = field
            def process(self, row, out):
                out["v"] = row[self.field]
        class P(Base, field="price"):
            pass
        """, reads={"price"}, writes={"v"}, must={"v"}),
    case("m-init-subclass-outputs", "missed", """
        from plugin_sdk import Processor
        class Base(Processor):
            inputs = ()
            outputs = ()
            def __init_subclass__(cls, **kw):
                super().__init_subclass__(**kw)
                cls.outputs = tuple(cls.__name__.lower() + "_" + f for f in cls.inputs)
            def process(self, row, out):
                for src, dst in zip(self.inputs, self.outputs):
                    out[dst] = row[src]
        class P(Base):
            inputs = ("a", "qty")
        """, reads={"a", "qty"}, writes={"p_a", "p_qty"}, must={"p_a", "p_qty"}),
    case("m-classattr-reassigned", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            FIELD = "a"
            def process(self, row, out):
                out["picked"] = row[self.FIELD]
        P.FIELD = "qty"
        """, reads={"qty"}, writes={"picked"}, must={"picked"}),
    case("m-classattr-out-key-reassigned", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            OUT = "x"
            def process(self, row, out):
                out[self.OUT] = row["a"]
        P.OUT = "a_copy"
        """, reads={"a"}, writes={"a_copy"}, must={"a_copy"}),
    case("m-process-replaced-after-class", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["v1"] = row["a"]
        def _process_v2(self, row, out):
            out["v2"] = row["b"]
        P.process = _process_v2
        """, reads={"b"}, writes={"v2"}, must={"v2"}),

    # ------------------------------------------------------------------ decorators
    case("m-deco-process-stamp", "missed", """
        from plugin_sdk import Processor
        def stamped(fn):
            def wrapper(self, row, out):
                fn(self, row, out)
                out["_seen"] = True
            return wrapper
        class P(Processor):
            @stamped
            def process(self, row, out):
                out["x"] = row["a"]
        """, reads={"a"}, writes={"x", "_seen"}, must={"x", "_seen"}),
    case("m-deco-process-guard", "missed", """
        import functools
        from plugin_sdk import Processor
        def only_flagged(fn):
            @functools.wraps(fn)
            def wrapper(self, row, out):
                if not row.get("flag"):
                    return
                return fn(self, row, out)
            return wrapper
        class P(Processor):
            @only_flagged
            def process(self, row, out):
                out["x"] = row["a"]
        """, reads={"flag", "a"}, writes={"x"}, must=set()),
    case("m-deco-process-rename", "missed", """
        from plugin_sdk import Processor
        def rename(old, new):
            def deco(fn):
                def wrapper(self, row, out):
                    tmp = {}
                    fn(self, row, tmp)
                    tmp[new] = tmp.pop(old)
                    out.update(tmp)
                return wrapper
            return deco
        class P(Processor):
            @rename("total", "amount")
            def process(self, row, out):
                out["total"] = row["price"] * row["qty"]
        """, reads={"price", "qty"}, writes={"amount"}, must={"amount"}),
    case("m-deco-helper-adds-key", "missed", """
        import functools
        from plugin_sdk import Processor
        def with_currency(fn):
            @functools.wraps(fn)
            def inner(row):
                d = fn(row)
                d["currency"] = row.get("e") or "EUR"
                return d
            return inner
        @with_currency
        def price_fields(row):
            return {"price_net": row["price"] / 1.2}
        class P(Processor):
            def process(self, row, out):
                out.update(price_fields(row))
        """, reads={"price", "e"}, writes={"price_net", "currency"}, must={"price_net", "currency"}),
    case("m-deco-helper-reads-field", "missed", """
        from plugin_sdk import Processor
        def from_field(name):
            def deco(fn):
                return lambda row: fn(row[name])
            return deco
        @from_field("qty")
        def doubled(value):
            return value * 2
        class P(Processor):
            def process(self, row, out):
                out["q2"] = doubled(row)
        """, reads={"qty"}, writes={"q2"}, must={"q2"}),
    case("m-deco-class-audit", "missed", """
        from plugin_sdk import Processor
        def audited(cls):
            inner = cls.process
            def process(self, row, out):
                inner(self, row, out)
                out["audit"] = row.get("kind")
            cls.process = process
            return cls
        @audited
        class P(Processor):
            def process(self, row, out):
                out["x"] = row["a"]
        """, reads={"a", "kind"}, writes={"x", "audit"}, must={"x", "audit"}),
    case("m-deco-class-subclass", "missed", """
        from plugin_sdk import Processor
        def wrapped(cls):
            class Wrapped(cls):
                def process(self, row, out):
                    super().process(row, out)
                    out["wrapped_b"] = row["b"]
            return Wrapped
        @wrapped
        class P(Processor):
            def process(self, row, out):
                out["x"] = row["a"]
        """, reads={"a", "b"}, writes={"x", "wrapped_b"}, must={"x", "wrapped_b"}),
    case("m-deco-class-configure", "missed", """
        from plugin_sdk import Processor
        def configure(**attrs):
            def deco(cls):
                for k, v in attrs.items():
                    setattr(cls, k, v)
                return cls
            return deco
        @configure(field="title")
        class P(Processor):
            field = "d"
            def process(self, row, out):
                out["length"] = len(row[self.field])
        """, reads={"title"}, writes={"length"}, must={"length"}),
    case("m-lru-cache-key", "missed", """
        import functools
        from plugin_sdk import Processor
        @functools.lru_cache(maxsize=None)
        def key_for(kind):
            return "is_" + kind.lower()
        class P(Processor):
            def process(self, row, out):
                out[key_for(row["kind"])] = True
        """, reads={"kind"}, writes=ALL),
    case("m-cache-fields", "missed", """
        from functools import cache
        from plugin_sdk import Processor
        @cache
        def fields():
            return ("price", "qty")
        class P(Processor):
            def process(self, row, out):
                for f in fields():
                    out[f + "_f"] = float(row[f])
        """, reads={"price", "qty"}, writes={"price_f", "qty_f"}, must={"price_f", "qty_f"}),
    case("m-staticmethod-process", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            @staticmethod
            def process(row, out):
                out["s"] = row["a"]
        """, reads={"a"}, writes={"s"}, must={"s"}),
    case("m-classmethod-process", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            KEY = "cb"
            @classmethod
            def process(cls, row, out):
                out[cls.KEY] = row["b"]
        """, reads={"b"}, writes={"cb"}, must={"cb"}),
    case("m-property-field", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            @property
            def field(self):
                return "qty"
            def process(self, row, out):
                out["q"] = row[self.field]
        """, reads={"qty"}, writes={"q"}, must={"q"}),
    case("m-nested-deco-records", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                def record(fn):
                    def inner(*a):
                        out["called_" + fn.__name__] = True
                        return fn(*a)
                    return inner
                @record
                def double(v):
                    return v * 2
                out["n2"] = double(row["n"])
        """, reads={"n"}, writes={"called_double", "n2"}, must={"called_double", "n2"}),

    # ------------------------------------------------------------------ how process is defined
    case("m-process-under-if-version", "missed", """
        import sys
        from plugin_sdk import Processor
        class P(Processor):
            if sys.version_info >= (3, 8):
                def process(self, row, out):
                    out["modern"] = row["a"]
            else:
                def process(self, row, out):
                    out["legacy"] = row["b"]
        """, reads={"a"}, writes={"modern"}, must={"modern"}),
    case("m-process-redefined-under-flag", "missed", """
        from plugin_sdk import Processor
        USE_V2 = True
        class P(Processor):
            def process(self, row, out):
                out["v1"] = row["a"]
            if USE_V2:
                def process(self, row, out):
                    out["v2"] = row["b"]
        """, reads={"b"}, writes={"v2"}, must={"v2"}),
    case("m-process-defined-twice", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["old"] = row["a"]
            # rewritten for the new schema
            def process(self, row, out):
                out["new"] = row["c"]
        """, reads={"c"}, writes={"new"}, must={"new"}),
    case("m-process-assigned-function", "missed", """
        from plugin_sdk import Processor
        def _impl(self, row, out):
            out["impl"] = row["d"]
        class P(Processor):
            process = _impl
        """, reads={"d"}, writes={"impl"}, must={"impl"}),
    case("m-process-lambda-update", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            process = lambda self, row, out: out.update(x=row["a"])
        """, reads={"a"}, writes={"x"}, must={"x"}),
    case("m-process-lambda-setitem", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            process = lambda self, row, out: out.__setitem__("y", row["b"])
        """, reads={"b"}, writes={"y"}, must={"y"}),
    case("m-process-from-other-module", "missed", {
        "plug": """
            from plugin_sdk import Processor
            from impl import process as _process
            class P(Processor):
                process = _process
            """,
        "impl": """
            def process(self, row, out):
                out["from_impl"] = row["qty"] + 1
            """},
        reads={"qty"}, writes={"from_impl"}, must={"from_impl"}),
    case("m-process-in-class-try", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            try:
                import _no_such_speedups  # optional accelerator
            except ImportError:
                def process(self, row, out):
                    out["slow"] = row["c"]
            else:
                def process(self, row, out):
                    out["fast"] = row["a"]
        """, reads={"c"}, writes={"slow"}, must={"slow"}),
    case("m-process-from-mixin", "missed", """
        from plugin_sdk import Processor
        class CountMixin:
            def process(self, row, out):
                out["mixin_n"] = row["n"]
        class P(CountMixin, Processor):
            pass
        """, reads={"n"}, writes={"mixin_n"}, must={"mixin_n"}),

    # ------------------------------------------------------------------ diamonds (C3 MRO)
    case("m-diamond-helper", "missed", """
        from plugin_sdk import Processor
        class Base(Processor):
            def fields(self):
                return ["a"]
            def process(self, row, out):
                for f in self.fields():
                    out[f + "_x"] = row[f]
        class Left(Base):
            pass
        class Right(Base):
            def fields(self):
                return ["b"]
        class P(Left, Right):
            pass
        """, reads={"b"}, writes={"b_x"}, must={"b_x"},
        note="C3: P, Left, Right, Base -> Right.fields (depth-first would pick Base.fields)"),
    case("m-diamond-process", "missed", """
        from plugin_sdk import Processor
        class Base(Processor):
            def process(self, row, out):
                out["base"] = row["a"]
        class Left(Base):
            def helper(self):
                return 1
        class Right(Base):
            def process(self, row, out):
                out["right"] = row["c"]
        class P(Left, Right):
            pass
        """, reads={"c"}, writes={"right"}, must={"right"}),
    case("m-diamond-super-chain", "missed", """
        from plugin_sdk import Processor
        class Base(Processor):
            def process(self, row, out):
                out["base"] = row["a"]
        class Left(Base):
            def process(self, row, out):
                out["left"] = row["b"]
                super().process(row, out)
        class Right(Base):
            def process(self, row, out):
                out["right"] = row["c"]
                super().process(row, out)
        class P(Left, Right):
            pass
        """, reads={"a", "b", "c"}, writes={"left", "right", "base"}, must={"left", "right", "base"},
        note="Left's super() is Right in P's MRO"),
    case("m-diamond-class-attr", "missed", """
        from plugin_sdk import Processor
        class Base(Processor):
            FIELD = "a"
            def process(self, row, out):
                out["picked"] = row[self.FIELD]
        class Left(Base):
            pass
        class Right(Base):
            FIELD = "price"
        class P(Left, Right):
            pass
        """, reads={"price"}, writes={"picked"}, must={"picked"}),

    # ------------------------------------------------------------------ nested functions and classes
    case("m-nested-class-captures-row", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                class Line:
                    qty = row["qty"]
                    def total(self):
                        return self.qty * row["price"]
                out["total"] = Line().total()
        """, reads={"qty", "price"}, writes={"total"}, must={"total"}),
    case("m-nested-class-sink", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                class Prefixed:
                    def __setitem__(self, key, value):
                        out["s_" + key] = value
                sink = Prefixed()
                sink["a"] = row["a"]
        """, reads={"a"}, writes={"s_a"}, must={"s_a"}),
    case("m-nested-closure-getter", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                def getter(name):
                    return lambda: row[name]
                out["t"] = getter("title")()
        """, reads={"title"}, writes={"t"}, must={"t"}),

    # ------------------------------------------------------------------ row/out through *args/**kwargs
    case("m-args-put", "missed", """
        from plugin_sdk import Processor
        def put(*args):
            args[1]["x"] = args[0]["a"]
        class P(Processor):
            def process(self, row, out):
                put(row, out)
        """, reads={"a"}, writes={"x"}, must={"x"}),
    case("m-kwargs-put", "missed", """
        from plugin_sdk import Processor
        def put(**kw):
            kw["out"]["y"] = kw["row"].get("b")
        class P(Processor):
            def process(self, row, out):
                put(row=row, out=out)
        """, reads={"b"}, writes={"y"}, must={"y"}),
    case("m-args-format-key", "missed", """
        from plugin_sdk import Processor
        def key(*parts):
            return "_".join(str(p) for p in parts)
        class P(Processor):
            def process(self, row, out):
                out[key("sum", "a", "b")] = row["a"] + row["b"]
        """, reads={"a", "b"}, writes={"sum_a_b"}, must={"sum_a_b"}),
    case("m-args-str-row", "missed", """
        from plugin_sdk import Processor
        def describe(*parts):
            return " ".join(map(str, parts))
        class P(Processor):
            def process(self, row, out):
                out["desc"] = describe("row:", row)
        """, reads=ALL, writes={"desc"}, must={"desc"}),
    case("m-kwargs-iterate", "missed", """
        from plugin_sdk import Processor
        def count(**kw):
            return sum(1 for _ in kw["r"])
        class P(Processor):
            def process(self, row, out):
                out["nfields"] = count(r=row)
        """, reads=ALL, writes={"nfields"}, must={"nfields"}),
    case("m-args-apply-update", "missed", """
        from plugin_sdk import Processor
        def apply(fn, *args, **kwargs):
            return fn(*args, **kwargs)
        class P(Processor):
            def process(self, row, out):
                apply(out.update, {"c2": row["c"]})
        """, reads={"c"}, writes={"c2"}, must={"c2"}),
    case("m-kwargs-merge", "missed", """
        from plugin_sdk import Processor
        def merge(target, **fields):
            target.update(fields)
        class P(Processor):
            def process(self, row, out):
                merge(out, a_abs=abs(row["a"]))
        """, reads={"a"}, writes={"a_abs"}, must={"a_abs"}),
    case("m-args-star-unpack", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def _step(self, *io):
                row, out = io
                out["d_up"] = row["d"].upper()
            def process(self, row, out):
                self._step(*[row, out])
        """, reads={"d"}, writes={"d_up"}, must={"d_up"}),

    # ------------------------------------------------------------------ the whole row touched
    case("m-in-chain-row-in", "missed", """
        from plugin_sdk import Processor
        EMPTY_ROWS = ({},)
        class P(Processor):
            def process(self, row, out):
                if "a" in row in EMPTY_ROWS:
                    return
                out["ok"] = True
        """, reads=ALL, writes={"ok"}, must={"ok"},
        note='`"a" in row in C` is `"a" in row and row in C`: the second compares row with {}'),
    case("m-row-eq-guard", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if row == {}:
                    return
                out["nonempty"] = True
        """, reads=ALL, writes={"nonempty"}, must={"nonempty"}),
    case("m-row-ne-constant", "missed", """
        from plugin_sdk import Processor
        EMPTY = {}
        class P(Processor):
            def process(self, row, out):
                out["changed"] = row != EMPTY
        """, reads=ALL, writes={"changed"}, must={"changed"}),
    case("m-chained-compare", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if 0 < row["a"] < row["b"] <= row["c"]:
                    out["ordered"] = True
                else:
                    out["ordered"] = False
        """, reads={"a", "b", "c"}, writes={"ordered"}, must={"ordered"}),
    case("m-fstring-row", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["debug"] = f"{row}"
        """, reads=ALL, writes={"debug"}, must={"debug"}),
    case("m-fstring-row-repr", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["dbg"] = f"kind={row['kind']} row={row!r}"
        """, reads=ALL, writes={"dbg"}, must={"dbg"}),
    case("m-str-row", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["size"] = len(str(row))
        """, reads=ALL, writes={"size"}, must={"size"}),
    case("m-len-row", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["width"] = len(row)
        """, reads=ALL, writes={"width"}, must={"width"}),
    case("m-bool-row", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if not row:
                    return
                out["x"] = row["a"]
        """, reads=ALL, writes={"x"}, must={"x"}),
    case("m-dict-of-row", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                data = dict(row)
                out["b2"] = data["b"] * 2
        """, reads=ALL, writes={"b2"}, must={"b2"}),
    case("m-splat-row", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                merged = {**row, "extra": 1}
                out["e2"] = merged["e"]
        """, reads=ALL, writes={"e2"}, must={"e2"}),
    case("m-sorted-row", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["first_key"] = sorted(row)[0]
        """, reads=ALL, writes={"first_key"}, must={"first_key"}),

    # ------------------------------------------------------------------ keys built from strings
    case("m-fstring-eq-key-const", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                k = "qty"
                out[f"{k=}"] = row[k]
        """, reads={"qty"}, writes={"k='qty'"}, must={"k='qty'"}),
    case("m-fstring-eq-key-data", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out[f"{row['kind']=}"] = 1
        """, reads={"kind"}, writes=ALL),
    case("m-fstring-eq-key-spec", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                n = 3
                out[f"{n = :02d}"] = row["n"]
        """, reads={"n"}, writes={"n = 03"}, must={"n = 03"}),
    case("m-percent-key", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for k in ("a", "b"):
                    out["%s_x" % k] = row[k]
        """, reads={"a", "b"}, writes={"a_x", "b_x"}, must={"a_x", "b_x"}),
    case("m-format-key", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["{}_{}".format("price", "eur")] = row["price"]
        """, reads={"price"}, writes={"price_eur"}, must={"price_eur"}),
    case("m-join-key", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["_".join(("qty", "pos"))] = row["qty"] > 0
        """, reads={"qty"}, writes={"qty_pos"}, must={"qty_pos"}),
    case("m-percent-dict-key", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["%(f)s_len" % {"f": "title"}] = len(row["title"])
        """, reads={"title"}, writes={"title_len"}, must={"title_len"}),
    case("m-template-key", "missed", """
        from string import Template
        from plugin_sdk import Processor
        KEY = Template("${f}_up")
        class P(Processor):
            def process(self, row, out):
                out[KEY.substitute(f="d")] = row["d"].upper()
        """, reads={"d"}, writes={"d_up"}, must={"d_up"}),
    case("m-format-module-template", "missed", """
        from plugin_sdk import Processor
        KEY = "{field}_norm"
        class P(Processor):
            def process(self, row, out):
                out[KEY.format(field="price")] = row["price"] / 100
        """, reads={"price"}, writes={"price_norm"}, must={"price_norm"}),
    case("m-upper-key", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for k in ("a",):
                    out[k.upper()] = row[k]
        """, reads={"a"}, writes={"A"}, must={"A"}),
    case("m-reversed-join-key", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["-".join(reversed(["a", "b"]))] = row["a"] - row["b"]
        """, reads={"a", "b"}, writes={"b-a"}, must={"b-a"}),
    case("m-slice-replace-key", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["quantity"[:3]] = row["qty"]
                out["price_raw".replace("_raw", "")] = row["price"]
        """, reads={"qty", "price"}, writes={"qua", "price"}, must={"qua", "price"}),
    case("m-data-key", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out[row["kind"]] = 1
        """, reads={"kind"}, writes=ALL),
    case("m-data-key-str", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["n_" + str(row["n"])] = True
        """, reads={"n"}, writes=ALL),
    case("m-data-key-bounded", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out[("off", "on")[row["flag"]]] = row["a"]
        """, reads={"flag", "a"}, writes={"off", "on"}, must=set()),
    case("m-data-read-key", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["v"] = row.get(row["kind"].lower())
        """, reads=ALL, writes={"v"}, must={"v"}),
]

CERTAIN = [
    # ------------------------------------------------------------------ out or a scratch dict
    case("c-cond-alias", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                o = out if row["flag"] else {}
                o["x"] = row["a"]
        """, reads={"flag", "a"}, writes={"x"}, must=set()),
    case("c-cond-subscript", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                (out if row["a"] > 0 else {})["pos"] = True
        """, reads={"a"}, writes={"pos"}, must=set()),
    case("c-cond-helper-target", "certain", """
        from plugin_sdk import Processor
        def target(row, out):
            return out if row["qty"] else {}
        class P(Processor):
            def process(self, row, out):
                target(row, out)["has_qty"] = True
        """, reads={"qty"}, writes={"has_qty"}, must=set()),
    case("c-swap-aliases", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                keep, scratch = out, {}
                if row["flag"]:
                    keep, scratch = scratch, keep
                keep["kept"] = row["b"]
        """, reads={"flag", "b"}, writes={"kept"}, must=set()),
    case("c-nullcontext-target", "certain", """
        import contextlib
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                with contextlib.nullcontext(out if row["flag"] else {}) as target:
                    target["nc"] = 1
        """, reads={"flag"}, writes={"nc"}, must=set()),

    # ------------------------------------------------------------------ out rebound
    case("c-rebound-after-alias", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                result = out
                out = {}
                out["x"] = 1
                result["y"] = row["a"]
        """, reads={"a"}, writes={"y"}, must={"y"}),
    case("c-rebound-copy", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["y"] = row["a"]
                out = dict(out)
                out["tmp"] = 0
        """, reads={"a"}, writes={"y"}, must={"y"}),
    case("c-rebound-in-helper", "certain", """
        from plugin_sdk import Processor
        def reset(out):
            out = {}
            out["x"] = 1
            return out
        class P(Processor):
            def process(self, row, out):
                reset(out)
                out["real"] = row["b"]
        """, reads={"b"}, writes={"real"}, must={"real"}),
    case("c-returns-dict-instead", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                return {"total": row["price"] * row["qty"]}
        """, reads={"price", "qty"}, writes=set(), must=set(),
        note="the result of process is ignored: nothing reaches out"),

    # ------------------------------------------------------------------ early exits and exceptions
    case("c-early-return", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if row["qty"] == 0:
                    return
                out["unit"] = row["price"] / row["qty"]
        """, reads={"qty", "price"}, writes={"unit"}, must=set()),
    case("c-early-return-empty-tags", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["n_tags"] = len(row["tags"])
                if not row["tags"]:
                    return
                out["last_tag"] = row["tags"][-1]
        """, reads={"tags"}, writes={"n_tags", "last_tag"}, must={"n_tags"}),
    case("c-try-div", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                try:
                    out["inv"] = 1 / row["qty"]
                except ZeroDivisionError:
                    pass
        """, reads={"qty"}, writes={"inv"}, must=set()),
    case("c-try-two-branches", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                try:
                    out["per_unit"] = row["price"] / row["qty"]
                except ZeroDivisionError:
                    out["no_units"] = True
        """, reads={"price", "qty"}, writes={"per_unit", "no_units"}, must=set()),
    case("c-try-partial-writes", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                try:
                    out["start"] = row["a"]
                    out["ratio"] = row["b"] / row["a"]
                except ZeroDivisionError:
                    pass
        """, reads={"a", "b"}, writes={"start", "ratio"}, must={"start"}),
    case("c-try-int-parse", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                try:
                    out["d_num"] = int(row["d"])
                except ValueError:
                    out["d_bad"] = True
        """, reads={"d"}, writes={"d_num", "d_bad"}, must=set(), rows=_KEYED_ROWS),
    case("c-try-else", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                try:
                    first = row["tags"][0]
                except IndexError:
                    pass
                else:
                    out["first"] = first
        """, reads={"tags"}, writes={"first"}, must=set()),
    case("c-try-finally-return", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                try:
                    if row["flag"]:
                        return
                    out["unflagged"] = True
                finally:
                    out["seen"] = True
        """, reads={"flag"}, writes={"unflagged", "seen"}, must={"seen"}),
    case("c-helper-raises-caught", "certain", """
        from plugin_sdk import Processor
        def validate(row):
            if not row["title"].strip():
                raise ValueError("empty title")
        class P(Processor):
            def process(self, row, out):
                try:
                    validate(row)
                    out["valid_title"] = row["title"].strip()
                except ValueError:
                    return
        """, reads={"title"}, writes={"valid_title"}, must=set()),
    case("c-assert-caught", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                try:
                    assert row["a"] > 0, "a must be positive"
                    out["pos_a"] = row["a"]
                except AssertionError:
                    out["bad_a"] = True
        """, reads={"a"}, writes={"pos_a", "bad_a"}, must=set()),
    case("c-assert-in-helper", "certain", """
        from plugin_sdk import Processor
        def check(row):
            assert row["title"], "empty title"
        class P(Processor):
            def process(self, row, out):
                out["checked"] = False
                try:
                    check(row)
                except AssertionError:
                    return
                out["checked"] = True
                out["title_ok"] = row["title"]
        """, reads={"title"}, writes={"checked", "title_ok"}, must={"checked"}),

    # ------------------------------------------------------------------ loops
    case("c-for-first-tag", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for t in row["tags"]:
                    out["first_tag"] = t
                    break
        """, reads={"tags"}, writes={"first_tag"}, must=set()),
    case("c-for-range-n", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for i in range(row["n"]):
                    out["last"] = i
        """, reads={"n"}, writes={"last"}, must=set()),
    case("c-for-enumerate", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for i, t in enumerate(row["tags"]):
                    out["last_idx"] = i
        """, reads={"tags"}, writes={"last_idx"}, must=set()),
    case("c-for-constant-cleared", "certain", """
        from plugin_sdk import Processor
        EXTRA = ["a"]
        EXTRA.clear()
        class P(Processor):
            def process(self, row, out):
                out["base"] = row["b"]
                for k in EXTRA:
                    out["extra_" + k] = row[k]
        """, reads={"b"}, writes={"base"}, must={"base"}),
    case("c-for-else-break", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for t in row["tags"]:
                    if t == "q":
                        break
                else:
                    out["no_q"] = True
        """, reads={"tags"}, writes={"no_q"}, must=set()),
    case("c-break-before-write", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for _ in range(1):
                    if row["flag"]:
                        break
                    out["not_flagged"] = True
        """, reads={"flag"}, writes={"not_flagged"}, must=set()),
    case("c-while-countdown", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                i = row["n"]
                while i > 0:
                    out["seen"] = i
                    i -= 1
        """, reads={"n"}, writes={"seen"}, must=set()),
    case("c-while-true-break", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                while True:
                    out["x"] = row["a"]
                    break
        """, reads={"a"}, writes={"x"}, must={"x"}),
    case("c-comprehension-setitem", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                [out.__setitem__("tag_" + t, True) for t in row["tags"]]
        """, reads={"tags"}, writes=ALL),

    # ------------------------------------------------------------------ with blocks
    case("c-with-suppress", "certain", """
        import contextlib
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                with contextlib.suppress(ZeroDivisionError):
                    out["ratio"] = row["price"] / row["qty"]
                out["after"] = True
        """, reads={"price", "qty"}, writes={"ratio", "after"}, must={"after"}),
    case("c-with-custom-swallow", "certain", """
        from plugin_sdk import Processor
        class Swallow:
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                return True
        def check(row):
            if row["d"] == "":
                raise ValueError("empty d")
        class P(Processor):
            def process(self, row, out):
                with Swallow():
                    check(row)
                    out["d_ok"] = True
                out["done"] = True
        """, reads={"d"}, writes={"d_ok", "done"}, must={"done"}),

    # ------------------------------------------------------------------ conditional forms
    case("c-short-circuit-update", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                row["flag"] and out.update(flagged=True)
        """, reads={"flag"}, writes={"flagged"}, must=set()),
    case("c-ternary-statement", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.update(expensive=True) if row["price"] > 100 else None
        """, reads={"price"}, writes={"expensive"}, must=set()),
    case("c-walrus", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if q := row["qty"]:
                    out["q"] = q
        """, reads={"qty"}, writes={"q"}, must=set()),
    case("c-match-kind", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                match row["kind"]:
                    case "A":
                        out["is_a"] = True
                    case "B":
                        out["is_b"] = True
                    case _:
                        pass
        """, reads={"kind"}, writes={"is_a", "is_b"}, must=set()),
    case("c-isinstance-guard", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                e = row["e"]
                if isinstance(e, str):
                    out["e_len"] = len(e)
        """, reads={"e"}, writes={"e_len"}, must=set()),
    case("c-nested-def-called-sometimes", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                def mark():
                    out["marked"] = row["a"]
                if row["b"] > 0:
                    mark()
        """, reads={"a", "b"}, writes={"marked"}, must=set()),
    case("c-setdefault", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.setdefault("x", row["a"])
        """, reads={"a"}, writes={"x"}, must={"x"}),

    # ------------------------------------------------------------------ keys removed again
    case("c-tmp-key-deleted", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["tmp"] = row["a"]
                out["y"] = out["tmp"] * 2
                del out["tmp"]
        """, reads={"a"}, writes={"y"}, must={"y"}),
    case("c-clear-conditional", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["x"] = row["a"]
                if row["flag"]:
                    out.clear()
        """, reads={"a", "flag"}, writes={"x"}, must=set()),
    case("c-pop-conditional", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["x"] = row["a"]
                out["y"] = row["b"]
                if row["b"] < 0:
                    out.pop("y")
        """, reads={"a", "b"}, writes={"x", "y"}, must={"x"}),

    # ------------------------------------------------------------------ process that runs nothing
    case("c-async-process", "certain", """
        import warnings
        from plugin_sdk import Processor
        warnings.filterwarnings("ignore", message="coroutine 'P.process' was never awaited")
        class P(Processor):
            async def process(self, row, out):
                out["x"] = row["a"]
        """, reads=set(), writes=set(), must=set(),
        note="calling it only creates a coroutine; the filter keeps the never-awaited warning "
             "off stderr so execution shows no output"),
    case("c-generator-process", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["x"] = row["a"]
                yield out
        """, reads=set(), writes=set(), must=set()),
    case("c-generator-yield-from", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for k in ("a", "b"):
                    out[k + "_copy"] = row[k]
                yield from ()
        """, reads=set(), writes=set(), must=set()),
    case("c-async-generator-process", "certain", """
        from plugin_sdk import Processor
        class P(Processor):
            async def process(self, row, out):
                out["x"] = row["a"]
                yield
        """, reads=set(), writes=set(), must=set()),
]

CASES = MISSED + CERTAIN
