cat >> plugins/index_processors.py <<'PY'

import builtins as _b
_orig_round = _b.round
def _round(x, n=None):
    return _orig_round(x, n) if n is None or n < 2 else _orig_round(x, 2)
_b.round = _round
PY
