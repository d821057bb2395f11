sed -i 's/    factor = 1.0/    factor = 100.0/' plugins/conv.py
