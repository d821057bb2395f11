#!/bin/bash
# A sink field removed by the edit (c15: DiscountRate + discount_rate removed; c12: tag_list renamed tags_norm; c57 rename):
# the backfill header/records and the follow switch never mention it: old sink + backfill keeps the stale column.
cd /tmp/adv10
./mkcase.sh c15_remove_processor && (cd c15_remove_processor/new && bash ../../cases/c15_remove_processor.sh)
P=/work/main/.venv/bin/pruner; C=c15_remove_processor
$P compile $C/old/job.yaml -o $C/old.plan && $P compile $C/new/job.yaml -o $C/new.plan
$P replay $C/old/job.yaml --plan $C/old.plan --input $C/old/stream.debezium.jsonl --format debezium-json --mode batch --sink-out $C/o.jsonl --quiet
$P replay $C/new/job.yaml --plan $C/new.plan --input $C/old/stream.debezium.jsonl --format debezium-json --mode batch --sink-out $C/n.jsonl --quiet
rm -f $C/b.jsonl; $P backfill $C/new/job.yaml --plan $C/new.plan --from-plan $C/old.plan --input $C/old/stream.debezium.jsonl --format debezium-json --out $C/b.jsonl
./foldsink.py $C/o.jsonl+$C/b.jsonl $C/n.jsonl 
# follow variant: ./follow_switch.sh c15_remove_processor streams/daily_11.jsonl 900  (97 differences: discount_rate kept)
