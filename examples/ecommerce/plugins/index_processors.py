# E-commerce item index, stage 2: runs after the seller DimJoin and the image UDAF, and
# combines their outputs with stage 1: seller score, search text, main image, and the
# indexing timestamp the engine uses for freshness monitoring.
from __future__ import annotations

import time

from item_common import BRAND, CATEGORY, CATEGORY_NAMES, normalize_text
from plugin_sdk import UDTF, Processor, always_run

MAX_SELLER_LEVEL = 5


class SellerScore(Processor):
    """0..1: 40% seller level, 60% seller rating; 0 for a seller that is not active."""

    def process(self, row, out):
        if row.get("seller_status") != "active":
            out["seller_score"] = 0.0
            return
        level = min(int(row.get("seller_level") or 0), MAX_SELLER_LEVEL)
        rating = float(row.get("seller_rating") or 0.0)
        score = 0.4 * level / MAX_SELLER_LEVEL + 0.6 * min(rating, 5.0) / 5.0
        out["seller_score"] = round(score, 4)


class SearchText(Processor):
    """Title, brand, category name and tags as one de-duplicated token string."""

    def process(self, row, out):
        parts = [
            row["title_norm"],
            normalize_text(row.get(BRAND)),
            CATEGORY_NAMES.get(row.get(CATEGORY), ""),
            " ".join(row.get("tag_list") or []),
        ]
        tokens = []
        for token in " ".join(parts).split():
            if token not in tokens:
                tokens.append(token)
        out["search_text"] = " ".join(tokens)


class MainImage(Processor):
    """The main image URL (is_main first, then lowest position) and the image count."""

    def process(self, row, out):
        images = row.get("image_list") or []
        ranked = sorted(images, key=lambda image: (not image["is_main"], image["position"]))
        out["main_image_url"] = ranked[0]["url"] if ranked else None
        out["image_count"] = len(images)


@always_run
class IndexStamp(Processor):
    """When the row was (re)built, and how far behind the source update that was.

    Reads the clock, so it is never pruned; @always_run says that is intended.
    """

    def process(self, row, out):
        now_ms = int(time.time() * 1000)
        out["indexed_at"] = now_ms
        out["index_lag_ms"] = max(0, now_ms - int(row.get("updated_at") or 0))


class IndexUDTF(UDTF):
    processors = [SellerScore, SearchText, MainImage, IndexStamp]
