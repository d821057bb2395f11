printf '\n\ndef __getattr__(name):\n    if name == "LOW_STOCK_LIMIT":\n        return 10\n    raise AttributeError(name)\n' >> plugins/item_common.py
sed -i 's/^LOW_STOCK = 10$/from item_common import LOW_STOCK_LIMIT as LOW_STOCK/' plugins/item_processors.py
