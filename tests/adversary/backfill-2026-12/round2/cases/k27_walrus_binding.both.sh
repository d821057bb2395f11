printf '\n_unused = (LOW_STOCK_LIMIT := 10)\n' >> plugins/item_common.py
sed -i 's/^LOW_STOCK = 10$/from item_common import LOW_STOCK_LIMIT as LOW_STOCK/' plugins/item_processors.py
