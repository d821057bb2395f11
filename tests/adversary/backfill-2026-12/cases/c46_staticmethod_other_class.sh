sed -i 's/return ("budget", "low", "mid", "high", "premium")\[i\]/return ("B", "L", "M", "H", "P")[i]/' plugins/item_common.py
