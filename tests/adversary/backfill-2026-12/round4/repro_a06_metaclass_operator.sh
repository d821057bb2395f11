#!/bin/bash
# metaclass __or__ run by an operator at import time: _X = _K | 1.08
# expected: diff names price_usd/price_band (exit 1) and old sink + backfill == new full replay
# observed: diff exit 0 'no backfill needed', backfill writes 0 records, 6 cell differences
set -e; mkdir -p /tmp/adv16/cases; cd /tmp/adv16/cases
cat > _nofuture.sh <<'CASE_EOF'
sed -i 's/^from __future__ import annotations$//' plugins/item_processors.py
CASE_EOF
cat > a06_metaclass_operator.both.sh <<'CASE_EOF'
cat >> plugins/item_processors.py <<'PY'


class _Meta(type):
    def __or__(cls, rate):
        USD_PER_UNIT["EUR"] = rate
        return cls


class _K(metaclass=_Meta):
    pass


_X = _K | 1.08
PY
CASE_EOF
cat > a06_metaclass_operator.sh <<'CASE_EOF'
sed -i 's/_K | 1.08/_K | 1.50/' plugins/item_processors.py
CASE_EOF
cd /tmp/adv16 && STREAMS=' ' ./runcase.sh a06_metaclass_operator 2>&1 | grep -vE '^\s*$' | head -14
