#!/bin/bash
# `pruner backfill` with --from-plan of ANOTHER job (reference) is accepted (rc 0) and reported as "filter F1 changed".
cd /tmp/adv10/bad
P=/work/main/.venv/bin/pruner
$P compile /tmp/adv10/base/ref/job.yaml -o /tmp/adv10/bad/ref.plan
rm -f o2.jsonl
$P backfill ../c01_bands/new/job.yaml --plan ../c01_bands/new.plan --from-plan ref.plan \
   --input ../c01_bands/new/stream.debezium.jsonl --format debezium-json --out /tmp/adv10/bad/o2.jsonl; echo "rc=$?"
$P diff ref.plan ../c01_bands/new.plan | head -2; echo "diff rc=${PIPESTATUS[0]}"
