bash ../../cases/_tweaks_base.sh
sed -i '/^import tweaks/d' plugins/item_processors.py
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("    apply_hooks,\n","    apply_hooks,\n    price_hook,\n",1)
s+='''

@price_hook
def usd_markup(value):
    return round(value * 1.0, 2)
'''
open(p,'w').write(s)
P2
