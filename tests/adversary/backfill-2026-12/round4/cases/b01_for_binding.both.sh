cat >> plugins/item_processors.py <<'PY'


for LOW_STOCK in (10,):
    pass
PY
