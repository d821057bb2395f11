# both versions: no CollectExtProps (reads every field) and no IndexStamp (always_run), so changes can be dropped at the source
python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('SplitTags, SizeClass, StockStatus, CollectExtProps]','SplitTags, SizeClass, StockStatus]')
open(p,'w').write(s)
p='plugins/index_processors.py'; s=open(p).read()
s=s.replace('processors = [SellerScore, SearchText, MainImage, IndexStamp]','processors = [SellerScore, SearchText, MainImage]')
open(p,'w').write(s)
p='job.yaml'; s=open(p).read()
s=s.replace(' is_promoted, ext_props,',' is_promoted,').replace(', search_text, keywords, indexed_at, index_lag_ms]',', search_text, keywords]')
open(p,'w').write(s)
PY
