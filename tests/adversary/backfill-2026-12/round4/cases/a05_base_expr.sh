sed -i 's/_base(1.08)/_base(1.50)/' plugins/item_processors.py
