#!/bin/bash
# Reproduce the (A)/(B) failures: for each case, copy the ecommerce example into CASE/old and CASE/new, apply
# cases/CASE.both.sh to both (if present) and cases/CASE.sh to new, compile both, `pruner diff`, full (batch)
# replays of old and new, `pruner backfill`, apply it to the old sink, compare with the new full replay.
cd /tmp/adv10
for c in c38_types_added c38b_types_ext_field c38c_types_changed c62_data_file c65_try_import c65c_if_import \
         c65d_import_in_function c65e_try_import_only c66_package_reexport; do
  STREAMS="daily_11" ./runcase.sh $c 2>&1 | grep -E '===|diff:|actual|FAIL|RESULT|   key' | head -8
done
