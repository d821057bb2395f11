cat > plugins/deco.py <<'PY'
import functools
FACTOR = 1.0
def scaled(fn):
    @functools.wraps(fn)
    def wrap(*a):
        return fn(*a) * FACTOR
    return wrap
PY
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("import json\n","import json\nimport functools\nfrom deco import scaled\n",1)
s=s.replace("class PriceBand(ItemProcessor):","@functools.lru_cache(maxsize=None)\n@scaled\ndef _rate(cur):\n    return USD_PER_UNIT.get(cur, 1.0)\n\n\nclass PriceBand(ItemProcessor):")
s=s.replace('rate = USD_PER_UNIT.get(row.get(CURRENCY) or "USD", 1.0)','rate = _rate(row.get(CURRENCY) or "USD")')
open(p,'w').write(s)
P2
