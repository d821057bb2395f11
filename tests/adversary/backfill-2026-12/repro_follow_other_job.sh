#!/bin/bash
# `pruner follow` of ANOTHER job (examples/reference) into an existing ecommerce follow sink file: accepted (rc 0) with
# only a warning; the sink file and its snapshot are taken over by the other job.
# Needs the PostgreSQL of /tmp/adv10/pg running (pg_ctl -D /tmp/adv10/pg/data start, as user postgres) and
# c01_bands/follow_pruned from ./follow_switch.sh c01_bands streams/daily_11.jsonl 1000
cd /tmp/adv10
P=/work/main/.venv/bin/pruner
cp c01_bands/follow_pruned/sw.jsonl bad/fs_copy.jsonl; cp c01_bands/follow_pruned/sw.jsonl.snapshot bad/fs_copy.jsonl.snapshot
$P follow base/ref/job.yaml --plan bad/ref.plan --dsn postgresql://postgres@127.0.0.1:55441/f_c01_bands_pruned \
   --slot adv_x --sink-out /tmp/adv10/bad/fs_copy.jsonl --idle-exit 2; echo "rc=$?"
psql -h 127.0.0.1 -p 55441 -U postgres -Atc "select pg_drop_replication_slot('adv_x')"
