cat >> plugins/index_processors.py <<'PY'

import decimal
decimal.getcontext().prec = 28
PY
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("import json\n","import json\nfrom decimal import Decimal\n",1)
s=s.replace("price_usd = round(self.number(row, PRICE) * rate, 2)","price_usd = float(Decimal(str(self.number(row, PRICE))) * Decimal(str(rate)))")
open(p,'w').write(s)
P2
