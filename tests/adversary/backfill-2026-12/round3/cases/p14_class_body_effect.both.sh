python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('PRICE_BANDS = (','\n\nclass _Setup:\n    USD_PER_UNIT["EUR"] = 1.08\n\n\nPRICE_BANDS = (',1)
open(p,'w').write(s)
P2
