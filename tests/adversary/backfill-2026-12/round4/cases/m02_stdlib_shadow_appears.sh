cat > plugins/unicodedata.py <<'PY'
def normalize(form, text):
    return text.upper()
PY
