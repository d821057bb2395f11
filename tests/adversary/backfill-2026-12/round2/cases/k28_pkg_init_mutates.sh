sed -i 's/pricing.SUFFIX = ""/pricing.SUFFIX = "!"/' plugins/shop/__init__.py; cat plugins/shop/__init__.py
