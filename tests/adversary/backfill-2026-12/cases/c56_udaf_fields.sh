python3 - <<'PY'
p='job.yaml'; s=open(p).read()
s=s.replace('fields: [url, position, is_main]','fields: [url, is_main, position]')
open(p,'w').write(s)
PY
