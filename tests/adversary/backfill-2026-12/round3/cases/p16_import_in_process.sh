sed -i 's/value \* 1.0/value * 1.5/' plugins/tweaks.py; cat plugins/tweaks.py
