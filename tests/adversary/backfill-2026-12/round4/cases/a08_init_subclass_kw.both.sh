cat >> plugins/item_processors.py <<'PY'


class _B:
    def __init_subclass__(cls, rate=None, **kw):
        USD_PER_UNIT["EUR"] = rate


class _C(_B, rate=1.08):
    pass
PY
