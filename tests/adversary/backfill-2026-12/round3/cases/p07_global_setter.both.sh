bash ../../cases/_tweaks_base.sh
cat > plugins/tweaks.py <<'PY'
import item_processors
item_processors.set_low_stock(10)
PY
