sed -i 's/rate=1.08)/rate=1.50)/' plugins/item_processors.py
