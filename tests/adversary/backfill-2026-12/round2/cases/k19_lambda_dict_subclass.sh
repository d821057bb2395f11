sed -i 's/round(x, 2)/round(x, 0)/' plugins/conv.py
