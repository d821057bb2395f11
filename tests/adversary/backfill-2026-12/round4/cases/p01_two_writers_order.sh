sed -i 's/PriceBand, BandOverride, DiscountRate,/BandOverride, PriceBand, DiscountRate,/' plugins/item_processors.py
