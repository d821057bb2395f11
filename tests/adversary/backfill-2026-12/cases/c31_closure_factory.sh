sed -i 's/ROUND_RATE = make_rounder(4)/ROUND_RATE = make_rounder(1)/' plugins/item_processors.py
