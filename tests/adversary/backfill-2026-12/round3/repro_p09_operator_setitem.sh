#!/bin/bash
# expected: diff names the changed fields (exit 1) and old+backfill == new full replay
# observed: diff exit 0 "no backfill needed"; old+backfill differs
cd /tmp/adv15 && LINES_SHOWN=12 ./repro_case.sh p09_operator_setitem
