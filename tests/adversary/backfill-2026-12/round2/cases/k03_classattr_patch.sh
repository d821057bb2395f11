sed -i 's/^_IP.SCALE = 1.0/_IP.SCALE = 2.0/' plugins/index_processors.py
