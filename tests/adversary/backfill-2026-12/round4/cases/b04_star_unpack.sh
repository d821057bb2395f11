sed -i 's/(1, 10)/(1, 40)/' plugins/item_processors.py
