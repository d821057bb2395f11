sed -i 's/value \* 1.0/value * 1.5/' plugins/registrations.py
