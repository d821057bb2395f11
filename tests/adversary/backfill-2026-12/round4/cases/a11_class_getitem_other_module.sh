sed -i 's/_Reg\[1.0\]/_Reg[1.5]/' plugins/item_common.py
