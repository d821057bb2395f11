sed -i 's/^decimal.getcontext().prec = 28/decimal.getcontext().prec = 3/' plugins/index_processors.py
