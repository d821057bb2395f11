#!/bin/bash
# types: {review_count: tinyint} added to items: values >127 become dead letters, so whole rows vanish from the new full replay; diff says recompute 4 fields, backfill writes no delete
/tmp/adv14/repro_case.sh t01_types_deadletter_tinyint
cd /tmp/adv14/t01_types_deadletter_tinyint && /work/main/.venv/bin/pruner diff old.plan new.plan
