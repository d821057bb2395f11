#!/bin/bash
# call at import time inside a function annotation (module without 'from __future__ import annotations')
# expected: diff names price_usd/price_band (exit 1) and old sink + backfill == new full replay
# observed: diff exit 0 'no backfill needed', backfill writes 0 records, 6 cell differences
set -e; mkdir -p /tmp/adv16/cases; cd /tmp/adv16/cases
cat > _nofuture.sh <<'CASE_EOF'
sed -i 's/^from __future__ import annotations$//' plugins/item_processors.py
CASE_EOF
cat > a01_annotation_call.both.sh <<'CASE_EOF'
bash ../../cases/_nofuture.sh
cat >> plugins/item_processors.py <<'PY'


def _init_rates(rate):
    USD_PER_UNIT["EUR"] = rate
    return None


def _unused(value: _init_rates(1.08)) -> None:
    return None
PY
CASE_EOF
cat > a01_annotation_call.sh <<'CASE_EOF'
sed -i 's/_init_rates(1.08)/_init_rates(1.50)/' plugins/item_processors.py
CASE_EOF
cd /tmp/adv16 && STREAMS=' ' ./runcase.sh a01_annotation_call 2>&1 | grep -vE '^\s*$' | head -14
