#!/bin/bash
# item_common binds LOW_STOCK_LIMIT by a walrus inside `_unused = (LOW_STOCK_LIMIT := 10)`; 10 -> 40 is not seen (the statement is filed under `_unused` only)
/tmp/adv14/repro_case.sh k27_walrus_binding
