sed -i 's/return row\[STATUS\] == "active"/return row[STATUS] in ("active", "inactive") and row.get(INVENTORY, 0) != 0/' plugins/item_processors.py
