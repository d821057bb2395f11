cat >> plugins/item_processors.py <<'PY'


_ = [LOW_STOCK := v for v in (10,)]
PY
