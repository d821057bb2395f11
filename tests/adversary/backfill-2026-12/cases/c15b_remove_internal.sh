sed -i 's/SplitTags, SizeClass, StockStatus, CollectExtProps\]/SplitTags, StockStatus, CollectExtProps]/' plugins/item_processors.py
sed -i 's/ size_class, color/ color/' job.yaml
