echo 'def band_name(x):
    return x' > plugins/fastband.py
python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('from plugin_sdk import UDTF, Processor\n','from plugin_sdk import UDTF, Processor\ntry:\n    from fastband import band_name\nexcept ImportError:\n    def band_name(x):\n        return x\n')
s=s.replace('out["price_band"] = band','out["price_band"] = band_name(band)')
open(p,'w').write(s)
PY
