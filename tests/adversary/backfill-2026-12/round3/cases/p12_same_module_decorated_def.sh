sed -i 's/value \* 1.0/value * 1.5/' plugins/item_processors.py; tail -3 plugins/item_processors.py
