#!/bin/bash
# builtins.round patched at import time by index_processors.py; the edit (2 -> 1 digits) changes PriceBand/DiscountRate values, diff misses them
/tmp/adv14/repro_case.sh k01_builtins_patch
