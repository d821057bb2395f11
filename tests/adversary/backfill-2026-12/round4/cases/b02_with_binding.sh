sed -i 's/nullcontext(10)/nullcontext(40)/' plugins/item_processors.py
