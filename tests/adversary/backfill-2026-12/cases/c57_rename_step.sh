python3 - <<'PY'
p='job.yaml'; s=open(p).read()
s=s.replace('fields: {category_id: cat_id}','fields: {category_id: cat_id, brand: brand_name}')
s=s.replace('fields: [id, title, title_norm, brand, cat_id,','fields: [id, title, title_norm, brand_name, cat_id,')
open(p,'w').write(s)
p='plugins/item_common.py'; s=open(p).read()
s=s.replace('BRAND = "brand"','BRAND = "brand_name"')
open(p,'w').write(s)
PY
