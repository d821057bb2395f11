cat >> plugins/item_processors.py <<'PY'


try:
    raise ValueError(10)
except ValueError as _err:
    LOW_STOCK = _err.args[0]
PY
