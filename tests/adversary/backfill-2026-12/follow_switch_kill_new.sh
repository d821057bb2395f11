#!/bin/bash
# follow_switch_kill_new.sh CASE STREAM SPLIT "D1 D2 ..." : old follower stops cleanly; then the NEW follower is
# started and killed -9 after each delay Di (interrupting the switch), then run to the end; compare with ground truth.
cd /tmp/adv10
C=$1; S=$2; SPLIT=$3; DELAYS=$4
P=/work/main/.venv/bin/pruner
DB=$(echo f_${C}_kn | tr -c 'a-z0-9_\n' '_' | cut -c1-40)
W=$C/follow_killnew; rm -rf $W; mkdir -p $W
N=$(wc -l < $S); DSN="postgresql://postgres@127.0.0.1:55441/$DB"
./pgload.py setup $DB && ./pgload.py slot $DB ${DB}_sw && ./pgload.py slot $DB ${DB}_gt || exit 9
./pgload.py apply $DB $S 0 $SPLIT --txn 3
$P follow $C/old/job.yaml --plan $C/old.plan --dsn $DSN --slot ${DB}_sw --sink-out $W/sw.jsonl --idle-exit 3 --snapshot-every 50 > $W/old.out 2> $W/old.err; echo "old follow rc=$?"
./pgload.py apply $DB $S $SPLIT $N --txn 3
for d in $DELAYS; do
  $P follow $C/new/job.yaml --plan $C/new.plan --dsn $DSN --slot ${DB}_sw --sink-out $W/sw.jsonl --snapshot-every 50 > $W/k.out 2> $W/k_$d.err &
  fp=$!; sleep $d; kill -9 $fp; wait $fp 2>/dev/null
  echo "new follower killed after ${d}s; sink lines: $(wc -l < $W/sw.jsonl); switch lines: $(grep -c '"switch"' $W/sw.jsonl); stderr: $(grep -iE 'plan changed|switch|error|Trace' $W/k_$d.err | head -2 | cut -c1-200)"
done
$P follow $C/new/job.yaml --plan $C/new.plan --dsn $DSN --slot ${DB}_sw --sink-out $W/sw.jsonl --idle-exit 3 > $W/new.out 2> $W/new.err; echo "final new follow rc=$?"; grep -iE 'plan changed|switch|warn|error|Trace' $W/new.err | head -3
$P follow $C/new/job.yaml --plan $C/new.plan --dsn $DSN --slot ${DB}_gt --sink-out $W/gt.jsonl --mode full --idle-exit 3 > $W/gt.out 2> $W/gt.err; echo "gt rc=$?"
./foldsink.py $W/sw.jsonl $W/gt.jsonl
psql -h 127.0.0.1 -p 55441 -U postgres -Atc "select pg_drop_replication_slot(slot_name) from pg_replication_slots where database='$DB' and not active" >/dev/null
