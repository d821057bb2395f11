python3 - <<'PY'
p='job.yaml'; s=open(p).read()
s=s.replace('''  item_images:''','''    types:
      ext_warranty_months: "decimal(5,1)"
  item_images:''')
open(p,'w').write(s)
PY
