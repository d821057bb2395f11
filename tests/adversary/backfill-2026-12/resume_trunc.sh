#!/bin/bash
# resume_trunc.sh CASE STREAM REF_OUT N : truncate a copy of the finished output REF_OUT at N random byte offsets,
# rerun the same backfill on it, compare records with REF_OUT.
cd /tmp/adv10/$1
P=/work/main/.venv/bin/pruner
S=$(realpath ../$2); REF=$3; N=${4:-10}
size=$(stat -c %s $REF)
for i in $(seq 1 $N); do
  off=$(/work/main/.venv/bin/python -c "import random; print(random.randrange(0, $size))")
  rm -f /tmp/adv10/$1/trunc.jsonl; head -c $off $REF > /tmp/adv10/$1/trunc.jsonl
  $P backfill new/job.yaml --plan new.plan --from-plan old.plan --input $S --format debezium-json --out /tmp/adv10/$1/trunc.jsonl > /tmp/adv10/$1/trunc.out 2> /tmp/adv10/$1/trunc.err; rc=$?
  res=$(/tmp/adv10/cmpbf.py $REF /tmp/adv10/$1/trunc.jsonl)
  echo "offset=$off rc=$rc $res $(tail -1 /tmp/adv10/$1/trunc.err | cut -c1-150)"
done
