echo '{"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}' > plugins/rates.json
python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('USD_PER_UNIT = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}\n','import os\nwith open(os.path.join(os.path.dirname(__file__), "rates.json")) as _f:\n    USD_PER_UNIT = json.load(_f)\n')
open(p,'w').write(s)
PY
