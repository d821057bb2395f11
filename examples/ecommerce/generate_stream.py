"""A seeded CDC stream for the ecommerce job, in Debezium JSON (no schema wrapper).

    python examples/ecommerce/generate_stream.py --profile daily --seed 7 --items 40 --updates 500 \\
        > examples/ecommerce/stream.debezium.jsonl        # the bundled stream

It starts with a snapshot (op "r") of sellers, items and item images, then emits changes
drawn from a named profile:
- daily: mostly inventory, price and sales counters; some title, tag, category, attribute
  and description edits; occasional seller changes and image changes; a trickle of inserts
  and deletes; a few changes of columns the job does not know (schema evolution);
- peak: a promotion storm: price, discount and inventory dominate, in bursts per item;
- backfill: inserts only (nothing can be pruned; overhead only).
Every item update also bumps `updated_at`, as a real table's trigger would.

Rows look like a real catalog's, so that the Processors do the work they would do in
production: titles of 6-12 words, descriptions of 3-8 sentences (300-900 characters),
`attributes` as a JSON object of 6-15 keys, comma-separated tags. Everything is drawn from
the word lists below with the seeded RNG: the same arguments give the same stream.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from typing import IO, Any

BRANDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne"]
ADJECTIVES = ["Pro", "Max", "Mini", "Ultra", "Lite", "Classic", "Sport", "Eco"]
CURRENCIES = ["USD", "EUR", "GBP", "CNY"]
REGIONS = ["north", "south", "east", "west"]
TAGS = ["new", "sale", "gift", "eco", "bestseller", "limited", "bundle"]
COLORS = ["black", "white", "red", "blue", "graphite", "silver", "forest green", "sand beige"]
MATERIALS = ["plastic", "steel", "cotton", "aluminium", "recycled polyester", "bamboo", "glass"]

# Per category: product nouns, title words, selling points for the description, and the
# category's own attribute keys with their possible values.
CATALOG: dict[int, dict[str, Any]] = {
    101: {
        "nouns": ["smartphone", "phone", "mobile phone"],
        "title_words": ["5G", "unlocked", "dual-SIM", "OLED", "128GB", "fast-charging", "triple-camera",
                        "waterproof", "slim", "flagship", "edition", "2024"],
        "features": ["a bright OLED display that stays readable in direct sunlight",
                     "a battery that lasts two full days of ordinary use",
                     "fast charging from empty to eighty percent in forty minutes",
                     "a triple camera system with optical stabilization and night mode",
                     "dual SIM slots and support for every major 5G network",
                     "a ﬁngerprint reader built into the power button"],
        "attributes": {"ram": ["4GB", "6GB", "8GB", "12GB"], "battery": ["4000 mAh", "4500 mAh", "5000 mAh"],
                       "os": ["Android 14", "Android 13", "iOS 17"], "camera": ["48 MP", "50 MP", "108 MP"],
                       "sim": ["single", "dual", "dual + eSIM"], "network": ["5G", "4G LTE"],
                       "charger": ["USB-C 25W", "USB-C 45W", "USB-C 65W"]},
    },
    102: {
        "nouns": ["laptop", "notebook", "ultrabook"],
        "title_words": ["14-inch", "16-inch", "backlit", "keyboard", "SSD", "lightweight", "business",
                        "gaming", "touchscreen", "Wi-Fi", "6E", "2024"],
        "features": ["a full-size backlit keyboard that is quiet enough for late nights",
                     "a fast solid state drive that boots the system in seconds",
                     "an aluminium chassis that weighs less than one and a half kilograms",
                     "a battery rated for up to fourteen hours of video playback",
                     "two USB-C ports with power delivery and a full-size HDMI output",
                     "a matte anti-glare screen that is easy on the eyes"],
        "attributes": {"ram": ["8GB", "16GB", "32GB"], "processor": ["8-core 3.2 GHz", "12-core 4.1 GHz"],
                       "gpu": ["integrated", "RTX 4050", "RTX 4070"], "battery": ["56 Wh", "72 Wh", "99 Wh"],
                       "os": ["Windows 11", "Linux", "none"], "keyboard": ["US", "UK", "DE", "FR"],
                       "voltage": ["100-240V"]},
    },
    103: {
        "nouns": ["headphones", "earbuds", "headset"],
        "title_words": ["wireless", "Bluetooth", "noise-cancelling", "over-ear", "in-ear", "foldable",
                        "studio", "bass", "microphone", "30h", "playtime", "comfort"],
        "features": ["active noise cancelling that blocks out traffic and office chatter",
                     "soft memory foam cushions for comfortable listening all day",
                     "thirty hours of playback on a single charge",
                     "a built-in microphone for clear calls in noisy places",
                     "multipoint Bluetooth pairing with a phone and a laptop at once",
                     "deep, balanced bass tuned by professional sound engineers"],
        "attributes": {"driver_mm": ["10", "32", "40", "50"], "bluetooth": ["5.0", "5.2", "5.3"],
                       "noise_cancelling": ["yes", "no"], "battery_hours": ["20", "30", "40"],
                       "impedance_ohm": ["16", "32", "64"], "water_resistance": ["none", "IPX4", "IPX5"],
                       "connector": ["USB-C", "3.5 mm jack"]},
    },
    201: {
        "nouns": ["kettle", "toaster", "blender", "coffee maker"],
        "title_words": ["electric", "stainless", "steel", "1.7L", "cordless", "quick-boil", "digital",
                        "temperature", "control", "BPA-free", "kitchen", "compact"],
        "features": ["a powerful heating element that boils a full jug in three minutes",
                     "automatic shut-off and boil-dry protection for safe everyday use",
                     "a removable filter that is easy to rinse under the tap",
                     "a cool-touch housing that stays safe to hold while it works",
                     "five temperature presets for green tea, coffee and baby formula",
                     "a compact footprint that leaves room on a busy worktop"],
        "attributes": {"voltage": ["220-240V", "110-120V"], "power": ["1200W", "1500W", "2200W", "3000W"],
                       "capacity": ["0.8 L", "1.2 L", "1.7 L"], "plug": ["EU", "UK", "US"],
                       "programs": ["1", "3", "5"], "noise_db": ["48", "55", "62"],
                       "energy_class": ["A", "B", "C"]},
    },
    202: {
        "nouns": ["frying pan", "saucepan", "wok", "casserole"],
        "title_words": ["non-stick", "induction", "ready", "cast", "iron", "24cm", "28cm", "ceramic",
                        "coating", "oven-safe", "with", "lid"],
        "features": ["a non-stick ceramic coating that releases eggs without any oil",
                     "a heavy base that spreads heat evenly on gas, electric and induction hobs",
                     "riveted stay-cool handles for a safe and steady grip",
                     "a glass lid with a steam vent so nothing boils over",
                     "a finish that is safe in the dishwasher and in the oven",
                     "a scratch-resistant surface made for metal utensils"],
        "attributes": {"diameter": ["20 cm", "24 cm", "28 cm", "32 cm"],
                       "coating": ["ceramic", "PTFE-free", "enamel", "none"],
                       "induction_ready": ["yes", "no"], "dishwasher_safe": ["yes", "no"],
                       "oven_safe_c": ["180", "220", "260"], "lid": ["glass", "steel", "none"],
                       "handle": ["riveted steel", "bakelite", "removable"]},
    },
    301: {
        "nouns": ["running shoes", "trail runners", "sneakers"],
        "title_words": ["men's", "women's", "lightweight", "breathable", "mesh", "cushioned", "trail",
                        "road", "marathon", "training", "wide", "fit"],
        "features": ["a breathable mesh upper that keeps feet cool on long runs",
                     "responsive foam cushioning that returns energy with every stride",
                     "a grippy rubber outsole for wet roads and loose trails",
                     "a padded heel collar that locks the foot in place",
                     "reflective details for safer running after dark",
                     "a removable insole that fits custom orthotics"],
        "attributes": {"size_eu": ["38", "40", "42", "44", "46"], "fabric": ["mesh", "knit", "synthetic"],
                       "sole": ["rubber", "carbon plate", "EVA foam"], "drop_mm": ["4", "8", "10", "12"],
                       "closure": ["laces", "speed laces", "slip-on"], "gender": ["men", "women", "unisex"],
                       "terrain": ["road", "trail", "track"]},
    },
    302: {
        "nouns": ["jacket", "rain jacket", "down jacket", "softshell"],
        "title_words": ["waterproof", "windproof", "hooded", "packable", "insulated", "lightweight",
                        "hiking", "outdoor", "winter", "men's", "women's", "breathable"],
        "features": ["a waterproof shell with fully taped seams for heavy rain",
                     "warm insulation that packs down into its own pocket",
                     "an adjustable hood that fits over a helmet",
                     "zipped hand pockets and a secure inside pocket for a phone",
                     "underarm vents that release heat on steep climbs",
                     "a durable water-repellent finish free of PFC chemicals"],
        "attributes": {"size": ["XS", "S", "M", "L", "XL", "XXL"], "fabric": ["nylon", "polyester", "softshell"],
                       "lining": ["fleece", "mesh", "none"], "waterproof_mm": ["5000", "10000", "20000"],
                       "fit": ["regular", "slim", "relaxed"], "hood": ["fixed", "removable", "none"],
                       "care": ["machine wash 30°C", "hand wash only"]},
    },
    401: {
        "nouns": ["toy robot", "building set", "puzzle", "remote control car"],
        "title_words": ["kids", "educational", "STEM", "programmable", "remote", "control", "gift",
                        "ages", "8+", "rechargeable", "building", "blocks"],
        "features": ["colourful pieces that click together without any tools",
                     "a simple app that teaches the basics of programming",
                     "a rechargeable battery that runs for an hour of play",
                     "sturdy parts that survive drops from the kitchen table",
                     "step by step instructions for twelve different models",
                     "a storage box that keeps every piece in one place"],
        "attributes": {"age_range": ["3+", "6+", "8+", "12+"], "batteries_required": ["yes", "no"],
                       "pieces": ["120", "350", "780", "1500"], "safety_standard": ["EN71", "ASTM F963"],
                       "assembly": ["required", "not required"], "voltage": ["3.7V", "4.8V"],
                       "remote_range_m": ["30", "50", "80"]},
    },
}
CATEGORIES = sorted(CATALOG)
WITH_STORAGE = (101, 102)            # phones and laptops: the only ones with storage and a screen

# Attributes any category may carry, besides its own.
COMMON_ATTRIBUTES: dict[str, list[str]] = {
    "color": COLORS, "material": MATERIALS, "warranty": ["12 months", "24 months", "36 months"],
    "origin": ["China", "Germany", "Vietnam", "USA"], "certification": ["CE", "CE, RoHS", "UL", "FCC, CE"],
    "package": ["retail box", "recyclable carton", "plastic-free"],
    "model_year": ["2022", "2023", "2024"], "care": ["wipe clean", "machine wash 30°C", "hand wash only"],
}
# Every key's values, whatever the category (an item keeps its attributes when its category changes).
ATTRIBUTE_VALUES: dict[str, list[str]] = {
    "storage": ["64GB", "128GB", "256GB", "512GB", "1TB", "2TB"],
    **{key: values for entry in CATALOG.values() for key, values in entry["attributes"].items()},
    **COMMON_ATTRIBUTES,
}

# Sentence templates of a description; {feature} is one of the category's selling points.
SENTENCES = [
    "This {adjective} {noun} from {brand} comes with {feature}.",
    "Designed for everyday use, it offers {feature}.",
    "Customers love {feature}, and reviewers call it the best {noun} in its class.",
    "It is made of {material} and built to last for years.",
    "You also get {feature}.",
    "Each one is tested by hand before it leaves our warehouse, so it arrives ready to use.",
    "It is available in {color} and ships in a recyclable box with a quick start guide.",
    "{brand} backs the {noun} with a {warranty}-month warranty and free returns within thirty days.",
    "Compared with the previous model, it adds {feature}.",
    "Whether you are a beginner or a professional, the {noun} from {brand} will not let you down.",
]
DESCRIPTION_CHARS = (300, 900)

# (weight, kind of change): the profile's mix of changes after the snapshot.
PROFILES: dict[str, list[tuple[int, str]]] = {
    "daily": [(30, "inventory"), (12, "price"), (10, "sold"), (6, "rating"), (4, "title"),
              (3, "tags"), (2, "category"), (2, "attributes"), (2, "description"), (3, "seller"),
              (4, "image"), (2, "status"), (2, "insert"), (1, "delete"), (3, "unknown_column")],
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

    # ------------------------------------------------------------------ text
    def title(self, category: int, brand: str) -> str:
        """Brand, adjective, product noun, a few of the category's title words, a model code."""
        r = self.rng
        words = [brand, r.choice(ADJECTIVES), *r.choice(CATALOG[category]["nouns"]).split()]
        extra = max(0, r.randint(6, 12) - len(words) - 1)
        words += r.sample(CATALOG[category]["title_words"], extra)
        words.append(f"{r.choice('ABCDEFGHKMNPRSTXZ')}{r.randint(100, 9999)}")
        return " ".join(words)

    def sentence(self, category: int, brand: str, template: str | None = None) -> str:
        r = self.rng
        return (template or r.choice(SENTENCES)).format(
            adjective=r.choice(ADJECTIVES).lower(), noun=r.choice(CATALOG[category]["nouns"]),
            brand=brand, feature=r.choice(CATALOG[category]["features"]), material=r.choice(MATERIALS),
            color=r.choice(COLORS), warranty=r.choice([12, 24, 36]))

    def description(self, category: int, brand: str) -> str:
        """3-8 sentences of different templates, 300-900 characters."""
        templates = self.rng.sample(SENTENCES, len(SENTENCES))
        sentences = [self.sentence(category, brand, t) for t in templates[:self.rng.randint(3, 8)]]
        return self.fit(sentences, category, brand)

    def fit(self, sentences: list[str], category: int, brand: str) -> str:
        """Adds or drops sentences until the text is 300-900 characters long."""
        low, high = DESCRIPTION_CHARS
        while len(" ".join(sentences)) < low:
            sentences.append(self.sentence(category, brand))
        while len(" ".join(sentences)) > high and len(sentences) > 3:
            sentences.pop()
        return " ".join(sentences)

    def attribute(self, category: int, key: str) -> Any:
        r = self.rng
        if key == "screen_size":
            return round(r.uniform(5.5, 17.3), 1)
        return r.choice(CATALOG[category]["attributes"].get(key) or ATTRIBUTE_VALUES[key])

    def attributes(self, category: int, dimensions: str, weight: str) -> dict[str, Any]:
        """6-15 keys: some of the category's own and of the common ones, the parcel's
        dimensions and weight; phones and laptops always carry `storage` and `screen_size`."""
        r = self.rng
        own = CATALOG[category]["attributes"]
        keys = ["storage", "screen_size"] if category in WITH_STORAGE else []
        pool = [*own, *(key for key in COMMON_ATTRIBUTES if key not in own)]
        keys += r.sample(pool, r.randint(6, 15) - len(keys) - 2)
        attrs = {key: self.attribute(category, key) for key in keys}
        attrs.update(dimensions=dimensions, weight=weight)
        return attrs

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
        brand = r.choice(BRANDS)
        size = {"weight_g": r.randint(50, 5000), "length_mm": r.randint(50, 600),
                "width_mm": r.randint(30, 400), "height_mm": r.randint(10, 300)}
        dimensions = f"{size['length_mm']} x {size['width_mm']} x {size['height_mm']} mm"
        attributes = self.attributes(category, dimensions, f"{size['weight_g']} g")
        return {
            "id": iid, "title": self.title(category, brand),
            "subtitle": "", "brand": brand, "category_id": category, "price": price,
            "original_price": round(price * r.uniform(1.0, 1.4), 2), "currency": r.choice(CURRENCIES),
            "inventory": r.randint(0, 500), "sold_count": r.randint(0, 10_000), "status": "active",
            "seller_id": r.choice(list(self.sellers)), "attributes": json.dumps(attributes),
            "tags": ",".join(r.sample(TAGS, r.randint(0, 3))),
            "description": self.description(category, brand), **size,
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
            self.update_item(iid, {"title": self.title(item["category_id"], item["brand"])})
        elif kind == "description":
            # An edit: one sentence rewritten.
            sentences = re.split(r"(?<=\.) ", item["description"])
            sentences[r.randrange(len(sentences))] = self.sentence(item["category_id"], item["brand"])
            self.update_item(iid, {"description": self.fit(sentences, item["category_id"], item["brand"])})
        elif kind == "tags":
            self.update_item(iid, {"tags": ",".join(r.sample(TAGS, r.randint(0, 3)))})
        elif kind == "category":
            self.update_item(iid, {"category_id": r.choice(CATEGORIES)})
        elif kind == "attributes":
            # One attribute changes value: the storage of a phone or laptop, else any other
            # (dimensions and weight mirror the row's own columns and stay).
            attrs = json.loads(item["attributes"])
            editable = sorted(attrs.keys() - {"dimensions", "weight"})
            key = "storage" if "storage" in attrs else r.choice(editable)
            attrs[key] = self.attribute(item["category_id"], key)
            self.update_item(iid, {"attributes": json.dumps(attrs)})
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
