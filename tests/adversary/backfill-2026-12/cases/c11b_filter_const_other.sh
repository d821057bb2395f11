sed -i 's/SELLABLE = ("active",)/SELLABLE = ("active", "inactive")/' plugins/item_common.py
