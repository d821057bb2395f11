#!/bin/bash
# __class_getitem__ in item_common changes item_common.EXTRA_RATE that PriceBand imports
# expected: diff names price_usd/price_band (exit 1) and old sink + backfill == new full replay
# observed: diff exit 0 'no backfill needed', backfill writes 0 records, 6 cell differences
set -e; mkdir -p /tmp/adv16/cases; cd /tmp/adv16/cases
cat > _nofuture.sh <<'CASE_EOF'
sed -i 's/^from __future__ import annotations$//' plugins/item_processors.py
CASE_EOF
cat > a11_class_getitem_other_module.both.sh <<'CASE_EOF'
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
CASE_EOF
cat > a11_class_getitem_other_module.sh <<'CASE_EOF'
sed -i 's/_Reg\[1.0\]/_Reg[1.5]/' plugins/item_common.py
CASE_EOF
cd /tmp/adv16 && STREAMS=' ' ./runcase.sh a11_class_getitem_other_module 2>&1 | grep -vE '^\s*$' | head -14
