bash ../../cases/_tweaks_base.sh
cat > plugins/tweaks.py <<'PY'
import functools
import item_processors
functools.partial(setattr, item_processors, "LOW_STOCK")(10)
PY
