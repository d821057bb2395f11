#!/bin/bash
# from shop.pricing import band_name; shop/__init__.py (run by that import) sets pricing.SUFFIX; editing __init__.py is not seen
/tmp/adv14/repro_case.sh k28_pkg_init_mutates
