echo 'def band_name(x):
    return x.upper()' > plugins/fastband.py
