sed -i 's/^LOW_STOCK_LIMIT = 10/LOW_STOCK_LIMIT = 45/' plugins/item_common.py
