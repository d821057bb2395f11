sed -i 's/PriceBand, DiscountRate,/PriceBand,/' plugins/item_processors.py
sed -i 's/price_band,$/price_band,/; s/ discount_rate, stock_status/ stock_status/' job.yaml
