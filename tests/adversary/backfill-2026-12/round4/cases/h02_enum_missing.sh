sed -i 's/return cls.LOW/return cls.HIGH/' plugins/item_common.py
