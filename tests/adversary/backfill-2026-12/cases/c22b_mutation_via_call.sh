python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('from plugin_sdk import UDTF, Processor\n','from plugin_sdk import UDTF, Processor\nfrom item_common import rename_category\n\nrename_category(101, "phones")\n')
open(p,'w').write(s)
PY
