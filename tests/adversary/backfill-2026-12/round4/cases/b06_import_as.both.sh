cat >> plugins/item_processors.py <<'PY'


from item_common import LIMIT_CONST as LOW_STOCK
PY
cat >> plugins/item_common.py <<PY

LIMIT_CONST = 10
PY
