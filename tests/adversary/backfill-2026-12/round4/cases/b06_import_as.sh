sed -i 's/^LIMIT_CONST = 10/LIMIT_CONST = 40/' plugins/item_common.py
