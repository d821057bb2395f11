sed -i 's/^PRICE_PREFIX = ""/PRICE_PREFIX = "original_"/' plugins/item_common.py
