sed -i 's/= 10/= 40/' plugins/tweaks.py; cat plugins/tweaks.py
