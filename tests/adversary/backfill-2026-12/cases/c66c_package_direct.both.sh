mkdir -p plugins/shop
: > plugins/shop/__init__.py
echo 'def round_usd(x):
    return round(x, 2)' > plugins/shop/pricing.py
python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('from plugin_sdk import UDTF, Processor\n','from plugin_sdk import UDTF, Processor\nfrom shop.pricing import round_usd\n')
s=s.replace('price_usd = round(self.number(row, PRICE) * rate, 2)','price_usd = round_usd(self.number(row, PRICE) * rate)')
open(p,'w').write(s)
PY
