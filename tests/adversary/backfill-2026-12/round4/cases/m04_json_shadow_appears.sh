cat > plugins/json.py <<'PY'
def loads(raw):
    return {}
PY
