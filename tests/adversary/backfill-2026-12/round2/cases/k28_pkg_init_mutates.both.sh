mkdir -p plugins/shop
printf 'from . import pricing\npricing.SUFFIX = ""\n' > plugins/shop/__init__.py
printf 'SUFFIX = "?"\n\ndef band_name(x):\n    return x + SUFFIX\n' > plugins/shop/pricing.py
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("import json\n","import json\nfrom shop.pricing import band_name\n",1)
s=s.replace('out["price_band"] = band','out["price_band"] = band_name(band)')
open(p,'w').write(s)
P2
