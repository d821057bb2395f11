cat >> plugins/item_common.py <<'PY'


def eur_rate():
    return 1.08
PY
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("    ItemProcessor,\n","    ItemProcessor,\n    eur_rate,\n",1)
s=s.replace("LOW_STOCK = 10\n",'''LOW_STOCK = 10

import dataclasses


@dataclasses.dataclass
class _Cfg:
    eur: float = dataclasses.field(default_factory=eur_rate)
''',1)
s=s.replace('rate = USD_PER_UNIT.get(row.get(CURRENCY) or "USD", 1.0)','rate = _Cfg().eur if row.get(CURRENCY) == "EUR" else USD_PER_UNIT.get(row.get(CURRENCY) or "USD", 1.0)')
open(p,'w').write(s)
P2
