#!/bin/bash
# fsink_backfill.sh CASE FOLLOWDIR : (B) with --follow-sink on the old-plan sink file (before the switch)
cd /tmp/adv10/$1; P=/work/main/.venv/bin/pruner; F=$2
/tmp/adv10/fsink2wal.py $F/sw_before_switch.jsonl $F/before.wal.jsonl
$P replay new/job.yaml --plan new.plan --input $F/before.wal.jsonl --format wal2json --mode batch --sink-out /tmp/adv10/$1/$F/gt_before.jsonl --quiet; echo "replay new (ground truth at the same position) rc=$?"
$P replay old/job.yaml --plan old.plan --input $F/before.wal.jsonl --format wal2json --mode batch --sink-out /tmp/adv10/$1/$F/old_before.jsonl --quiet; echo "replay old rc=$?"
echo "sanity: follow sink (old plan) vs batch replay of its changes with old plan:"; /tmp/adv10/foldsink.py $F/sw_before_switch.jsonl $F/old_before.jsonl | head -3
rm -f $F/bf_fs.jsonl
$P backfill new/job.yaml --plan new.plan --from-plan old.plan --follow-sink $F/sw_before_switch.jsonl --out /tmp/adv10/$1/$F/bf_fs.jsonl; echo "backfill --follow-sink rc=$?"
echo "follow sink + backfill vs new full replay:"; /tmp/adv10/foldsink.py $F/sw_before_switch.jsonl+$F/bf_fs.jsonl $F/gt_before.jsonl | head -6
