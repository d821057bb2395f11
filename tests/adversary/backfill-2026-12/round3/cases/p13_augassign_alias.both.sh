python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('PRICE_BANDS = (','_EURO = USD_PER_UNIT\n_EURO |= {"EUR": 1.08}\nPRICE_BANDS = (',1)
open(p,'w').write(s)
P2
