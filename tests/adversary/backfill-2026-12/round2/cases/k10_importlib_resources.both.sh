mkdir -p plugins/ratespkg/data && : > plugins/ratespkg/__init__.py
printf '{"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}\n' > plugins/ratespkg/data/rates.json
printf 'import json\nfrom importlib import resources as _r\n\ndef load():\n    return json.loads(_r.files("ratespkg").joinpath("data/rates.json").read_text())\n' > plugins/ratehelper.py
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('USD_PER_UNIT = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}','from ratehelper import load as _load\nUSD_PER_UNIT = _load()')
open(p,'w').write(s)
P2
