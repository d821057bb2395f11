sed -i 's/return x$/return x.upper()/' plugins/shop/pricing.py
