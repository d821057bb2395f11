"""A seeded CDC stream for the ecommerce job, in Debezium JSON (no schema wrapper).

    python examples/ecommerce/generate_stream.py --profile daily --seed 7 --updates 900 > stream.jsonl

It starts with a snapshot (op "r") of sellers, items and item images, then emits changes
drawn from a named profile:
- daily: mostly inventory, price and sales counters; some title, tag and category edits;
  occasional seller changes and image changes; a trickle of inserts and deletes; a few
  changes of columns the job does not know (schema evolution);
- peak: a promotion storm: price, discount and inventory dominate, in bursts per item;
- backfill: inserts only (nothing can be pruned; overhead only).
Every item update also bumps `updated_at`, as a real table's trigger would.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from typing import IO, Any

CATEGORIES = [101, 102, 103, 201, 202, 301, 302, 401]
BRANDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne"]
NOUNS = ["phone", "laptop", "headphones", "kettle", "pan", "runner", "jacket", "robot"]
ADJECTIVES = ["Pro", "Max", "Mini", "Ultra", "Lite", "Classic", "Sport", "Eco"]
CURRENCIES = ["USD", "EUR", "GBP", "CNY"]
REGIONS = ["north", "south", "east", "west"]
TAGS = ["new", "sale", "gift", "eco", "bestseller", "limited", "bundle"]

# (weight, kind of change): the profile's mix of changes after the snapshot.
PROFILES: dict[str, list[tuple[int, str]]] = {
    "daily": [(30, "inventory"), (12, "price"), (10, "sold"), (6, "rating"), (4, "title"),
              (3, "tags"), (2, "category"), (2, "attributes"), (3, "seller"), (4, "image"),
              (2, "status"), (2, "insert"), (1, "delete"), (3, "unknown_column")],
    "peak": [(40, "price"), (25, "inventory"), (20, "discount"), (8, "sold"), (2, "seller"),
             (2, "image"), (2, "title"), (1, "insert")],
    "backfill": [(1, "insert")],
}


class Stream:
    def __init__(self, seed: int, out: IO[str]) -> None:
        self.rng = random.Random(seed)
        self.out = out
        self.ts = 1_700_000_000_000
        self.items: dict[int, dict[str, Any]] = {}
        self.sellers: dict[int, dict[str, Any]] = {}
        self.images: dict[int, dict[str, Any]] = {}
        self.next_item = 1
        self.next_image = 1
        self.count = 0

    # ------------------------------------------------------------------ rows
    def seller(self, sid: int) -> dict[str, Any]:
        r = self.rng
        return {"seller_id": sid, "seller_name": f"{r.choice(BRANDS)} Store {sid}",
                "seller_level": r.randint(1, 5), "seller_region": r.choice(REGIONS),
                "seller_rating": round(r.uniform(3.0, 5.0), 2), "seller_status": "active"}

    def item(self, iid: int) -> dict[str, Any]:
        r = self.rng
        price = round(r.uniform(5, 1500), 2)
        category = r.choice(CATEGORIES)
        attributes = {"storage": f"{r.choice([64, 128, 256, 512])}GB"} if category in (101, 102) else {}
        if category in (101, 102):
            attributes["screen_size"] = round(r.uniform(5.5, 17.3), 1)
        return {
            "id": iid, "title": f"{r.choice(BRANDS)} {r.choice(ADJECTIVES)} {r.choice(NOUNS)} {iid}",
            "subtitle": "", "brand": r.choice(BRANDS), "category_id": category, "price": price,
            "original_price": round(price * r.uniform(1.0, 1.4), 2), "currency": r.choice(CURRENCIES),
            "inventory": r.randint(0, 500), "sold_count": r.randint(0, 10_000), "status": "active",
            "seller_id": r.choice(list(self.sellers)), "attributes": json.dumps(attributes),
            "tags": ",".join(r.sample(TAGS, r.randint(0, 3))), "description": f"Item {iid}",
            "weight_g": r.randint(50, 5000), "length_mm": r.randint(50, 600),
            "width_mm": r.randint(30, 400), "height_mm": r.randint(10, 300),
            "color": r.choice(["black", "white", "red", "blue"]), "size": r.choice(["S", "M", "L", ""]),
            "material": r.choice(["plastic", "steel", "cotton", "aluminium"]),
            "created_at": self.ts, "updated_at": self.ts, "rating": round(r.uniform(1, 5), 1),
            "review_count": r.randint(0, 2000), "is_promoted": r.random() < 0.1,
            "shipping_template": r.choice(["std", "express"]), "origin_country": r.choice(["CN", "DE", "US"]),
            "ext_warranty_months": r.choice([0, 12, 24]), "ext_energy_class": r.choice(["A", "B", ""]),
        }

    def image(self, item_id: int, position: int) -> dict[str, Any]:
        iid = self.next_image
        self.next_image += 1
        return {"id": iid, "item_id": item_id, "url": f"https://img.example/{item_id}/{iid}.jpg",
                "position": position, "is_main": position == 0}

    # ------------------------------------------------------------------ output
    def emit(self, table: str, op: str, before: dict | None, after: dict | None) -> None:
        self.ts += self.rng.randint(1, 900)
        payload = {"before": before, "after": after, "op": op, "ts_ms": self.ts,
                   "source": {"db": "shop", "table": table, "ts_ms": self.ts}}
        self.out.write(json.dumps(payload, separators=(",", ":")) + "\n")
        self.count += 1

    def snapshot(self, n_sellers: int, n_items: int) -> None:
        for sid in range(1, n_sellers + 1):
            self.sellers[sid] = self.seller(sid)
            self.emit("sellers", "r", None, self.sellers[sid])
        for _ in range(n_items):
            self.insert_item("r")

    def insert_item(self, op: str = "c") -> None:
        iid = self.next_item
        self.next_item += 1
        self.items[iid] = self.item(iid)
        self.emit("items", op, None, self.items[iid])
        for position in range(self.rng.randint(1, 3)):
            image = self.image(iid, position)
            self.images[image["id"]] = image
            self.emit("item_images", op, None, image)

    def update_item(self, iid: int, changes: dict[str, Any]) -> None:
        before = self.items[iid]
        after = {**before, **changes, "updated_at": self.ts}
        self.items[iid] = after
        self.emit("items", "u", before, after)

    # ------------------------------------------------------------------ changes
    def change(self, kind: str, iid: int) -> None:
        r = self.rng
        item = self.items[iid]
        if kind == "inventory":
            self.update_item(iid, {"inventory": max(0, item["inventory"] + r.randint(-20, 20))})
        elif kind == "price":
            self.update_item(iid, {"price": round(item["price"] * r.uniform(0.8, 1.1), 2)})
        elif kind == "discount":
            price = round(item["original_price"] * r.uniform(0.5, 0.95), 2)
            self.update_item(iid, {"price": price, "is_promoted": True})
        elif kind == "sold":
            self.update_item(iid, {"sold_count": item["sold_count"] + r.randint(1, 5)})
        elif kind == "rating":
            self.update_item(iid, {"rating": round(r.uniform(1, 5), 1),
                                   "review_count": item["review_count"] + 1})
        elif kind == "title":
            self.update_item(iid, {"title": item["title"] + " " + r.choice(ADJECTIVES)})
        elif kind == "tags":
            self.update_item(iid, {"tags": ",".join(r.sample(TAGS, r.randint(0, 3)))})
        elif kind == "category":
            self.update_item(iid, {"category_id": r.choice(CATEGORIES)})
        elif kind == "attributes":
            self.update_item(iid, {"attributes": json.dumps({"storage": f"{r.choice([1, 2])}TB"})})
        elif kind == "status":
            self.update_item(iid, {"status": "inactive" if item["status"] == "active" else "active"})
        elif kind == "unknown_column":
            before = item
            after = {**item, "internal_note": f"note {r.randint(1, 99)}"}
            self.items[iid] = after
            self.emit("items", "u", before, after)
        elif kind == "seller":
            sid = r.choice(list(self.sellers))
            before = self.sellers[sid]
            field = r.choice(["seller_name", "seller_level", "seller_rating", "seller_region"])
            after = {**before, field: self.seller(sid)[field]}
            self.sellers[sid] = after
            self.emit("sellers", "u", before, after)
        elif kind == "image":
            mine = [img for img in self.images.values() if img["item_id"] == iid]
            if mine and r.random() < 0.5:
                image = r.choice(mine)
                after = {**image, "position": r.randint(0, 3), "url": image["url"] + "?v=2"}
                self.images[image["id"]] = after
                self.emit("item_images", "u", image, after)
            else:
                image = self.image(iid, len(mine))
                self.images[image["id"]] = image
                self.emit("item_images", "c", None, image)
        elif kind == "insert":
            self.insert_item()
        elif kind == "delete":
            item = self.items.pop(iid)
            self.emit("items", "d", item, None)
            for image_id in [i for i, img in self.images.items() if img["item_id"] == iid]:
                self.emit("item_images", "d", self.images.pop(image_id), None)


def generate(out: IO[str], *, profile: str, seed: int, updates: int, items: int = 60, sellers: int = 8) -> int:
    stream = Stream(seed, out)
    if profile != "backfill":
        stream.snapshot(sellers, items)
    else:
        stream.snapshot(sellers, 0)
    weights, kinds = zip(*[(w, k) for w, k in PROFILES[profile]])
    burst_item, burst_left = None, 0
    for _ in range(updates):
        kind = stream.rng.choices(kinds, weights)[0]
        if kind == "insert" or not stream.items:
            stream.insert_item()
            continue
        if profile == "peak":
            if burst_left == 0 or burst_item not in stream.items:
                burst_item, burst_left = stream.rng.choice(list(stream.items)), stream.rng.randint(5, 30)
            burst_left -= 1
            iid = burst_item
        else:
            iid = stream.rng.choice(list(stream.items))
        stream.change(kind, iid)
    return stream.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="daily")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--updates", type=int, default=900, help="changes after the snapshot")
    parser.add_argument("--items", type=int, default=60, help="items in the snapshot")
    args = parser.parse_args()
    count = generate(sys.stdout, profile=args.profile, seed=args.seed, updates=args.updates, items=args.items)
    print(f"{count} messages", file=sys.stderr)


if __name__ == "__main__":
    main()
