mkdir -p lib; echo 'RATES = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}' > lib/fx.py
sed -i 's/^plugins: \[plugins\]/plugins: [plugins, lib]/' job.yaml
python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('USD_PER_UNIT = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "JPY": 0.0067}\n','from fx import RATES as USD_PER_UNIT\n')
open(p,'w').write(s)
PY
