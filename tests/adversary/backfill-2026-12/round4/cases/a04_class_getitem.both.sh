cat >> plugins/item_processors.py <<'PY'


class _Reg:
    def __class_getitem__(cls, rate):
        USD_PER_UNIT["EUR"] = rate
        return cls


_ALIAS = _Reg[1.08]
PY
