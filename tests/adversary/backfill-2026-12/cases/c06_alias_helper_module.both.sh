cat > plugins/textutil.py <<'PY'
from item_common import normalize_text as _nt

def clean(text):
    return _nt(text)
PY
python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('from plugin_sdk import UDTF, Processor','from plugin_sdk import UDTF, Processor\nfrom textutil import clean as tidy')
s=s.replace('out["title_norm"] = normalize_text(row.get(TITLE))','out["title_norm"] = tidy(row.get(TITLE))')
open(p,'w').write(s)
PY
