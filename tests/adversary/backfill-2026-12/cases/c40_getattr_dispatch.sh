sed -i 's/    return "low_stock"/    return "few_left"/' plugins/item_processors.py
