sed -i 's/LIMIT = 10/LIMIT = 40/' plugins/limits.py
