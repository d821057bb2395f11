cat >> plugins/item_processors.py <<'PY'


match 10:
    case LOW_STOCK:
        pass
PY
