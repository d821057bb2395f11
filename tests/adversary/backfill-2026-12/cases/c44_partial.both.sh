python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('from plugin_sdk import UDTF, Processor\n','from plugin_sdk import UDTF, Processor\nimport functools\n\nround_money = functools.partial(round, ndigits=2)\n')
s=s.replace('price_usd = round(self.number(row, PRICE) * rate, 2)','price_usd = round_money(self.number(row, PRICE) * rate)')
open(p,'w').write(s)
PY
