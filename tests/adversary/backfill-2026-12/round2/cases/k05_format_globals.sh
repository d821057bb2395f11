sed -i 's/^LOW_STOCK_LIMIT = 10/LOW_STOCK_LIMIT = 40/' plugins/item_common.py
