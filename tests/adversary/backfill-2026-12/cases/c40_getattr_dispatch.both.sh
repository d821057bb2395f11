python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('class StockStatus(ItemProcessor):','''def _status_low(inventory):
    return "low_stock"


def _status_ok(inventory):
    return "in_stock"


class StockStatus(ItemProcessor):''')
s=s.replace('''        elif inventory < LOW_STOCK:
            status = "low_stock"
        else:
            status = "in_stock"''','''        else:
            status = globals()["_status_low" if inventory < LOW_STOCK else "_status_ok"](inventory)''')
open(p,'w').write(s)
PY
