python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("class ItemCoreUDTF(UDTF):", '''class BandOverride(Processor):
    def process(self, row, out):
        if row.get("brand") == "Acme":
            out["price_band"] = "acme"


class ItemCoreUDTF(UDTF):''')
s=s.replace("PriceBand, DiscountRate,","PriceBand, BandOverride, DiscountRate,")
open(p,'w').write(s)
P2
