sed -i 's/^match 10:/match 40:/' plugins/item_processors.py
