#!/bin/bash
# metaclass __format__ run by a module-level f-string: _S = f'{_F:1.08}'
# expected: diff names price_usd/price_band (exit 1) and old sink + backfill == new full replay
# observed: diff exit 0 'no backfill needed', backfill writes 0 records, 6 cell differences
set -e; mkdir -p /tmp/adv16/cases; cd /tmp/adv16/cases
cat > _nofuture.sh <<'CASE_EOF'
sed -i 's/^from __future__ import annotations$//' plugins/item_processors.py
CASE_EOF
cat > a10_fstring_format.both.sh <<'CASE_EOF'
cat >> plugins/item_processors.py <<'PY'


class _FMeta(type):
    def __format__(cls, spec):
        USD_PER_UNIT["EUR"] = float(spec)
        return ""


class _F(metaclass=_FMeta):
    pass


_S = f"{_F:1.08}"
PY
CASE_EOF
cat > a10_fstring_format.sh <<'CASE_EOF'
sed -i 's/{_F:1.08}/{_F:1.50}/' plugins/item_processors.py
CASE_EOF
cd /tmp/adv16 && STREAMS=' ' ./runcase.sh a10_fstring_format 2>&1 | grep -vE '^\s*$' | head -14
