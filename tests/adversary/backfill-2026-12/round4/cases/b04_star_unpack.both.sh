cat >> plugins/item_processors.py <<'PY'


*_REST, LOW_STOCK = (1, 10)
PY
