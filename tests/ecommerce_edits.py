"""Edits of the ecommerce example job, shared by the diff and backfill tests: each is a function on
the job's folder for both versions (or None) and one for the new version only."""
from __future__ import annotations

from pathlib import Path
from typing import Callable


def _replace(path: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        target = folder / path
        text = target.read_text()
        assert old in text, f"the edit must apply: {old!r} in {path}"
        target.write_text(text.replace(old, new))
    return edit


def _write(path: str, text: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    return edit


def _append(path: str, text: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        target = folder / path
        target.write_text(target.read_text() + text)
    return edit


def _data_file(name: str) -> tuple[Callable[[Path], None], Callable[[Path], None]]:
    """The currency rates read from plugins/`name` when item_processors is imported; one changes."""
    rates = '{"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}'
    return (_steps(_write(f"plugins/{name}", rates),
                   _replace("plugins/item_processors.py", f"USD_PER_UNIT = {rates}\n",
                            f'import os\nwith open(os.path.join(os.path.dirname(__file__), "{name}")) as _f:\n'
                            "    USD_PER_UNIT = json.load(_f)\n")),
            _replace(f"plugins/{name}", '"CNY": 0.14', '"CNY": 0.5'))


def _steps(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        for each in edits:
            each(folder)
    return edit


ITEMS = "plugins/item_processors.py"
SDK_IMPORT = "from plugin_sdk import UDTF, Processor\n"
BAND = 'out["price_band"] = band'
IDENTITY, UPPER = "def band_name(x):\n    return x\n", "def band_name(x):\n    return x.upper()\n"
# Helpers behind every import form (found by an adversary, tests/adversary/backfill-2026-12):
# both versions have the job edited the same way (first), then only the helper module changes.
_HELPER_FORMS = {
    "a helper imported in try/except ImportError": SDK_IMPORT + "try:\n    from fastband import band_name\n"
                                                   "except ImportError:\n    def band_name(x):\n        return x\n",
    "a helper imported in try, with a fallback name": SDK_IMPORT + "try:\n    from fastband import band_name\n"
                                                      "except ImportError:\n    band_name = str\n",
    "a helper imported in an if": SDK_IMPORT + "import sys\nif sys.version_info >= (3, 8):\n    from fastband "
                                  "import band_name\nelse:\n    def band_name(x):\n        return x\n",
}
# item_common gets price hooks PriceBand applies, item_processors a setter of LOW_STOCK and, at its
# end, an import of a module `tweaks` done only for what it does when imported.
_TWEAKS_BASE = _steps(
    _append("plugins/item_common.py", "\nPRICE_HOOKS = []\n\n\ndef price_hook(fn):\n    PRICE_HOOKS.append(fn)\n"
            "    return fn\n\n\ndef apply_hooks(value):\n    for hook in PRICE_HOOKS:\n        value = hook(value)\n"
            "    return value\n"),
    _replace(ITEMS, "    ItemProcessor,\n", "    ItemProcessor,\n    apply_hooks,\n"),
    _replace(ITEMS, "price_usd = round(self.number(row, PRICE) * rate, 2)",
             "price_usd = apply_hooks(round(self.number(row, PRICE) * rate, 2))"),
    _replace(ITEMS, "\nLOW_STOCK = 10\n", "\nLOW_STOCK = 10\n\n\ndef set_low_stock(value):\n    global LOW_STOCK\n"
             "    LOW_STOCK = value\n"),
    _append(ITEMS, "\n\nimport tweaks  # noqa: E402,F401\n"))
_TWEAKS = {     # name: (tweaks.py, what the new version changes in it)
    "a module imported for its side effects": (
        "from item_common import price_hook\n\n\n@price_hook\ndef usd_markup(value):\n    return round(value * 1.0, 2)\n",
        "value * 1.0", "value * 1.5"),
    "another module's setter using global": ("import item_processors\nitem_processors.set_low_stock(10)\n", "(10)", "(40)"),
    "setattr passed as a value": ('import functools\nimport item_processors\nfunctools.partial(setattr, item_processors, '
                                  '"LOW_STOCK")(10)\n', "(10)", "(40)"),
    "operator.setitem on another module's dict": (
        'import operator\nimport item_processors\noperator.setitem(item_processors.USD_PER_UNIT, "EUR", 1.08)\n',
        "1.08", "1.50"),
    "update() of a dict imported from another module": (
        "from item_processors import USD_PER_UNIT\nUSD_PER_UNIT.update(EUR=1.08)\n", "1.08", "1.50"),
}
_IMPLICIT = {    # name: (code appended to item_processors, what the new version changes in it: RATE)
    "__class_getitem__ run by a subscript": (
        '\n\nclass _Reg:\n    def __class_getitem__(cls, rate):\n        USD_PER_UNIT["EUR"] = rate\n'
        "        return cls\n\n\n_ALIAS = _Reg[RATE]\n", "_Reg[RATE]"),
    "a metaclass operator": (
        '\n\nclass _Meta(type):\n    def __or__(cls, rate):\n        USD_PER_UNIT["EUR"] = rate\n'
        "        return cls\n\n\nclass _K(metaclass=_Meta):\n    pass\n\n\n_X = _K | RATE\n", "_K | RATE"),
    "a metaclass __format__ in an f-string": (
        '\n\nclass _FMeta(type):\n    def __format__(cls, spec):\n        USD_PER_UNIT["EUR"] = float(spec)\n'
        '        return ""\n\n\nclass _F(metaclass=_FMeta):\n    pass\n\n\n_S = f"{_F:RATE}"\n', "{_F:RATE}"),
    "a class keyword handed to __init_subclass__": (
        '\n\nclass _B:\n    def __init_subclass__(cls, rate=None, **kw):\n        USD_PER_UNIT["EUR"] = rate\n'
        "\n\nclass _C(_B, rate=RATE):\n    pass\n", "rate=RATE)"),
}
Edit = tuple[Callable[[Path], None] | None, Callable[[Path], None]]   # (both versions, the new one)

EDITS_PLUGINS: dict[str, Edit] = {
    "comments and layout": (None, _replace(ITEMS, "class PriceBand(ItemProcessor):",
                                           "# bands in US dollars\nclass PriceBand(ItemProcessor):  # noqa")),
    "a price-band threshold": (None, _replace(ITEMS, '(50.0, "low")', '(40.0, "low")')),
    "the seller-score formula": (None, _replace("plugins/index_processors.py", "0.4 * level / MAX_SELLER_LEVEL + 0.6",
                                                "0.5 * level / MAX_SELLER_LEVEL + 0.5")),
    "the filter": (None, _replace(ITEMS, "class ActiveOnly(Processor):", "class ActiveOnly(Processor):\n    EXTRA = 1\n")),
}
# Found by an adversary (tests/adversary/backfill-2026-12): edits that the diff once missed.
EDITS_HARD: dict[str, Edit] = {
    **{name: (_steps(_write("plugins/fastband.py", IDENTITY), _replace(ITEMS, SDK_IMPORT, form),
                     _replace(ITEMS, BAND, "out[\"price_band\"] = band_name(band)")),
              _write("plugins/fastband.py", UPPER)) for name, form in _HELPER_FORMS.items()},
    "a helper imported inside process()": (
        _steps(_write("plugins/fastband.py", IDENTITY),
               _replace(ITEMS, BAND, 'from fastband import band_name\n        out["price_band"] = band_name(band)')),
        _write("plugins/fastband.py", UPPER)),
    "a helper re-exported by a package's __init__": (
        _steps(_write("plugins/shop/__init__.py", "from .pricing import round_usd\n"),
               _write("plugins/shop/pricing.py", "def round_usd(x):\n    return round(x, 2)\n"),
               _replace(ITEMS, SDK_IMPORT, SDK_IMPORT + "from shop import round_usd\n"),
               _replace(ITEMS, "price_usd = round(self.number(row, PRICE) * rate, 2)",
                        "price_usd = round_usd(self.number(row, PRICE) * rate)")),
        _write("plugins/shop/pricing.py", "def round_usd(x):\n    return round(x, 0)\n")),
    "a data file read at import time": _data_file("rates.json"),
    # declared types: the CDC values decode otherwise
    "types added to a source": (None, _replace("job.yaml", "  item_images:", '    types:\n      price: "decimal(12,2)"\n'
                                                '      rating: double\n  item_images:')),
    "a type on a field only CollectExtProps reads": (None, _replace("job.yaml", "  item_images:", "    types:\n      "
                                                     'ext_warranty_months: "decimal(5,1)"\n  item_images:')),
    "a type changed": (_replace("job.yaml", "  item_images:", '    types:\n      price: "decimal(12,2)"\n  item_images:'),
                       _replace("job.yaml", '"decimal(12,2)"', '"decimal(12,4)"')),
    # found by the second adversary round (session 14)
    "a package __init__ that changes its submodule": (
        _steps(_write("plugins/shop/__init__.py", 'from . import pricing\npricing.SUFFIX = ""\n'),
               _write("plugins/shop/pricing.py", 'SUFFIX = "?"\n\n\ndef band_name(x):\n    return x + SUFFIX\n'),
               _replace(ITEMS, "import json\n", "import json\nfrom shop.pricing import band_name\n"),
               _replace(ITEMS, BAND, 'out["price_band"] = band_name(band)')),
        _replace("plugins/shop/__init__.py", 'pricing.SUFFIX = ""', 'pricing.SUFFIX = "!"')),
    "builtins patched by another module": (
        _append("plugins/index_processors.py", "\nimport builtins as _b\n_orig_round = _b.round\n\n\n"
                "def _round(x, n=None):\n    return _orig_round(x, n) if n is None or n < 2 else _orig_round(x, 2)\n\n\n"
                "_b.round = _round\n"),
        _replace("plugins/index_processors.py", "else _orig_round(x, 2)", "else _orig_round(x, 1)")),
    "the decimal context set by another module": (
        _steps(_append("plugins/index_processors.py", "\nimport decimal\ndecimal.getcontext().prec = 28\n"),
               _replace(ITEMS, "import json\n", "import json\nfrom decimal import Decimal\n"),
               _replace(ITEMS, "price_usd = round(self.number(row, PRICE) * rate, 2)",
                        "price_usd = float(Decimal(str(self.number(row, PRICE))) * Decimal(str(rate)))")),
        _replace("plugins/index_processors.py", "prec = 28", "prec = 3")),
    "a constant served by a module __getattr__": (
        _steps(_append("plugins/item_common.py", '\n\ndef __getattr__(name):\n    if name == "LOW_STOCK_LIMIT":\n'
                       "        return 10\n    raise AttributeError(name)\n"),
               _replace(ITEMS, "\nLOW_STOCK = 10\n", "\nfrom item_common import LOW_STOCK_LIMIT as LOW_STOCK\n")),
        _replace("plugins/item_common.py", "        return 10\n", "        return 40\n")),
    "a constant bound by a walrus": (
        _steps(_append("plugins/item_common.py", "\n_unused = (LOW_STOCK_LIMIT := 10)\n"),
               _replace(ITEMS, "\nLOW_STOCK = 10\n", "\nfrom item_common import LOW_STOCK_LIMIT as LOW_STOCK\n")),
        _replace("plugins/item_common.py", "(LOW_STOCK_LIMIT := 10)", "(LOW_STOCK_LIMIT := 40)")),
    "a constant reached by a format string": (
        _steps(_append("plugins/item_common.py", "\nLOW_STOCK_LIMIT = 10\n"),
               _replace(ITEMS, "elif inventory < LOW_STOCK:",
                        'elif inventory < int("{0.__globals__[LOW_STOCK_LIMIT]}".format(to_float)):')),
        _replace("plugins/item_common.py", "LOW_STOCK_LIMIT = 10", "LOW_STOCK_LIMIT = 40")),
    "a hidden data file": _data_file(".rates.json"),
    "a type that makes dead letters": (None, _replace("job.yaml", "  item_images:", "    types: {review_count: tinyint}\n"
                                                      "  item_images:")),
    "a type that made dead letters removed": (
        _replace("job.yaml", "  item_images:", "    types: {review_count: tinyint}\n  item_images:"),
        _replace("job.yaml", "    types: {review_count: tinyint}\n", "")),
    "a dimension type that makes dead letters": (None, _replace(
        "job.yaml", "    fields: [seller_id, seller_name, seller_level, seller_region, seller_rating, seller_status]\n",
        "    fields: [seller_id, seller_name, seller_level, seller_region, seller_rating, seller_status]\n"
        '    types: {seller_rating: "decimal(3,1)"}\n')),
    # found by the third adversary round (session 14): code run at import time no class names
    **{name: (_steps(_TWEAKS_BASE, _write("plugins/tweaks.py", tweaks)), _replace("plugins/tweaks.py", old, new))
       for name, (tweaks, old, new) in _TWEAKS.items()},
    "a decorated function no class names": (
        _steps(_TWEAKS_BASE, _replace(ITEMS, "\nimport tweaks  # noqa: E402,F401\n", "\n"),
               _replace(ITEMS, "    apply_hooks,\n", "    apply_hooks,\n    price_hook,\n"),
               _append(ITEMS, "\n\n@price_hook\ndef usd_markup(value):\n    return round(value * 1.0, 2)\n")),
        _replace(ITEMS, "value * 1.0", "value * 1.5")),
    "an in-place operator through an alias": (
        _replace(ITEMS, "PRICE_BANDS = (", '_EURO = USD_PER_UNIT\n_EURO |= {"EUR": 1.08}\nPRICE_BANDS = ('),
        _replace(ITEMS, '_EURO |= {"EUR": 1.08}', '_EURO |= {"EUR": 1.50}')),
    "a store in the body of a class no one names": (
        _replace(ITEMS, "PRICE_BANDS = (", '\n\nclass _Setup:\n    USD_PER_UNIT["EUR"] = 1.08\n\n\nPRICE_BANDS = ('),
        _replace(ITEMS, 'USD_PER_UNIT["EUR"] = 1.08', 'USD_PER_UNIT["EUR"] = 1.50')),
    # found by the fourth adversary round (session 14): methods Python calls on its own at import
    # time (a subscript, an operator, formatting, class keywords, an annotation)
    **{name: (_append(ITEMS, code.replace("RATE", "1.08")), _replace(ITEMS, old.replace("RATE", "1.08"),
                                                                     old.replace("RATE", "1.50")))
       for name, (code, old) in _IMPLICIT.items()},
    "an annotation that calls (no postponed annotations)": (
        _steps(_replace(ITEMS, "from __future__ import annotations\n", ""),
               _append(ITEMS, '\n\ndef _init_rates(rate):\n    USD_PER_UNIT["EUR"] = rate\n\n\n'
                       "def _unused(value: _init_rates(1.08)) -> None:\n    return None\n")),
        _replace(ITEMS, "_init_rates(1.08))", "_init_rates(1.50))")),
    # sink fields removed or renamed: the old sink's values of them must go
    "a Processor and its sink field removed": (None, _steps(
        _replace(ITEMS, "PriceBand, DiscountRate,", "PriceBand,"),
        _replace("job.yaml", " discount_rate, stock_status", " stock_status"))),
    "a sink field renamed": (None, _steps(
        _replace(ITEMS, 'out["tag_list"] = tags', 'out["tags_norm"] = tags'),
        _replace("plugins/index_processors.py", '" ".join(row.get("tag_list") or [])',
                 '" ".join(row.get("tags_norm") or [])'),
        _replace("job.yaml", "discount_rate, stock_status, tag_list,", "discount_rate, stock_status, tags_norm,"))),
    "a renamed source field in the sink": (None, _steps(
        _replace("job.yaml", "fields: {category_id: cat_id}", "fields: {category_id: cat_id, brand: brand_name}"),
        _replace("job.yaml", "fields: [id, title, title_norm, brand, cat_id,", "fields: [id, title, title_norm, brand_name, cat_id,"),
        _replace("plugins/item_common.py", 'BRAND = "brand"', 'BRAND = "brand_name"'))),
}

# What needs a full recompute: the filter is in item_processors, and these make it (or the sink's
# rows) otherwise: a data file its module reads, `import sys` in its module, a row source's type,
# process-wide state any unit may read.
FULL_RECOMPUTE = {"the filter", "a data file read at import time", "a helper imported in an if", "a hidden data file",
                  "types added to a source", "a type on a field only CollectExtProps reads", "a type changed",
                  "a type that makes dead letters", "a type that made dead letters removed",
                  "builtins patched by another module", "the decimal context set by another module",
                  "a package __init__ that changes its submodule", "a constant reached by a format string",
                  "a constant served by a module __getattr__", "a constant bound by a walrus",
                  *_TWEAKS, "a decorated function no class names", "an in-place operator through an alias",
                  "a store in the body of a class no one names", *_IMPLICIT,
                  "an annotation that calls (no postponed annotations)"}
