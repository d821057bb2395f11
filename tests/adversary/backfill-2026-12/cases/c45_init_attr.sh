sed -i 's/        self.digits = 4/        self.digits = 1/' plugins/item_processors.py
