sed -i 's/^ROUND_MODE = "cents"/ROUND_MODE = "units"/' plugins/item_common.py
