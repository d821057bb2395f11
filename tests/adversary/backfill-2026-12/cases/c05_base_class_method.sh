python3 - <<'PY'
p='plugins/item_common.py'; s=open(p).read()
s=s.replace('return default if value is None else value','return default if value is None else value * 2')
open(p,'w').write(s)
PY
