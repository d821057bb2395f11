mkdir -p plugins/shop && : > plugins/shop/__init__.py
printf 'def band_name(x):\n    return x\n' > plugins/shop/pricing.py
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("import json\n","import json\nimport shop.pricing as sp\n",1)
s=s.replace('out["price_band"] = band','out["price_band"] = sp.band_name(band)')
open(p,'w').write(s)
P2
