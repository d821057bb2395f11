#!/bin/bash
# follow_switch.sh CASE STREAM SPLIT [MODE] [KILL_AFTER_SECONDS]
# Loads STREAM[0:SPLIT) into a fresh PG db, follows with the OLD plan (clean stop via --idle-exit,
# or kill -9 after KILL_AFTER_SECONDS while the rest is loading), loads the rest, follows with the NEW plan.
# Ground truth: a follower of the NEW plan in --mode full on its own slot from the start.
set -u
cd /tmp/adv10
C=$1; S=$2; SPLIT=$3; MODE=${4:-pruned}; KILL=${5:-}
P=/work/main/.venv/bin/pruner
DB=$(echo f_${C}_${MODE}${KILL:+_k} | tr -c 'a-z0-9_\n' '_' | cut -c1-40)
W=$C/follow_${MODE}${KILL:+_kill}; rm -rf $W; mkdir -p $W
N=$(wc -l < $S)
DSN="postgresql://postgres@127.0.0.1:55441/$DB"
./pgload.py setup $DB && ./pgload.py slot $DB ${DB}_sw && ./pgload.py slot $DB ${DB}_gt || exit 9
./pgload.py apply $DB $S 0 $SPLIT --txn 3
if [ -z "$KILL" ]; then
  $P follow $C/old/job.yaml --plan $C/old.plan --dsn $DSN --slot ${DB}_sw --sink-out $W/sw.jsonl --mode $MODE --idle-exit 3 --snapshot-every 50 > $W/old.out 2> $W/old.err; echo "old follow rc=$?"
  ./pgload.py apply $DB $S $SPLIT $N --txn 3
else
  $P follow $C/old/job.yaml --plan $C/old.plan --dsn $DSN --slot ${DB}_sw --sink-out $W/sw.jsonl --mode $MODE --snapshot-every 50 > $W/old.out 2> $W/old.err &
  FP=$!
  ./pgload.py apply $DB $S $SPLIT $N --txn 3 --sleep 0.002 &
  LP=$!
  sleep $KILL; kill -9 $FP; echo "killed old follower $FP after ${KILL}s"; wait $LP
fi
cp $W/sw.jsonl $W/sw_before_switch.jsonl
$P follow $C/new/job.yaml --plan $C/new.plan --dsn $DSN --slot ${DB}_sw --sink-out $W/sw.jsonl --mode $MODE --idle-exit 3 > $W/new.out 2> $W/new.err; echo "new follow rc=$?"
grep -iE 'plan|switch|warn|error|Trace' $W/new.err | head -5
$P follow $C/new/job.yaml --plan $C/new.plan --dsn $DSN --slot ${DB}_gt --sink-out $W/gt.jsonl --mode full --idle-exit 3 > $W/gt.out 2> $W/gt.err; echo "gt follow rc=$?"
echo "compare switched sink vs ground truth (new plan, full mode, from start):"
./foldsink.py $W/sw.jsonl $W/gt.jsonl
# restart again: ordinary
./pgload.py apply $DB $S 0 0
$P follow $C/new/job.yaml --plan $C/new.plan --dsn $DSN --slot ${DB}_sw --sink-out $W/sw.jsonl --mode $MODE --idle-exit 2 > $W/new2.out 2> $W/new2.err; echo "restart again rc=$?"; grep -iE 'switch|plan changed|warn|error|Trace' $W/new2.err | head -3
./foldsink.py $W/sw.jsonl $W/gt.jsonl | head -1
psql -h 127.0.0.1 -p 55441 -U postgres -Atc "select pg_drop_replication_slot(slot_name) from pg_replication_slots where database='$DB' and not active" >/dev/null
