# E-commerce item index, stage 1: everything computed from the `items` row alone
# (before the seller lookup): title normalization, attribute parsing, price band and
# discount, tags, parcel size class, stock status, extension properties, description
# keywords; plus the ActiveOnly filter that drops items which are not for sale.
from __future__ import annotations

import json
import re

from item_common import (
    CURRENCY,
    INVENTORY,
    ORIGINAL_PRICE,
    PRICE,
    STATUS,
    TITLE,
    ItemProcessor,
    normalize_text,
    to_float,
)
from plugin_sdk import UDTF, Processor

USD_PER_UNIT = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}
PRICE_BANDS = ((10.0, "budget"), (50.0, "low"), (200.0, "mid"), (1000.0, "high"))
LOW_STOCK = 10
EXT_PREFIX = "ext_"
_STORAGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(GB|TB)\s*$", re.IGNORECASE)


class ActiveOnly(Processor):
    """Filter F1: an item is indexed only while it is for sale."""

    def keep(self, row) -> bool:
        return row[STATUS] == "active"

    def process(self, row, out):
        out["is_active"] = self.keep(row)


class NormalizeTitle(Processor):
    def process(self, row, out):
        out["title_norm"] = normalize_text(row.get(TITLE))


def parse_attributes(raw: object) -> dict:
    """The `attributes` column: a JSON object as text; anything else counts as empty."""
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def storage_gb(value: object) -> float | None:
    match = _STORAGE.match(str(value)) if value is not None else None
    if match is None:
        return None
    amount = float(match.group(1))
    return amount * 1024 if match.group(2).upper() == "TB" else amount


class ParseAttributes(Processor):
    def process(self, row, out):
        attrs = parse_attributes(row.get("attributes"))
        out["attr_storage_gb"] = storage_gb(attrs.get("storage"))
        out["attr_screen_in"] = to_float(attrs.get("screen_size"))
        out["attr_count"] = len(attrs)


class PriceBand(ItemProcessor):
    def process(self, row, out):
        rate = USD_PER_UNIT.get(row.get(CURRENCY) or "USD", 1.0)
        price_usd = round(self.number(row, PRICE) * rate, 2)
        band = "premium"
        for limit, name in PRICE_BANDS:
            if price_usd < limit:
                band = name
                break
        out["price_usd"] = price_usd
        out["price_band"] = band


class DiscountRate(ItemProcessor):
    def process(self, row, out):
        price = self.number(row, PRICE)
        original = self.number(row, ORIGINAL_PRICE)
        if original <= 0 or price >= original:
            out["discount_rate"] = 0.0
        else:
            out["discount_rate"] = round(1.0 - price / original, 4)


class SplitTags(Processor):
    def process(self, row, out):
        raw = row.get("tags") or ""
        tags = []
        for part in raw.split(","):
            tag = normalize_text(part)
            if tag and tag not in tags:
                tags.append(tag)
        out["tag_list"] = tags
        out["tag_count"] = len(tags)


def size_class(volume_cm3: float, weight_g: float) -> str:
    if volume_cm3 <= 1_000 and weight_g <= 500:
        return "small"
    if volume_cm3 <= 20_000 and weight_g <= 5_000:
        return "medium"
    if volume_cm3 <= 150_000 and weight_g <= 30_000:
        return "large"
    return "bulky"


class SizeClass(ItemProcessor):
    def process(self, row, out):
        length = self.number(row, "length_mm")
        width = self.number(row, "width_mm")
        height = self.number(row, "height_mm")
        weight = self.number(row, "weight_g")
        if length <= 0 or width <= 0 or height <= 0:
            out["volume_cm3"] = None
            out["size_class"] = "unknown"
            return
        volume = round(length * width * height / 1000.0, 1)
        out["volume_cm3"] = volume
        out["size_class"] = size_class(volume, weight)


class StockStatus(ItemProcessor):
    def process(self, row, out):
        inventory = int(self.number(row, INVENTORY))
        if inventory <= 0:
            status = "out_of_stock"
        elif inventory < LOW_STOCK:
            status = "low_stock"
        else:
            status = "in_stock"
        out["stock_status"] = status


class CollectExtProps(Processor):
    """Gathers every `ext_*` column (added by merchants' schema changes) into one map.

    Deliberately dynamic: which fields it reads depends on the row's schema, so the
    analyzer must assume it reads every field (PR102) and it runs on every change.
    """

    def process(self, row, out):
        props = {}
        for key, value in row.items():
            if key.startswith(EXT_PREFIX) and value is not None:
                props[key[len(EXT_PREFIX):]] = value
        out["ext_props"] = props


# Words too common in product copy to say anything about the product.
STOP_WORDS = frozenset("""
    a about after all also an and any are as at be been but by can each every for from
    get has have in into is it its more most no not of on one or our out over so than
    that the their them then there these this those to up very was we were when which
    while will with within without you your
""".split())
# Crude stemming: the first of these suffixes that leaves at least MIN_STEM letters goes.
SUFFIXES = ("ingly", "edly", "ing", "ness", "ment", "ed", "ly", "s")
MIN_STEM = 3
MAX_KEYWORDS = 10
_WORD = re.compile(r"[^\W\d_]{2,}")            # runs of two or more letters, any script


def stem(word: str) -> str:
    """`charging` -> `charg`, `batteries` -> `battery`, `glass` -> `glass`: crude, but stable."""
    if word.endswith("ies") and len(word) > MIN_STEM + 2:
        return word[:-3] + "y"
    if word.endswith(("ss", "us", "is")):
        return word
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def top_keywords(text: str, limit: int = MAX_KEYWORDS) -> list[str]:
    """The `limit` most frequent stems of `text` without stop words; ties: alphabetical."""
    counts: dict[str, int] = {}
    for word in _WORD.findall(normalize_text(text)):
        if word not in STOP_WORDS:
            root = stem(word)
            counts[root] = counts.get(root, 0) + 1
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return [root for root, _ in ranked[:limit]]


class DescriptionKeywords(Processor):
    """The item's keywords for the engine's keyword index: the top stems of the title
    (counted twice: it is the seller's own summary) and the description."""

    def process(self, row, out):
        title = row.get("title_norm") or ""
        description = row.get("description") or ""
        out["keywords"] = top_keywords(f"{title} {title} {description}")


class ItemCoreUDTF(UDTF):
    processors = [NormalizeTitle, DescriptionKeywords, ParseAttributes, PriceBand, DiscountRate,
                  SplitTags, SizeClass, StockStatus, CollectExtProps]
