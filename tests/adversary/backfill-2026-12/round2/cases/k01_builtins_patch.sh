sed -i 's/_orig_round(x, 2)$/_orig_round(x, 1)/' plugins/index_processors.py
grep -n '_orig_round(x, 1)' plugins/index_processors.py
