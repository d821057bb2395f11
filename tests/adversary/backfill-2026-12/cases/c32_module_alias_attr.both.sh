python3 - <<'PY'
p='plugins/item_common.py'; s=open(p).read()
s+='\nLOW_STOCK_LIMIT = 10\n'
open(p,'w').write(s)
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('from plugin_sdk import UDTF, Processor\n','from plugin_sdk import UDTF, Processor\nimport item_common as ic\n')
s=s.replace('elif inventory < LOW_STOCK:','elif inventory < ic.LOW_STOCK_LIMIT:')
open(p,'w').write(s)
PY
