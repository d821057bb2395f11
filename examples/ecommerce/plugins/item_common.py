# E-commerce item index: shared pieces of the plugins that build one wide "item" row per
# product for the search/recommendation engine. Field-name constants, text and number
# helpers, the category dictionary, and the base class every item Processor derives from.
from __future__ import annotations

import re
import unicodedata

from plugin_sdk import Processor

# Source fields of `items` that several Processors read.
TITLE = "title"
BRAND = "brand"
CATEGORY = "cat_id"          # `category_id` after the job's rename R1
PRICE = "price"
ORIGINAL_PRICE = "original_price"
CURRENCY = "currency"
INVENTORY = "inventory"
STATUS = "status"

# Category id -> display name, used for search text.
CATEGORY_NAMES = {
    101: "mobile phones",
    102: "laptops",
    103: "headphones",
    201: "kitchen appliances",
    202: "cookware",
    301: "running shoes",
    302: "jackets",
    401: "toys",
}

_PUNCTUATION = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def normalize_text(text: object) -> str:
    """NFKC-fold, lower-case, drop punctuation and collapse white space."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    folded = _PUNCTUATION.sub(" ", folded)
    return _SPACES.sub(" ", folded).strip()


def to_float(value: object, default: float | None = None) -> float | None:
    """A number from a DB value that may be None, '' or a numeric string."""
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class ItemProcessor(Processor):
    """Base of the item Processors: a helper to read a numeric field of the row."""

    def number(self, row, field: str, default: float = 0.0) -> float:
        value = to_float(row.get(field), default)
        return default if value is None else value
