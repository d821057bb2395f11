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
    "a data file read at import time": (
        _steps(_write("plugins/rates.json", '{"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}'),
               _replace(ITEMS, 'USD_PER_UNIT = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}\n',
                        'import os\nwith open(os.path.join(os.path.dirname(__file__), "rates.json")) as _f:\n'
                        '    USD_PER_UNIT = json.load(_f)\n')),
        _replace("plugins/rates.json", '"CNY": 0.14', '"CNY": 0.5')),
    # declared types: the CDC values decode otherwise
    "types added to a source": (None, _replace("job.yaml", "  item_images:", '    types:\n      price: "decimal(12,2)"\n'
                                                '      rating: double\n  item_images:')),
    "a type on a field only CollectExtProps reads": (None, _replace("job.yaml", "  item_images:", "    types:\n      "
                                                     'ext_warranty_months: "decimal(5,1)"\n  item_images:')),
    "a type changed": (_replace("job.yaml", "  item_images:", '    types:\n      price: "decimal(12,2)"\n  item_images:'),
                       _replace("job.yaml", '"decimal(12,2)"', '"decimal(12,4)"')),
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
