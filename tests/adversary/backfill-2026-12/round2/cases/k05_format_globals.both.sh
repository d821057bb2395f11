printf '\nLOW_STOCK_LIMIT = 10\n' >> plugins/item_common.py
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("elif inventory < LOW_STOCK:","elif inventory < int(\"{0.__globals__[LOW_STOCK_LIMIT]}\".format(to_float)):")
open(p,'w').write(s)
P2
