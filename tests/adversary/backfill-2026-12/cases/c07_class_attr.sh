sed -i 's/    DIGITS = 2/    DIGITS = 0/' plugins/item_processors.py
