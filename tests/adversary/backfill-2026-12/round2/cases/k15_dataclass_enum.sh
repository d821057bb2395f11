sed -i 's/return 10/return 40/; s/HIGH = 100/HIGH = 30/' plugins/cfg.py
