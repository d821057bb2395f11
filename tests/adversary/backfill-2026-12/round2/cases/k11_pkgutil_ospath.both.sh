mkdir -p plugins/data
printf '{"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}\n' > plugins/data/rates.json
printf 'import json, pkgutil\nfrom os import path as p\n\nRATES = json.loads(pkgutil.get_data("item_common", p.join("data", "rates.json")))\n' > plugins/ratehelper.py
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('USD_PER_UNIT = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}','from ratehelper import RATES as USD_PER_UNIT')
open(p,'w').write(s)
P2
