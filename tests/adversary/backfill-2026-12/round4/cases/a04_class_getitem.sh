sed -i 's/_Reg\[1.08\]/_Reg[1.50]/' plugins/item_processors.py
