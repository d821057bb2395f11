sed -i 's/USD_PER_UNIT\["EUR"\] = 1.08/USD_PER_UNIT["EUR"] = 1.50/' plugins/item_processors.py; grep -n 'USD_PER_UNIT\[' plugins/item_processors.py
