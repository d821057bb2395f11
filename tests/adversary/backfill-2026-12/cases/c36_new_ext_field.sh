python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('class ItemCoreUDTF(UDTF):','''class ExtOrigin(Processor):
    def process(self, row, out):
        out["ext_origin"] = row.get("origin_country")


class ItemCoreUDTF(UDTF):''')
s=s.replace('StockStatus, CollectExtProps]','StockStatus, ExtOrigin, CollectExtProps]')
open(p,'w').write(s)
PY
