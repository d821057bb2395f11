python3 - <<'PY'
p='job.yaml'; s=open(p).read()
s=s.replace('''  - dimjoin: seller''','''  - filter: F2
    class: item_processors.InStockOnly
  - dimjoin: seller''')
open(p,'w').write(s)
p='plugins/item_processors.py'; s=open(p).read()
s+='''

class InStockOnly(Processor):
    def process(self, row, out):
        out["keep_f2"] = row["stock_status"] != "out_of_stock"
'''
open(p,'w').write(s)
PY
