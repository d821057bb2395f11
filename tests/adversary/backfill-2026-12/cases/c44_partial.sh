sed -i 's/round_money = functools.partial(round, ndigits=2)/round_money = functools.partial(round, ndigits=-2)/' plugins/item_processors.py
