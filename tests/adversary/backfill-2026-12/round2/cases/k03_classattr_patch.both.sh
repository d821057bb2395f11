cat >> plugins/index_processors.py <<'PY'

from item_common import ItemProcessor as _IP
_IP.SCALE = 1.0
PY
python3 - <<'P2'
p='plugins/item_common.py'; s=open(p).read()
s=s.replace("        return default if value is None else value","        return default if value is None else value * getattr(self, 'SCALE', 1.0)")
open(p,'w').write(s)
P2
