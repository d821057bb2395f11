python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('''class StockStatus(ItemProcessor):
    def process(self, row, out):''','''class StockStatus(ItemProcessor):
    def process(self, row, out, low=LOW_STOCK):''')
s=s.replace('elif inventory < LOW_STOCK:','elif inventory < low:')
open(p,'w').write(s)
PY
