cat >> plugins/item_common.py <<'PY'


import enum


class Band(enum.Enum):
    LOW = "low"
    HIGH = "high"

    @classmethod
    def _missing_(cls, value):
        return cls.LOW
PY
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("    ItemProcessor,\n","    ItemProcessor,\n    Band,\n",1)
s=s.replace('out["price_band"] = band','out["price_band"] = band if band in ("budget", "low") else Band(band).value')
open(p,'w').write(s)
P2
