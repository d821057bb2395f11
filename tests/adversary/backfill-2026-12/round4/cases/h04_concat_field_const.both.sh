cat >> plugins/item_common.py <<'PY'

PRICE_PREFIX = ""
PRICE_FIELD = PRICE_PREFIX + "price"
PY
sed -i 's/self.number(row, PRICE) \* rate/self.number(row, PRICE_FIELD) * rate/; s/^    ItemProcessor,$/    ItemProcessor,\n    PRICE_FIELD,/' plugins/item_processors.py
