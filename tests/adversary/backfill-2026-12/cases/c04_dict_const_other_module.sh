sed -i 's/102: "laptops",/102: "notebooks",/' plugins/item_common.py
