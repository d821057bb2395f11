# common: item_processors imports tweaks (side-effect import) at its end; PriceBand applies item_common.PRICE_HOOKS;
# item_processors has a global setter set_low_stock
cat >> plugins/item_common.py <<'PY'

PRICE_HOOKS = []


def price_hook(fn):
    PRICE_HOOKS.append(fn)
    return fn


def apply_hooks(value):
    for hook in PRICE_HOOKS:
        value = hook(value)
    return value
PY
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("    ItemProcessor,\n","    ItemProcessor,\n    apply_hooks,\n",1)
s=s.replace("price_usd = round(self.number(row, PRICE) * rate, 2)","price_usd = apply_hooks(round(self.number(row, PRICE) * rate, 2))")
s=s.replace("LOW_STOCK = 10\n","LOW_STOCK = 10\n\n\ndef set_low_stock(value):\n    global LOW_STOCK\n    LOW_STOCK = value\n",1)
open(p,'w').write(s)
P2
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("        rate = USD_PER_UNIT.get(","        import tweaks  # noqa: F401  (registers the price hooks)\n        rate = USD_PER_UNIT.get(",1)
open(p,'w').write(s)
P2
