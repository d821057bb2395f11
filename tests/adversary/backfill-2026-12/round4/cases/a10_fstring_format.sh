sed -i 's/{_F:1.08}/{_F:1.50}/' plugins/item_processors.py
