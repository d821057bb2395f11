"""Plain, pure Processors the analyzer must analyze exactly (category "precision").

Every case here is ordinary plugin code: constants on ``self`` and on the class, base
classes and ``super()``, ``out.update`` of constant-keyed dicts, constant tuples sliced,
unpacked and iterated, Enums, keys built from constants, lambdas and comprehensions over
constants, recursion, helpers (local, in a sibling module, on ``self``, small helper
classes), pure standard-library calls on row values, and conditional/certain writes.

The labels are exact and checked by execution (see harness.py): ``reads``/``writes`` are the
full sets (the rows exercise every branch), ``must`` is what is written on every normal
return on any row, and every Processor is pure, so ``prunable=True``.
"""
from tests.transform.corpus.harness import DEFAULT_ROWS, case

C = "precision"


def p(id, source, *, reads=(), writes=(), must=(), rows=None, processor="P", note=""):
    """A precise, pure case of this module (must is always labelled)."""
    return case(id, C, source, reads=reads, writes=writes, must=must, rows=rows,
                processor=processor, precise=True, note=note)


CASES = [
    # ------------------------------------------------------------ constants on self (__init__)
    p("p-self-src-dst", """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.src = "price"
                self.dst = "price_x2"
            def process(self, row, out):
                out[self.dst] = row[self.src] * 2
        """, reads={"price"}, writes={"price_x2"}, must={"price_x2"}),
    p("p-self-field-init-default", """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self, field="qty", target="qty_label"):
                self.field = field
                self.target = target
            def process(self, row, out):
                value = row.get(self.field, 0)
                out[self.target] = f"{value} pcs"
        """, reads={"qty"}, writes={"qty_label"}, must={"qty_label"}),
    p("p-self-field-super-init", """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                super().__init__()
                self.key = "kind"
            def process(self, row, out):
                out["kind_lower"] = str(row[self.key]).lower()
        """, reads={"kind"}, writes={"kind_lower"}, must={"kind_lower"}),
    p("p-self-config-dict", """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.config = {"source": "title", "target": "title_len", "strip": True}
            def process(self, row, out):
                text = row.get(self.config["source"]) or ""
                if self.config["strip"]:
                    text = text.strip()
                out[self.config["target"]] = len(text)
        """, reads={"title"}, writes={"title_len"}, must={"title_len"}),
    p("p-self-thresholds-items", """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.thresholds = {"price": 100.0, "qty": 5}
            def process(self, row, out):
                for field, limit in self.thresholds.items():
                    out[field + "_high"] = (row.get(field) or 0) > limit
        """, reads={"price", "qty"}, writes={"price_high", "qty_high"},
        must={"price_high", "qty_high"}),
    p("p-self-fields-tuple-sum", """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.fields = ("a", "b", "c")
            def process(self, row, out):
                out["abc_total"] = sum(row[f] for f in self.fields)
        """, reads={"a", "b", "c"}, writes={"abc_total"}, must={"abc_total"}),
    p("p-self-rename-map", """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.rename = {"a": "alpha", "b": "beta"}
            def process(self, row, out):
                for src, dst in self.rename.items():
                    out[dst] = row.get(src)
        """, reads={"a", "b"}, writes={"alpha", "beta"}, must={"alpha", "beta"}),
    p("p-self-config-get-default", """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.options = {"field": "price", "digits": 1}
            def process(self, row, out):
                field = self.options.get("field", "amount")
                digits = self.options.get("digits", 2)
                out["price_rounded"] = round(row[field], digits)
        """, reads={"price"}, writes={"price_rounded"}, must={"price_rounded"}),
    p("p-self-field-from-module-const", """
        from plugin_sdk import Processor
        QTY = "qty"
        class P(Processor):
            def __init__(self):
                self.field = QTY
                self.out_field = QTY + "_doubled"
            def process(self, row, out):
                out[self.out_field] = row[self.field] * 2
        """, reads={"qty"}, writes={"qty_doubled"}, must={"qty_doubled"}),

    # ------------------------------------------------------------ class constants, static/classmethods
    p("p-staticmethod-field", """
        from plugin_sdk import Processor
        class P(Processor):
            @staticmethod
            def source():
                return "price"
            def process(self, row, out):
                out["price_cents"] = int(row[self.source()] * 100)
                out["price_neg"] = -row[P.source()]
        """, reads={"price"}, writes={"price_cents", "price_neg"},
        must={"price_cents", "price_neg"}),
    p("p-classmethod-const", """
        from plugin_sdk import Processor
        class P(Processor):
            FIELD = "qty"
            @classmethod
            def field(cls):
                return cls.FIELD
            def process(self, row, out):
                out["qty_sq"] = row[self.field()] ** 2
        """, reads={"qty"}, writes={"qty_sq"}, must={"qty_sq"}),
    p("p-classmethod-fields-iter", """
        from plugin_sdk import Processor
        class P(Processor):
            FIELDS = ("a", "b")
            @classmethod
            def fields(cls):
                return cls.FIELDS
            def process(self, row, out):
                for f in self.fields():
                    out["neg_" + f] = -row[f]
        """, reads={"a", "b"}, writes={"neg_a", "neg_b"}, must={"neg_a", "neg_b"}),
    p("p-class-const-tuple-iter", """
        from plugin_sdk import Processor
        class P(Processor):
            NUMERIC = ("a", "b", "c")
            def process(self, row, out):
                for name in self.NUMERIC:
                    out[name + "_abs"] = abs(row[name])
        """, reads={"a", "b", "c"}, writes={"a_abs", "b_abs", "c_abs"},
        must={"a_abs", "b_abs", "c_abs"}),
    p("p-class-const-override", """
        from plugin_sdk import Processor
        class Base(Processor):
            FIELDS = ("a",)
            def process(self, row, out):
                for f in self.FIELDS:
                    out[f + "_x10"] = row[f] * 10
        class P(Base):
            FIELDS = ("b", "c")
        """, reads={"b", "c"}, writes={"b_x10", "c_x10"}, must={"b_x10", "c_x10"}),
    p("p-class-const-pairs", """
        from plugin_sdk import Processor
        class P(Processor):
            PAIRS = (("price", "qty"), ("a", "b"))
            def process(self, row, out):
                for left, right in self.PAIRS:
                    out[f"{left}_x_{right}"] = row[left] * row[right]
        """, reads={"price", "qty", "a", "b"}, writes={"price_x_qty", "a_x_b"},
        must={"price_x_qty", "a_x_b"}),
    p("p-staticmethod-pure-helper", """
        from plugin_sdk import Processor
        class P(Processor):
            @staticmethod
            def clamp(value, low, high):
                return max(low, min(high, value))
            def process(self, row, out):
                out["a_clamped"] = self.clamp(row["a"], 0, 3)
                out["n_clamped"] = P.clamp(row["n"], 1, 5)
        """, reads={"a", "n"}, writes={"a_clamped", "n_clamped"},
        must={"a_clamped", "n_clamped"}),
    p("p-class-const-dict-items", """
        from plugin_sdk import Processor
        class P(Processor):
            DEFAULTS = {"d": "-", "e": "none"}
            def process(self, row, out):
                for field, default in self.DEFAULTS.items():
                    value = row.get(field)
                    out[field + "_filled"] = value if value else default
        """, reads={"d", "e"}, writes={"d_filled", "e_filled"}, must={"d_filled", "e_filled"}),
    p("p-property-const", """
        from plugin_sdk import Processor
        class P(Processor):
            @property
            def source(self):
                return "title"
            def process(self, row, out):
                out["title_upper"] = row[self.source].upper()
        """, reads={"title"}, writes={"title_upper"}, must={"title_upper"}),

    # ------------------------------------------------------------ super() and template methods
    p("p-super-process", """
        from plugin_sdk import Processor
        class Base(Processor):
            def process(self, row, out):
                out["base_a"] = row["a"]
        class P(Base):
            def process(self, row, out):
                super().process(row, out)
                out["child_b"] = row["b"]
        """, reads={"a", "b"}, writes={"base_a", "child_b"}, must={"base_a", "child_b"}),
    p("p-super-explicit", """
        from plugin_sdk import Processor
        class Base(Processor):
            def process(self, row, out):
                out["price_net"] = row["price"] / 1.2
        class P(Base):
            def process(self, row, out):
                super(P, self).process(row, out)
                out["price_vat"] = row["price"] - out["price_net"]
        """, reads={"price"}, writes={"price_net", "price_vat"}, must={"price_net", "price_vat"}),
    p("p-super-three-levels", """
        from plugin_sdk import Processor
        class A(Processor):
            def process(self, row, out):
                out["from_a"] = row["a"]
        class B(A):
            def process(self, row, out):
                super().process(row, out)
                out["from_b"] = row["b"]
        class P(B):
            def process(self, row, out):
                super().process(row, out)
                out["from_c"] = row["c"]
        """, reads={"a", "b", "c"}, writes={"from_a", "from_b", "from_c"},
        must={"from_a", "from_b", "from_c"}),
    p("p-template-hooks", """
        from plugin_sdk import Processor
        class Base(Processor):
            OUTPUT = "result"
            def extract(self, row):
                return row["a"]
            def transform(self, value):
                return value
            def process(self, row, out):
                out[self.OUTPUT] = self.transform(self.extract(row))
        class P(Base):
            OUTPUT = "price_up"
            def extract(self, row):
                return row["price"]
            def transform(self, value):
                return round(value * 1.1, 2)
        """, reads={"price"}, writes={"price_up"}, must={"price_up"}),
    p("p-template-abstract-key", """
        from plugin_sdk import Processor
        class Base(Processor):
            def key(self):
                raise NotImplementedError
            def process(self, row, out):
                field = self.key()
                out[field + "_len"] = len(row.get(field) or "")
        class P(Base):
            def key(self):
                return "title"
        """, reads={"title"}, writes={"title_len"}, must={"title_len"}),
    p("p-super-helper-method", """
        from plugin_sdk import Processor
        class Base(Processor):
            def clean(self, text):
                return text.strip()
            def process(self, row, out):
                out["title_clean"] = self.clean(row["title"])
        class P(Base):
            def clean(self, text):
                return super().clean(text).lower()
        """, reads={"title"}, writes={"title_clean"}, must={"title_clean"}),
    p("p-super-then-conditional", """
        from plugin_sdk import Processor
        class Base(Processor):
            def process(self, row, out):
                out["qty_pos"] = row["qty"] > 0
        class P(Base):
            def process(self, row, out):
                super().process(row, out)
                if row["flag"]:
                    out["qty_flagged"] = row["qty"]
        """, reads={"qty", "flag"}, writes={"qty_pos", "qty_flagged"}, must={"qty_pos"}),
    p("p-super-base-other-module", {
        "plug": """
            from common import ItemBase
            class P(ItemBase):
                def process(self, row, out):
                    super().process(row, out)
                    out["kind_is_a"] = row["kind"] == "A"
            """,
        "common": """
            from plugin_sdk import Processor
            class ItemBase(Processor):
                def process(self, row, out):
                    out["item_title"] = (row.get("title") or "").strip()
            """,
    }, reads={"title", "kind"}, writes={"item_title", "kind_is_a"},
        must={"item_title", "kind_is_a"}),
    p("p-mixin-method", """
        from plugin_sdk import Processor
        class ScaleMixin:
            FACTOR = 1
            def scaled(self, row, field):
                return row[field] * self.FACTOR
        class P(ScaleMixin, Processor):
            FACTOR = 3
            def process(self, row, out):
                out["price_scaled"] = self.scaled(row, "price")
        """, reads={"price"}, writes={"price_scaled"}, must={"price_scaled"}),
    p("p-inherited-process-hook-const", """
        from plugin_sdk import Processor
        class CopyField(Processor):
            SOURCE = None
            TARGET = None
            def process(self, row, out):
                out[self.TARGET] = row.get(self.SOURCE)
        class P(CopyField):
            SOURCE = "kind"
            TARGET = "kind_copy"
        """, reads={"kind"}, writes={"kind_copy"}, must={"kind_copy"}),

    # ------------------------------------------------------------ out.update and merged dicts
    p("p-update-kwargs", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.update(ab_sum=row["a"] + row["b"], ab_diff=row["a"] - row["b"])
        """, reads={"a", "b"}, writes={"ab_sum", "ab_diff"}, must={"ab_sum", "ab_diff"}),
    p("p-update-starstar-literal", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.update(**{"ab_max": max(row["a"], row["b"]), "ab_min": min(row["a"], row["b"])})
        """, reads={"a", "b"}, writes={"ab_max", "ab_min"}, must={"ab_max", "ab_min"}),
    p("p-update-dict-call", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.update(dict(a2=row["a"] * 2, c2=row["c"] * 2))
        """, reads={"a", "c"}, writes={"a2", "c2"}, must={"a2", "c2"}),
    p("p-update-local-dict", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                values = (row["a"], row["b"], row["c"])
                result = {}
                result["lo"] = min(values)
                result["hi"] = max(values)
                out.update(result)
        """, reads={"a", "b", "c"}, writes={"lo", "hi"}, must={"lo", "hi"}),
    p("p-update-zip-const", """
        from plugin_sdk import Processor
        NAMES = ("first_tag", "tag_total")
        class P(Processor):
            def process(self, row, out):
                tags = row.get("tags") or []
                values = (tags[0] if tags else None, len(tags))
                out.update(zip(NAMES, values))
        """, reads={"tags"}, writes={"first_tag", "tag_total"}, must={"first_tag", "tag_total"}),
    p("p-update-literal-values", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                tags = row["tags"]
                out.update({"has_tags": bool(tags), "tag_count": len(tags)})
        """, reads={"tags"}, writes={"has_tags", "tag_count"}, must={"has_tags", "tag_count"}),
    p("p-update-starstar-local", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                summary = {"title_words": len(row["title"].split()), "title_chars": len(row["title"])}
                out.update(**summary)
        """, reads={"title"}, writes={"title_words", "title_chars"},
        must={"title_words", "title_chars"}),
    p("p-update-dictcomp-const", """
        from plugin_sdk import Processor
        FIELDS = ("a", "b", "kind")
        class P(Processor):
            def process(self, row, out):
                out.update({f + "_str": str(row[f]) for f in FIELDS})
        """, reads={"a", "b", "kind"}, writes={"a_str", "b_str", "kind_str"},
        must={"a_str", "b_str", "kind_str"}),
    p("p-update-fromkeys-then-set", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.update(dict.fromkeys(("is_a", "is_b"), False))
                if row["kind"] == "A":
                    out["is_a"] = True
                elif row["kind"] == "B":
                    out["is_b"] = True
        """, reads={"kind"}, writes={"is_a", "is_b"}, must={"is_a", "is_b"}),
    p("p-update-module-dict-const", """
        from plugin_sdk import Processor
        DEFAULTS = {"currency": "USD", "source": "catalog"}
        class P(Processor):
            def process(self, row, out):
                out.update(DEFAULTS)
                out["price_str"] = "%.2f" % row["price"]
        """, reads={"price"}, writes={"currency", "source", "price_str"},
        must={"currency", "source", "price_str"}),
    p("p-local-dict-literal-merge", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                price = row["price"]
                fields = {"price_band": "high" if price > 100 else "low", "price_zero": price == 0}
                out.update(fields)
        """, reads={"price"}, writes={"price_band", "price_zero"}, must={"price_band", "price_zero"}),

    # ------------------------------------------------------------ slices, indexes, unpacking
    p("p-tuple-slice-tail", """
        from plugin_sdk import Processor
        FIELDS = ("title", "a", "b")
        class P(Processor):
            def process(self, row, out):
                for f in FIELDS[1:]:
                    out[f + "_num"] = float(row[f])
        """, reads={"a", "b"}, writes={"a_num", "b_num"}, must={"a_num", "b_num"}),
    p("p-tuple-negative-index", """
        from plugin_sdk import Processor
        FIELDS = ("a", "b", "c")
        class P(Processor):
            def process(self, row, out):
                out["first_value"] = row[FIELDS[0]]
                out["last_value"] = row[FIELDS[-1]]
        """, reads={"a", "c"}, writes={"first_value", "last_value"},
        must={"first_value", "last_value"}),
    p("p-tuple-unpack", """
        from plugin_sdk import Processor
        SRC, DST = ("price", "price_cents")
        class P(Processor):
            def process(self, row, out):
                out[DST] = int(round(row[SRC] * 100))
        """, reads={"price"}, writes={"price_cents"}, must={"price_cents"}),
    p("p-tuple-star-unpack", """
        from plugin_sdk import Processor
        HEAD, *REST = ("kind", "a", "b")
        class P(Processor):
            def process(self, row, out):
                out["head_value"] = row[HEAD]
                out["rest_sum"] = sum(row[f] for f in REST)
        """, reads={"kind", "a", "b"}, writes={"head_value", "rest_sum"},
        must={"head_value", "rest_sum"}),
    p("p-tuple-slice-step", """
        from plugin_sdk import Processor
        FIELDS = ("a", "b", "c", "n")
        class P(Processor):
            def process(self, row, out):
                for f in FIELDS[::2]:
                    out["even_" + f] = row[f] % 2 == 0
        """, reads={"a", "c"}, writes={"even_a", "even_c"}, must={"even_a", "even_c"}),
    p("p-tuple-reversed", """
        from plugin_sdk import Processor
        ORDER = ("a", "b", "c")
        class P(Processor):
            def process(self, row, out):
                out["abc_rev"] = [row[f] for f in reversed(ORDER)]
                out["abc_rev2"] = [row[f] for f in ORDER[::-1][:2]]
        """, reads={"a", "b", "c"}, writes={"abc_rev", "abc_rev2"}, must={"abc_rev", "abc_rev2"}),
    p("p-nested-spec-tuple", """
        from plugin_sdk import Processor
        SPEC = (("price", 0), ("qty", 1))
        class P(Processor):
            def process(self, row, out):
                for name, digits in SPEC:
                    out[name + "_r"] = round(row[name], digits)
        """, reads={"price", "qty"}, writes={"price_r", "qty_r"}, must={"price_r", "qty_r"}),
    p("p-local-tuple-unpack", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                num, den = "a", "c"
                target = "a_per_c"
                out[target] = row[num] / row[den] if row[den] else None
        """, reads={"a", "c"}, writes={"a_per_c"}, must={"a_per_c"}),

    # ------------------------------------------------------------ Enums
    p("p-enum-value", """
        from enum import Enum
        from plugin_sdk import Processor
        class Field(Enum):
            PRICE = "price"
            QTY = "qty"
        class P(Processor):
            def process(self, row, out):
                out["amount"] = row[Field.PRICE.value] * row[Field.QTY.value]
        """, reads={"price", "qty"}, writes={"amount"}, must={"amount"}),
    p("p-enum-iterate", """
        from enum import Enum
        from plugin_sdk import Processor
        class Field(Enum):
            D = "d"
            E = "e"
            TITLE = "title"
        class P(Processor):
            def process(self, row, out):
                for f in Field:
                    out[f.value + "_present"] = bool(row.get(f.value))
        """, reads={"d", "e", "title"}, writes={"d_present", "e_present", "title_present"},
        must={"d_present", "e_present", "title_present"}),
    p("p-enum-name-lower", """
        from enum import Enum
        from plugin_sdk import Processor
        class Column(Enum):
            A_VALUE = "a"
            B_VALUE = "b"
        class P(Processor):
            def process(self, row, out):
                for column in Column:
                    out[column.name.lower()] = row[column.value]
        """, reads={"a", "b"}, writes={"a_value", "b_value"}, must={"a_value", "b_value"}),
    p("p-strenum-direct", """
        from enum import StrEnum
        from plugin_sdk import Processor
        class Field(StrEnum):
            TITLE = "title"
            KIND = "kind"
        class P(Processor):
            def process(self, row, out):
                out["label"] = f"{row[Field.KIND]}:{row[Field.TITLE].strip()}"
        """, reads={"title", "kind"}, writes={"label"}, must={"label"}),
    p("p-enum-lookup-by-row-value", """
        from enum import Enum
        from plugin_sdk import Processor
        class Kind(Enum):
            ALPHA = "A"
            BETA = "B"
            GAMMA = "C"
        class P(Processor):
            def process(self, row, out):
                out["kind_name"] = Kind(row["kind"]).name.lower()
        """, reads={"kind"}, writes={"kind_name"}, must={"kind_name"}),

    # ------------------------------------------------------------ keys built from constants
    p("p-range-write-keys", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                tags = row["tags"]
                for i in range(3):
                    out[f"tag_{i}"] = tags[i] if i < len(tags) else None
        """, reads={"tags"}, writes={"tag_0", "tag_1", "tag_2"}, must={"tag_0", "tag_1", "tag_2"}),
    p("p-range-read-keys-percent", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["m_total"] = sum(row.get("m%d" % i, 0) for i in range(1, 4))
        """, reads={"m1", "m2", "m3"}, writes={"m_total"}, must={"m_total"},
        rows=[{"m1": 1, "m2": 2, "m3": 3}, {"m1": 5, "m3": 0}]),
    p("p-join-key", """
        from plugin_sdk import Processor
        SOURCE = ("price",)
        TARGET = ("price", "usd")
        class P(Processor):
            def process(self, row, out):
                out["_".join(TARGET)] = row["_".join(SOURCE)] * 1.08
        """, reads={"price"}, writes={"price_usd"}, must={"price_usd"}),
    p("p-percent-key-loop", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for f in ("a", "b"):
                    out["%s_sq" % f] = row[f] ** 2
        """, reads={"a", "b"}, writes={"a_sq", "b_sq"}, must={"a_sq", "b_sq"}),
    p("p-format-key-loop", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for f in ("title", "d"):
                    out["{}_len".format(f)] = len(row[f])
        """, reads={"title", "d"}, writes={"title_len", "d_len"}, must={"title_len", "d_len"}),
    p("p-format-named-key", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                key = "{name}_{suffix}".format(name="price", suffix="band")
                out[key] = "high" if row["price"] > 100 else "low"
        """, reads={"price"}, writes={"price_band"}, must={"price_band"}),
    p("p-fstring-loop", """
        from plugin_sdk import Processor
        LANGS = ("en", "fr")
        class P(Processor):
            def process(self, row, out):
                title = row["title"].strip()
                for lang in LANGS:
                    out[f"title_{lang}"] = f"[{lang}] {title}"
        """, reads={"title"}, writes={"title_en", "title_fr"}, must={"title_en", "title_fr"}),
    p("p-fstring-nested-loops", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for f in ("a", "b"):
                    for agg, fn in (("min", min), ("max", max)):
                        out[f"{f}_{agg}"] = fn(row[f], 0)
        """, reads={"a", "b"}, writes={"a_min", "a_max", "b_min", "b_max"},
        must={"a_min", "a_max", "b_min", "b_max"}),
    p("p-prefix-const-concat", """
        from plugin_sdk import Processor
        PREFIX = "ext_"
        KEYS = ("a", "c")
        class P(Processor):
            def process(self, row, out):
                for k in KEYS:
                    out[PREFIX + k] = row[k]
        """, reads={"a", "c"}, writes={"ext_a", "ext_c"}, must={"ext_a", "ext_c"}),
    p("p-upper-lower-key", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["QTY_OK".lower()] = row["QTY".lower()] > 0
        """, reads={"qty"}, writes={"qty_ok"}, must={"qty_ok"}),

    # ------------------------------------------------------------ lambdas and comprehensions
    p("p-map-lambda", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                values = list(map(lambda f: row[f], ("a", "b", "c")))
                out["abc_values"] = values
                out["abc_sum"] = sum(values)
        """, reads={"a", "b", "c"}, writes={"abc_values", "abc_sum"},
        must={"abc_values", "abc_sum"}),
    p("p-sorted-lambda", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                ranked = sorted(("a", "b", "c"), key=lambda f: row[f])
                out["largest_field"] = ranked[-1]
        """, reads={"a", "b", "c"}, writes={"largest_field"}, must={"largest_field"}),
    p("p-filter-lambda", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                present = list(filter(lambda f: row.get(f) not in (None, ""), ("d", "e", "title")))
                out["present_fields"] = present
                out["present_count"] = len(present)
        """, reads={"d", "e", "title"}, writes={"present_fields", "present_count"},
        must={"present_fields", "present_count"}),
    p("p-listcomp-const", """
        from plugin_sdk import Processor
        FIELDS = ("price", "qty")
        class P(Processor):
            def process(self, row, out):
                out["numbers"] = [float(row[f]) for f in FIELDS]
        """, reads={"price", "qty"}, writes={"numbers"}, must={"numbers"}),
    p("p-dictcomp-is-none", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out.update({f"{f}_missing": row.get(f) is None for f in ("d", "e")})
        """, reads={"d", "e"}, writes={"d_missing", "e_missing"}, must={"d_missing", "e_missing"}),
    p("p-genexp-any-all", """
        from plugin_sdk import Processor
        FIELDS = ("a", "b", "c")
        class P(Processor):
            def process(self, row, out):
                out["any_negative"] = any(row[f] < 0 for f in FIELDS)
                out["all_positive"] = all(row[f] > 0 for f in FIELDS)
        """, reads={"a", "b", "c"}, writes={"any_negative", "all_positive"},
        must={"any_negative", "all_positive"}),
    p("p-setcomp", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                words = {str(row[f]).strip().lower() for f in ("d", "kind")}
                out["distinct_words"] = sorted(words)
        """, reads={"d", "kind"}, writes={"distinct_words"}, must={"distinct_words"}),
    p("p-dict-of-lambdas", """
        from plugin_sdk import Processor
        RULES = {
            "price_high": lambda row: row["price"] > 100,
            "qty_low": lambda row: row["qty"] < 2,
        }
        class P(Processor):
            def process(self, row, out):
                for name, rule in RULES.items():
                    out[name] = rule(row)
        """, reads={"price", "qty"}, writes={"price_high", "qty_low"},
        must={"price_high", "qty_low"}),
    p("p-local-lambda-getter", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                num = lambda k: float(row.get(k) or 0)
                out["value"] = num("price") * num("qty")
        """, reads={"price", "qty"}, writes={"value"}, must={"value"}),

    # ------------------------------------------------------------ recursion over constants
    p("p-recursion-sum", """
        from plugin_sdk import Processor
        def total(row, fields):
            if not fields:
                return 0
            return row[fields[0]] + total(row, fields[1:])
        class P(Processor):
            def process(self, row, out):
                out["abc_sum"] = total(row, ("a", "b", "c"))
        """, reads={"a", "b", "c"}, writes={"abc_sum"}, must={"abc_sum"}),
    p("p-recursion-first-present", """
        from plugin_sdk import Processor
        class P(Processor):
            NAMES = ("nickname", "name", "login")
            def first_present(self, row, names):
                if not names:
                    return None
                value = row.get(names[0])
                return value if value else self.first_present(row, names[1:])
            def process(self, row, out):
                out["display_name"] = self.first_present(row, self.NAMES)
        """, reads={"nickname", "name", "login"}, writes={"display_name"}, must={"display_name"},
        rows=[{"nickname": "nick", "name": "N", "login": "l"},
              {"nickname": "", "name": "Nora", "login": "n1"},
              {"nickname": None, "name": "", "login": "guest"},
              {}]),

    # ------------------------------------------------------------ pure standard library
    p("p-math", """
        import math
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["a_root"] = math.sqrt(abs(row["a"]))
                out["price_floor"] = math.floor(row["price"])
                out["price_log"] = math.log1p(row["price"])
                out["n_is_ten"] = math.isclose(row["n"], 10)
        """, reads={"a", "price", "n"}, writes={"a_root", "price_floor", "price_log", "n_is_ten"},
        must={"a_root", "price_floor", "price_log", "n_is_ten"}),
    p("p-re-compiled", """
        import re
        from plugin_sdk import Processor
        _WORD = re.compile(r"\\w+")
        class P(Processor):
            def process(self, row, out):
                words = _WORD.findall(row["title"].lower())
                out["words"] = words
                out["word_count"] = len(words)
        """, reads={"title"}, writes={"words", "word_count"}, must={"words", "word_count"}),
    p("p-re-match-groups", """
        import re
        from plugin_sdk import Processor
        _SIZE = re.compile(r"^\\s*(\\d+)\\s*(GB|TB)\\s*$", re.IGNORECASE)
        class P(Processor):
            def process(self, row, out):
                match = _SIZE.match(row.get("storage") or "")
                if match is None:
                    out["storage_gb"] = None
                else:
                    amount = int(match.group(1))
                    out["storage_gb"] = amount * 1024 if match.group(2).upper() == "TB" else amount
        """, reads={"storage"}, writes={"storage_gb"}, must={"storage_gb"},
        rows=[{"storage": "512 GB"}, {"storage": "2tb"}, {"storage": "lots"}, {}]),
    p("p-re-module-functions", """
        import re
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                title = row["title"]
                out["title_squashed"] = re.sub(r"\\s+", " ", title).strip()
                out["title_has_digit"] = re.search(r"\\d", title) is not None
        """, reads={"title"}, writes={"title_squashed", "title_has_digit"},
        must={"title_squashed", "title_has_digit"}),
    p("p-json-roundtrip", """
        import json
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                data = json.loads(row.get("payload") or "{}")
                out["payload_keys"] = sorted(data)
                out["payload_canonical"] = json.dumps(data, sort_keys=True)
        """, reads={"payload"}, writes={"payload_keys", "payload_canonical"},
        must={"payload_keys", "payload_canonical"},
        rows=[{"payload": '{"b": 1, "a": [1, 2]}'}, {"payload": ""}, {"payload": '{"z": null}'}]),
    p("p-unicodedata", """
        import unicodedata
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                folded = unicodedata.normalize("NFKD", row["title"])
                out["title_ascii"] = folded.encode("ascii", "ignore").decode("ascii").strip().lower()
        """, reads={"title"}, writes={"title_ascii"}, must={"title_ascii"}),
    p("p-decimal", """
        from decimal import Decimal, ROUND_HALF_UP
        from plugin_sdk import Processor
        CENT = Decimal("0.01")
        class P(Processor):
            def process(self, row, out):
                unit = Decimal(str(row["price"])).quantize(CENT, rounding=ROUND_HALF_UP)
                out["line_total"] = str(unit * row["qty"])
        """, reads={"price", "qty"}, writes={"line_total"}, must={"line_total"}),
    p("p-datetime-fromisoformat", """
        from datetime import datetime
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                stamp = datetime.fromisoformat(row["ts"])
                out["ts_date"] = stamp.date().isoformat()
                out["ts_hour"] = stamp.hour
        """, reads={"ts"}, writes={"ts_date", "ts_hour"}, must={"ts_date", "ts_hour"},
        rows=[{"ts": "2024-03-01T12:30:00"}, {"ts": "2023-12-31 23:59:59+02:00"}]),
    p("p-datetime-strptime", """
        import datetime as dt
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                day = dt.datetime.strptime(row["day"], "%Y-%m-%d")
                out["weekday"] = day.weekday()
                out["is_weekend"] = day.weekday() >= 5
                out["next_day"] = (day + dt.timedelta(days=1)).strftime("%Y-%m-%d")
        """, reads={"day"}, writes={"weekday", "is_weekend", "next_day"},
        must={"weekday", "is_weekend", "next_day"},
        rows=[{"day": "2024-03-02"}, {"day": "2024-02-29"}]),
    p("p-hashlib", """
        import hashlib
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                key = f"{row['kind']}|{row['title'].strip().lower()}"
                out["dedup_key"] = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        """, reads={"kind", "title"}, writes={"dedup_key"}, must={"dedup_key"}),
    p("p-str-methods", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                title = row["title"].strip()
                out["title_cap"] = title.title()
                out["title_slug"] = "-".join(title.lower().replace("é", "e").split())
                out["title_is_upper"] = title.isupper()
                out["title_starts_red"] = title.lower().startswith("red")
        """, reads={"title"}, writes={"title_cap", "title_slug", "title_is_upper", "title_starts_red"},
        must={"title_cap", "title_slug", "title_is_upper", "title_starts_red"}),
    p("p-local-list-append-sort", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                items = list(row["tags"])
                items.append(row["kind"].lower())
                items.sort()
                out["tags_sorted"] = items
                out["tags_joined"] = ",".join(items)
        """, reads={"tags", "kind"}, writes={"tags_sorted", "tags_joined"},
        must={"tags_sorted", "tags_joined"}),
    p("p-local-list-positive-fields", """
        from plugin_sdk import Processor
        FIELDS = ("c", "b", "a")
        class P(Processor):
            def process(self, row, out):
                positive = []
                for f in FIELDS:
                    if row[f] > 0:
                        positive.append(f)
                positive.sort()
                out["positive_fields"] = ",".join(positive)
        """, reads={"a", "b", "c"}, writes={"positive_fields"}, must={"positive_fields"}),
    p("p-local-dict-set-tuple-methods", """
        from plugin_sdk import Processor
        KNOWN = frozenset({"x", "y", "z"})
        class P(Processor):
            def process(self, row, out):
                counts = {}
                for tag in row["tags"]:
                    counts[tag] = counts.get(tag, 0) + 1
                tags = set(counts)
                out["known_tags"] = sorted(tags & KNOWN)
                out["unknown_tags"] = sorted(tags.difference(KNOWN))
                pair = (row["a"], row["b"])
                out["a_equals_b"] = pair.count(pair[0]) == 2
                out["tag_counts"] = dict(sorted(counts.items()))
        """, reads={"tags", "a", "b"}, writes={"known_tags", "unknown_tags", "a_equals_b", "tag_counts"},
        must={"known_tags", "unknown_tags", "a_equals_b", "tag_counts"}),
    p("p-counter", """
        from collections import Counter
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                letters = Counter(c for c in row["title"].lower() if c.isalpha())
                top = letters.most_common(1)
                out["top_letter"] = top[0][0] if top else None
                out["letter_kinds"] = len(letters)
        """, reads={"title"}, writes={"top_letter", "letter_kinds"}, must={"top_letter", "letter_kinds"}),
    p("p-heapq-nsmallest", """
        import heapq
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["two_smallest"] = heapq.nsmallest(2, (row["a"], row["b"], row["c"]))
                out["largest"] = heapq.nlargest(1, (row["a"], row["b"], row["c"]))[0]
        """, reads={"a", "b", "c"}, writes={"two_smallest", "largest"}, must={"two_smallest", "largest"}),
    p("p-itertools-chain", """
        import itertools
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                tokens = list(itertools.chain(row["tags"], [row["kind"]], row["title"].split()))
                out["tokens"] = tokens
                out["token_pairs"] = len(list(itertools.combinations(tokens, 2)))
        """, reads={"tags", "kind", "title"}, writes={"tokens", "token_pairs"},
        must={"tokens", "token_pairs"}),
    p("p-functools-reduce", """
        import functools
        import operator
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["abc_product"] = functools.reduce(lambda acc, f: acc * (row[f] or 1), ("a", "b", "c"), 1)
                out["abc_xor"] = functools.reduce(operator.xor, (row["a"], row["b"], row["c"]))
        """, reads={"a", "b", "c"}, writes={"abc_product", "abc_xor"}, must={"abc_product", "abc_xor"}),
    p("p-statistics", """
        import statistics
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                values = [row["a"], row["b"], row["c"]]
                out["abc_mean"] = statistics.mean(values)
                out["abc_median"] = statistics.median(values)
        """, reads={"a", "b", "c"}, writes={"abc_mean", "abc_median"}, must={"abc_mean", "abc_median"}),
    p("p-percent-format-values", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["summary"] = "%s x %d @ %.2f" % (row["title"].strip(), row["qty"], row["price"])
        """, reads={"title", "qty", "price"}, writes={"summary"}, must={"summary"}),

    # ------------------------------------------------------------ helpers
    p("p-helper-module-func", """
        from plugin_sdk import Processor
        BANDS = ((10.0, "budget"), (100.0, "mid"))
        def band(price):
            for limit, name in BANDS:
                if price < limit:
                    return name
            return "premium"
        class P(Processor):
            def process(self, row, out):
                out["price_band"] = band(row["price"])
        """, reads={"price"}, writes={"price_band"}, must={"price_band"}),
    p("p-helper-func-row-keys", """
        from plugin_sdk import Processor
        def ratio(row, num, den):
            d = row[den]
            return row[num] / d if d else None
        class P(Processor):
            def process(self, row, out):
                out["a_per_b"] = ratio(row, "a", "b")
                out["price_per_qty"] = ratio(row, num="price", den="qty")
        """, reads={"a", "b", "price", "qty"}, writes={"a_per_b", "price_per_qty"},
        must={"a_per_b", "price_per_qty"}),
    p("p-helper-other-module", {
        "plug": """
            from helpers import TITLE, slugify
            from plugin_sdk import Processor
            class P(Processor):
                def process(self, row, out):
                    out["slug"] = slugify(row[TITLE])
            """,
        "helpers": """
            import re
            TITLE = "title"
            _NON_WORD = re.compile(r"[^a-z0-9]+")
            def slugify(text):
                return _NON_WORD.sub("-", text.strip().lower()).strip("-")
            """,
    }, reads={"title"}, writes={"slug"}, must={"slug"}),
    p("p-helper-other-module-writes-out", {
        "plug": """
            from helpers import fill_flags
            from plugin_sdk import Processor
            class P(Processor):
                def process(self, row, out):
                    fill_flags(row, out)
                    out["a_plus_one"] = row["a"] + 1
            """,
        "helpers": """
            def fill_flags(row, out):
                out["is_kind_a"] = row["kind"] == "A"
                out["a_positive"] = row["a"] > 0
            """,
    }, reads={"kind", "a"}, writes={"is_kind_a", "a_positive", "a_plus_one"},
        must={"is_kind_a", "a_positive", "a_plus_one"}),
    p("p-helper-module-import-attr", {
        "plug": """
            import helpers
            from plugin_sdk import Processor
            class P(Processor):
                def process(self, row, out):
                    out[helpers.OUTPUT] = helpers.normalize(row[helpers.SOURCE])
            """,
        "helpers": """
            SOURCE = "d"
            OUTPUT = "d_norm"
            def normalize(value):
                return (value or "").strip().upper()
            """,
    }, reads={"d"}, writes={"d_norm"}, must={"d_norm"}),
    p("p-helper-method-self", """
        from plugin_sdk import Processor
        class P(Processor):
            def _num(self, row, key, default=0.0):
                value = row.get(key)
                return default if value is None else float(value)
            def process(self, row, out):
                out["weighted"] = self._num(row, "price") * self._num(row, "qty", 1.0)
        """, reads={"price", "qty"}, writes={"weighted"}, must={"weighted"}),
    p("p-helper-method-returns-dict", """
        from plugin_sdk import Processor
        class P(Processor):
            def _range(self, values):
                return {"abc_lo": min(values), "abc_hi": max(values)}
            def process(self, row, out):
                out.update(self._range([row["a"], row["b"], row["c"]]))
        """, reads={"a", "b", "c"}, writes={"abc_lo", "abc_hi"}, must={"abc_lo", "abc_hi"}),
    p("p-dataclass-helper", """
        from dataclasses import dataclass
        from plugin_sdk import Processor
        @dataclass
        class Line:
            price: float
            qty: int
            def total(self):
                return round(self.price * self.qty, 2)
        class P(Processor):
            def process(self, row, out):
                line = Line(row["price"], row["qty"])
                out["line_total"] = line.total()
                out["line_empty"] = line.qty == 0
        """, reads={"price", "qty"}, writes={"line_total", "line_empty"},
        must={"line_total", "line_empty"}),
    p("p-namedtuple-helper", """
        from collections import namedtuple
        from plugin_sdk import Processor
        Pair = namedtuple("Pair", "low high")
        class P(Processor):
            def process(self, row, out):
                a, b = row["a"], row["b"]
                pair = Pair(min(a, b), max(a, b))
                out["ab_low"] = pair.low
                out["ab_span"] = pair.high - pair.low
        """, reads={"a", "b"}, writes={"ab_low", "ab_span"}, must={"ab_low", "ab_span"}),
    p("p-helper-class-per-call", """
        from plugin_sdk import Processor
        class Formatter:
            def __init__(self, prefix, width):
                self.prefix = prefix
                self.width = width
            def format(self, value):
                return f"{self.prefix}{str(value).rjust(self.width, '0')}"
        class P(Processor):
            def process(self, row, out):
                fmt = Formatter("#", 4)
                out["qty_code"] = fmt.format(row["qty"])
        """, reads={"qty"}, writes={"qty_code"}, must={"qty_code"}),
    p("p-helper-object-on-self-readonly", """
        from plugin_sdk import Processor
        class Scaler:
            def __init__(self, factor):
                self.factor = factor
            def apply(self, value):
                return value * self.factor
        class P(Processor):
            def __init__(self):
                self.scaler = Scaler(0.5)
            def process(self, row, out):
                out["half_price"] = self.scaler.apply(row["price"])
        """, reads={"price"}, writes={"half_price"}, must={"half_price"}),
    p("p-nested-closure", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                def text(key):
                    return (row.get(key) or "").strip()
                out["d_text"] = text("d")
                out["title_text"] = text("title")
        """, reads={"d", "title"}, writes={"d_text", "title_text"}, must={"d_text", "title_text"}),
    p("p-helper-chain", """
        from plugin_sdk import Processor
        def as_float(value):
            try:
                return float(value)
            except (TypeError, ValueError):
                return 0.0
        def field_float(row, key):
            return as_float(row.get(key))
        def amount(row):
            return field_float(row, "price") * field_float(row, "qty")
        class P(Processor):
            def process(self, row, out):
                out["amount"] = amount(row)
                out["e_float"] = field_float(row, "e")
        """, reads={"price", "qty", "e"}, writes={"amount", "e_float"}, must={"amount", "e_float"}),

    # ------------------------------------------------------------ conditional and certain writes
    p("p-cond-write-if", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["base"] = row["a"]
                if row["flag"]:
                    out["bonus"] = row["b"]
        """, reads={"a", "flag", "b"}, writes={"base", "bonus"}, must={"base"}),
    p("p-if-else-both-write", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if row["a"] > 0:
                    out["sign"] = "pos"
                else:
                    out["sign"] = "nonpos"
        """, reads={"a"}, writes={"sign"}, must={"sign"}),
    p("p-if-elif-else-chain", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                price = row["price"]
                if price == 0:
                    out["tier"] = "free"
                    out["is_free"] = True
                elif price < 100:
                    out["tier"] = "standard"
                else:
                    out["tier"] = "premium"
        """, reads={"price"}, writes={"tier", "is_free"}, must={"tier"}),
    p("p-ternary-write", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["size"] = "bulk" if row["qty"] >= 10 else ("single" if row["qty"] == 1 else "few")
        """, reads={"qty"}, writes={"size"}, must={"size"}),
    p("p-setdefault-after-cond", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if row["flag"]:
                    out["note"] = row["title"].strip()
                out.setdefault("note", "")
                out.setdefault("tag_total", len(row["tags"]))
        """, reads={"flag", "title", "tags"}, writes={"note", "tag_total"},
        must={"note", "tag_total"}),
    p("p-del-temp-key", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["tmp_sum"] = row["a"] + row["b"]
                out["ab_avg"] = out["tmp_sum"] / 2
                del out["tmp_sum"]
        """, reads={"a", "b"}, writes={"ab_avg"}, must={"ab_avg"}),
    p("p-pop-when-zero", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["discount"] = round(row["price"] * 0.1, 2) if row["flag"] else 0
                out["price_after"] = row["price"] - out["discount"]
                if out["discount"] == 0:
                    out.pop("discount")
        """, reads={"price", "flag"}, writes={"discount", "price_after"}, must={"price_after"}),
    p("p-pop-default-cleanup", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if row["d"]:
                    out["d_first"] = row["d"][0]
                out["d_len"] = len(row["d"])
                if out["d_len"] > 1:
                    out.pop("d_first", None)
        """, reads={"d"}, writes={"d_first", "d_len"}, must={"d_len"}),
    p("p-guard-early-return", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                title = row.get("title")
                if not title:
                    return
                out["title_clean"] = title.strip()
                out["title_len"] = len(title)
        """, reads={"title"}, writes={"title_clean", "title_len"}, must=set()),
    p("p-isinstance-branches", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                value = row.get("e")
                if isinstance(value, str):
                    out["e_upper"] = value.upper()
                elif isinstance(value, (int, float)):
                    out["e_number"] = value
        """, reads={"e"}, writes={"e_upper", "e_number"}, must=set()),
    p("p-write-in-const-loop", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                for f in ("a", "b"):
                    out[f + "_pos"] = row[f] > 0
        """, reads={"a", "b"}, writes={"a_pos", "b_pos"}, must={"a_pos", "b_pos"}),
    p("p-try-except-both-write", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                try:
                    out["e_num"] = float(row["e"])
                except (TypeError, ValueError):
                    out["e_num"] = None
        """, reads={"e"}, writes={"e_num"}, must={"e_num"}),
    p("p-write-then-early-return", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["n_checked"] = True
                if row["n"] == 0:
                    return
                out["n_inverse"] = 1 / row["n"]
        """, reads={"n"}, writes={"n_checked", "n_inverse"}, must={"n_checked"}),
    p("p-match-kind", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                match row["kind"]:
                    case "A":
                        out["tier"] = 1
                    case "B":
                        out["tier"] = 2
                    case _:
                        out["tier"] = 3
        """, reads={"kind"}, writes={"tier"}, must={"tier"}),
    p("p-in-row-guard", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if "price" not in row:
                    return
                out["price_known"] = row["price"]
        """, reads={"price"}, writes={"price_known"}, must=set(),
        rows=list(DEFAULT_ROWS[:2]) + [{"a": 1}]),
    p("p-none-guard-then-writes", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                if row.get("e") is None:
                    out["e_state"] = "missing"
                    return
                out["e_state"] = "present"
                out["e_text"] = str(row["e"])
        """, reads={"e"}, writes={"e_state", "e_text"}, must={"e_state"}),
    p("p-not-list-guard", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                tags = row.get("tags")
                if not isinstance(tags, list):
                    return
                out["tags_upper"] = [t.upper() for t in tags]
        """, reads={"tags"}, writes={"tags_upper"}, must=set(),
        rows=[{"tags": ["a", "b"]}, {"tags": None}, {"tags": "x,y"}]),
    p("p-augmented-write", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out["score"] = 0
                if row["flag"]:
                    out["score"] += 10
                out["score"] += row["n"]
        """, reads={"flag", "n"}, writes={"score"}, must={"score"}),
    p("p-while-const-count", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                tags = row["tags"]
                i = 0
                joined = []
                while i < len(tags):
                    joined.append(tags[i].upper())
                    i += 1
                out["tags_caps"] = "|".join(joined)
        """, reads={"tags"}, writes={"tags_caps"}, must={"tags_caps"}),
    p("p-loop-break-default", """
        from plugin_sdk import Processor
        BANDS = ((1, "one"), (5, "few"), (10, "some"))
        class P(Processor):
            def process(self, row, out):
                label = "many"
                for limit, name in BANDS:
                    if row["qty"] <= limit:
                        label = name
                        break
                out["qty_band"] = label
        """, reads={"qty"}, writes={"qty_band"}, must={"qty_band"}),
    # found by `make soak` (seed 3120328501): an element of a list of strings handed to a list
    # it made is not a change of the list; its keys stay known
    p("p-string-elements-appended-elsewhere", """
        from plugin_sdk import Processor
        K = "a"
        KEYS = [K, "b"]
        class P(Processor):
            def process(self, row, out):
                for i, k in enumerate(KEYS):
                    picked = [K]
                    picked.append(k)
                if row.get("a") is not None:
                    out.update({k: row.get(k) for k in KEYS})
        """, reads={"a", "b"}, writes={"a", "b"}, must=set(), rows=[{"a": 1, "b": 2}, {"a": None, "b": 3}]),
    # found by the analyzer property (issue 13, session 5): a value of a dict of strings handed
    # to a list is not a change of the dict; the row key it names stays known
    p("p-dict-string-value-appended-elsewhere", """
        from plugin_sdk import Processor
        NAMES = {"a": "a", "b": "a"}
        class P(Processor):
            def process(self, row, out):
                for f in [NAMES["a"]]:
                    picked = [f]
                    picked.append(f)
                    if row.get(f) is not None:
                        for k in picked:
                            out[k] = 1
                        out["copy"] = row[f]
        """, reads={"a"}, writes={"a", "copy"}, must=set(), rows=[{"a": 1}, {"a": None}]),
]
