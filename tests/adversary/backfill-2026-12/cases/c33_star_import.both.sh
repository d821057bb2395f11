echo 'ROUND_DIGITS = 2' > plugins/consts.py
python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('from plugin_sdk import UDTF, Processor\n','from plugin_sdk import UDTF, Processor\nfrom consts import *\n')
s=s.replace('price_usd = round(self.number(row, PRICE) * rate, 2)','price_usd = round(self.number(row, PRICE) * rate, ROUND_DIGITS)')
open(p,'w').write(s)
PY
