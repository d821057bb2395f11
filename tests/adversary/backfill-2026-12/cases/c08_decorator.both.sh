python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('class StockStatus(ItemProcessor):','''def shout(fn):
    def wrapper(self, row, out):
        fn(self, row, out)
        out["stock_status"] = out["stock_status"].lower()
    return wrapper


class StockStatus(ItemProcessor):''')
s=s.replace('''class StockStatus(ItemProcessor):
    def process(self, row, out):''','''class StockStatus(ItemProcessor):
    @shout
    def process(self, row, out):''')
open(p,'w').write(s)
PY
