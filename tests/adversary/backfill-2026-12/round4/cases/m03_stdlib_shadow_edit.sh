sed -i 's/return text$/return text.upper()/' plugins/unicodedata.py
