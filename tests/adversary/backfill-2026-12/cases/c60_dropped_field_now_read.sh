# new: StockStatus also reads sold_count (a field whose changes the old plan dropped at the source)
python3 - <<'PY'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace('''        inventory = int(self.number(row, INVENTORY))
''','''        inventory = int(self.number(row, INVENTORY)) - int(self.number(row, "sold_count")) // 50
''')
open(p,'w').write(s)
PY
