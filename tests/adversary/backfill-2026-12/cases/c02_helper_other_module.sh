python3 - <<'PY'
p='plugins/item_common.py'; s=open(p).read()
s=s.replace('return _SPACES.sub(" ", folded).strip()','return _SPACES.sub(" ", folded).strip().replace("pro", "professional")')
open(p,'w').write(s)
PY
