cat >> plugins/item_processors.py <<'PY'


from item_common import ROUND_MODE

if ROUND_MODE == "cents":
    def _rnd(v):
        return round(v, 2)
else:
    def _rnd(v):
        return round(v, 0)
PY
cat >> plugins/item_common.py <<PY

ROUND_MODE = "cents"
PY
sed -i "s/price_usd = round(self.number(row, PRICE) \* rate, 2)/price_usd = _rnd(self.number(row, PRICE) * rate)/" plugins/item_processors.py
