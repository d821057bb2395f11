python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('class ItemCoreUDTF(UDTF):','''class BandOverride(Processor):
    def process(self, row, out):
        out["price_band"] = "x-" + str(row.get("currency"))


class ItemCoreUDTF(UDTF):''')
s=s.replace('processors = [NormalizeTitle, DescriptionKeywords, ParseAttributes, PriceBand,','processors = [NormalizeTitle, DescriptionKeywords, ParseAttributes, BandOverride, PriceBand,')
open(p,'w').write(s)
PY
