sed -i 's/^LOW_STOCK = 10/LOW_STOCK = 40/' plugins/item_processors.py
