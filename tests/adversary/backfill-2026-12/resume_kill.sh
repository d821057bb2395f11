#!/bin/bash
# resume_kill.sh CASE STREAM REF_OUT N SIG : start backfill, kill it with SIG after a random delay, rerun, compare with REF_OUT
cd /tmp/adv10/$1
P=/work/main/.venv/bin/pruner
S=$(realpath ../$2); REF=$3; N=${4:-8}; SIG=${5:-KILL}
for i in $(seq 1 $N); do
  rm -f /tmp/adv10/$1/k.jsonl
  d=$(/work/main/.venv/bin/python -c "import random; print(round(random.uniform(0.4, 1.1),3))")
  $P backfill new/job.yaml --plan new.plan --from-plan old.plan --input $S --format debezium-json --out /tmp/adv10/$1/k.jsonl --quiet 2>k1.err &
  pid=$!; sleep $d; kill -$SIG $pid 2>/dev/null; wait $pid; rc1=$?
  l1=$(wc -l < k.jsonl 2>/dev/null)
  $P backfill new/job.yaml --plan new.plan --from-plan old.plan --input $S --format debezium-json --out /tmp/adv10/$1/k.jsonl --quiet 2>k2.err; rc2=$?
  res=$(/tmp/adv10/cmpbf.py $REF /tmp/adv10/$1/k.jsonl)
  echo "delay=$d first rc=$rc1 lines_after_kill=$l1 rerun rc=$rc2 $res $(head -c 200 k1.err | tr '\n' ' ') $(head -c 200 k2.err| tr '\n' ' ')"
done
