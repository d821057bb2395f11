sed -i 's/"EUR": 1.08/"EUR": 1.5/' plugins/rates.py
