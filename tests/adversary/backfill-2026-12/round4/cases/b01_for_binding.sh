sed -i 's/for LOW_STOCK in (10,)/for LOW_STOCK in (40,)/' plugins/item_processors.py
