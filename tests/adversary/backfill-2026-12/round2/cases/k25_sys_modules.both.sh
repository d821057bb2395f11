printf 'LIMIT = 10\n' > plugins/limits.py
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("import json\n","import json\nimport sys\nimport limits  # noqa\n",1)
s=s.replace("elif inventory < LOW_STOCK:","elif inventory < sys.modules['limits'].LIMIT:")
open(p,'w').write(s)
P2
