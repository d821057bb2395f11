sed -i 's/        return 10/        return 40/' plugins/item_common.py
