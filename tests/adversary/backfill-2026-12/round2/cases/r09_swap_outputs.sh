python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('        out["price_usd"] = price_usd\n        out["price_band"] = band','        out["price_usd"] = band\n        out["price_band"] = price_usd')
open(p,'w').write(s)
P2
