bash ../../cases/_tweaks_importlib.sh
cat > plugins/tweaks.py <<'PY'
from item_common import price_hook


@price_hook
def usd_markup(value):
    return round(value * 1.0, 2)
PY
