bash ../../cases/_tweaks_base.sh
cat > plugins/tweaks.py <<'PY'
import operator
import item_processors
operator.setitem(item_processors.USD_PER_UNIT, "EUR", 1.08)
PY
