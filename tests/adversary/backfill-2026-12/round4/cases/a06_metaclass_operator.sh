sed -i 's/_K | 1.08/_K | 1.50/' plugins/item_processors.py
