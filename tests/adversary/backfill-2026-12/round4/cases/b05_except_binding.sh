sed -i 's/ValueError(10)/ValueError(40)/' plugins/item_processors.py
