bash ../../cases/_tweaks_base.sh
cat > plugins/tweaks.py <<'PY'
from item_processors import USD_PER_UNIT
USD_PER_UNIT.update(EUR=1.08)
PY
