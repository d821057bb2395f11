sed -i 's/^FACTOR = 1.0/FACTOR = 2.0/' plugins/deco.py
