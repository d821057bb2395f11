#!/bin/bash
# A resumed backfill's {"done": ...} line counts only the resumed part (e.g. rows 0 / upserts 0 when only the done line was cut).
cd /tmp/adv10/c02_helper_other_module
P=/work/main/.venv/bin/pruner
rm -f r.jsonl; $P backfill new/job.yaml --plan new.plan --from-plan old.plan --input ../streams/big_21.jsonl --format debezium-json --out /tmp/adv10/c02_helper_other_module/r.jsonl --quiet
tail -1 r.jsonl | cut -c1-120
head -n -1 r.jsonl > r2.jsonl; mv r2.jsonl r.jsonl
$P backfill new/job.yaml --plan new.plan --from-plan old.plan --input ../streams/big_21.jsonl --format debezium-json --out /tmp/adv10/c02_helper_other_module/r.jsonl --quiet
tail -1 r.jsonl | cut -c1-120
