python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('class ItemCoreUDTF(UDTF):','''class WeightKg(ItemProcessor):
    def process(self, row, out):
        out["weight_kg"] = round(self.number(row, "weight_g") / 1000.0, 3)


class ItemCoreUDTF(UDTF):''')
s=s.replace('SplitTags, SizeClass, StockStatus, CollectExtProps]','SplitTags, SizeClass, StockStatus, WeightKg, CollectExtProps]')
open(p,'w').write(s)
PY
sed -i 's/indexed_at, index_lag_ms\]/indexed_at, index_lag_ms, weight_kg]/' job.yaml
