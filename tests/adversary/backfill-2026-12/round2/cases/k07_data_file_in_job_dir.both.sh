printf '{"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}\n' > rates.json
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('USD_PER_UNIT = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}',
 'import os\nwith open(os.path.join(os.path.dirname(__file__), "..", "rates.json")) as _f:\n    USD_PER_UNIT = json.load(_f)')
open(p,'w').write(s)
P2
