bash ../../cases/_tweaks_base.sh
cat > plugins/tweaks.py <<'PY'
import item_processors
item_processors.LOW_STOCK = 10
PY
