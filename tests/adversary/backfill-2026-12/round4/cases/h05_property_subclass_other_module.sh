sed -i 's/        return 1.0$/        return 1.5/' plugins/item_common.py
