sed -i 's/return _nt(text)/return _nt(text)[:20]/' plugins/textutil.py
