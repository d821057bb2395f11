cat >> plugins/item_processors.py <<'PY'


import contextlib

with contextlib.nullcontext(10) as LOW_STOCK:
    pass
PY
