sed -i 's/out\["stock_status"\].lower()/out["stock_status"].upper()/' plugins/item_processors.py
