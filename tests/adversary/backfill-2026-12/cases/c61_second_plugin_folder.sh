sed -i 's/"CNY": 0.14/"CNY": 0.5/' lib/fx.py
