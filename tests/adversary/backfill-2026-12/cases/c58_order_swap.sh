sed -i 's/ParseAttributes, BandOverride, PriceBand,/ParseAttributes, PriceBand, BandOverride,/' plugins/item_processors.py
