sed -i 's/SizeClass, StockStatus, CollectExtProps\]/SizeClass, CollectExtProps]/' plugins/item_processors.py
sed -i 's/^from item_common import BRAND/from item_processors import StockStatus\nfrom item_common import BRAND/; s/processors = \[SellerScore, SearchText, MainImage, IndexStamp\]/processors = [SellerScore, SearchText, MainImage, StockStatus, IndexStamp]/' plugins/index_processors.py
