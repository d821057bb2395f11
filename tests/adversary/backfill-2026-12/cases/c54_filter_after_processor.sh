sed -i 's/^LOW_STOCK = 10/LOW_STOCK = 40/; s/        if inventory <= 0:/        if inventory <= 30:/' plugins/item_processors.py
