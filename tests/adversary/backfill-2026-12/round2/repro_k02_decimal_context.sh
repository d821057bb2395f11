#!/bin/bash
# decimal.getcontext().prec set at import time in index_processors.py (28 -> 3); PriceBand (item_processors.py, Decimal math) changes values; diff does not name price_usd
/tmp/adv14/repro_case.sh k02_decimal_context
