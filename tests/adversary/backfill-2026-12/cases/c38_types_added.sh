python3 - <<'PY'
p='job.yaml'; s=open(p).read()
s=s.replace('''  item_images:''','''    types:
      price: "decimal(12,2)"
      rating: double
  item_images:''')
open(p,'w').write(s)
PY
