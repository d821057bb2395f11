#!/bin/bash
# str.format reaches item_common.LOW_STOCK_LIMIT through "{0.__globals__[...]}" (a string, not an attribute node); edit 10 -> 40 is not seen
/tmp/adv14/repro_case.sh k05_format_globals
