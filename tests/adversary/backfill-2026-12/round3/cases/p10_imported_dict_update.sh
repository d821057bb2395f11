sed -i 's/1.08/1.50/' plugins/tweaks.py; cat plugins/tweaks.py
