sed -i 's/"EUR": 1.08}$/"EUR": 1.50}/' plugins/item_processors.py; grep -n _EURO plugins/item_processors.py
