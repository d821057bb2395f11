sed -i 's/  primary_key: \[id\]\n  fields: \[id, title, title_norm/X/' job.yaml
python3 - <<'PY'
p='job.yaml'; s=open(p).read()
s=s.replace('''  name: engine
  primary_key: [id]''','''  name: engine
  primary_key: [id, seller_id]''')
open(p,'w').write(s)
PY
