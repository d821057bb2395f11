echo 'SELLABLE = ("active",)' >> plugins/item_common.py
python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('from item_common import (','from item_common import (\n    SELLABLE,')
s=s.replace('return row[STATUS] == "active"','return row[STATUS] in SELLABLE')
open(p,'w').write(s)
PY
