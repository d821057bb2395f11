echo 'ROUND_DIGITS = -1' > plugins/consts.py
