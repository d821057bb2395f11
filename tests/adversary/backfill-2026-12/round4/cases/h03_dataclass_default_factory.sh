sed -i 's/return 1.08/return 1.50/' plugins/item_common.py
