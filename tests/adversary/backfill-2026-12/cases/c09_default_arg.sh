sed -i 's/^MAX_KEYWORDS = 10/MAX_KEYWORDS = 4/' plugins/item_processors.py
