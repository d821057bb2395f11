#!/bin/bash
# __init_subclass__ keyword of an unused class: class _C(_B, rate=1.08)
# expected: diff names price_usd/price_band (exit 1) and old sink + backfill == new full replay
# observed: diff exit 0 'no backfill needed', backfill writes 0 records, 6 cell differences
set -e; mkdir -p /tmp/adv16/cases; cd /tmp/adv16/cases
cat > _nofuture.sh <<'CASE_EOF'
sed -i 's/^from __future__ import annotations$//' plugins/item_processors.py
CASE_EOF
cat > a08_init_subclass_kw.both.sh <<'CASE_EOF'
cat >> plugins/item_processors.py <<'PY'


class _B:
    def __init_subclass__(cls, rate=None, **kw):
        USD_PER_UNIT["EUR"] = rate


class _C(_B, rate=1.08):
    pass
PY
CASE_EOF
cat > a08_init_subclass_kw.sh <<'CASE_EOF'
sed -i 's/rate=1.08)/rate=1.50)/' plugins/item_processors.py
CASE_EOF
cd /tmp/adv16 && STREAMS=' ' ./runcase.sh a08_init_subclass_kw 2>&1 | grep -vE '^\s*$' | head -14
