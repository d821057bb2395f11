python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("LOW_STOCK = 10\n","LOW_STOCK = 10\ntry:\n    from fastround import rnd as _rnd\nexcept ImportError:\n    def _rnd(v):\n        return round(v, 2)\n",1)
s=s.replace("price_usd = round(self.number(row, PRICE) * rate, 2)","price_usd = _rnd(self.number(row, PRICE) * rate)")
open(p,'w').write(s)
P2
