python3 - <<'P2'
p='job.yaml'; s=open(p).read()
s=s.replace("    fields: [id, item_id, url, position, is_main]\n","    fields: [id, item_id, url, position, is_main]\n    types: {position: \"decimal(4,1)\"}\n",1)
open(p,'w').write(s)
P2
grep -n -B1 types job.yaml
