sed -i 's/_init_rates(1.08)/_init_rates(1.50)/' plugins/item_processors.py
