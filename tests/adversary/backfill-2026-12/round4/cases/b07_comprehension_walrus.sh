sed -i 's/for v in (10,)/for v in (40,)/' plugins/item_processors.py
