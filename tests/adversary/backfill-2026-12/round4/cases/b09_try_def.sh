sed -i 's/^STRICT = 1/STRICT = 0/' plugins/item_common.py
