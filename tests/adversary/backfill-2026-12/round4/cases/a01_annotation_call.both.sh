bash ../../cases/_nofuture.sh
cat >> plugins/item_processors.py <<'PY'


def _init_rates(rate):
    USD_PER_UNIT["EUR"] = rate
    return None


def _unused(value: _init_rates(1.08)) -> None:
    return None
PY
