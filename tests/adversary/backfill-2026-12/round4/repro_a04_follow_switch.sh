#!/bin/bash
# follow a PostgreSQL source with the old plan of a04, switch to the new plan, compare with a new-plan full follower;
# then pruner backfill --follow-sink on the old-plan sink file. Needs the PG server of pg_start.sh (port 55461).
# observed: "the diff names no sink field to recompute; ... 0 records written"; key 5 price_usd 1610.81 vs 2237.24;
#           --follow-sink backfill: 7 differences.
cd /tmp/adv16 && ./repro_a04_class_getitem.sh >/dev/null && bash pg_start.sh >/dev/null
./follow_switch.sh a04_class_getitem a04_class_getitem/old/stream.debezium.jsonl 300 2>&1 | grep -E 'plan changed|differences|key '
./fsink_backfill.sh a04_class_getitem follow_pruned 2>&1 | tail -6
