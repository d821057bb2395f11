cat >> plugins/item_common.py <<'PY'


class Rated(ItemProcessor):
    @property
    def factor(self):
        return 1.0
PY
sed -i 's/^class PriceBand(ItemProcessor):/class PriceBand(Rated):/; s/price_usd = round(self.number(row, PRICE) \* rate, 2)/price_usd = round(self.number(row, PRICE) * rate * self.factor, 2)/; s/^    ItemProcessor,$/    ItemProcessor,\n    Rated,/' plugins/item_processors.py
