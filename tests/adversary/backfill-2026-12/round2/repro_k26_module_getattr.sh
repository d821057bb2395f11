#!/bin/bash
# from item_common import LOW_STOCK_LIMIT, served by a module-level __getattr__ in item_common (return 10 -> 40): __getattr__ not in the fingerprint, diff exit 0
/tmp/adv14/repro_case.sh k26_module_getattr
