#!/bin/bash
# follow_revert.sh CASE STREAM : old plan on 1/3 of the stream, new plan on the 2nd third, old plan again (a revert) on the rest.
# Ground truth: the OLD plan in full mode over the whole stream.
cd /tmp/adv10
C=$1; S=$2; P=/work/main/.venv/bin/pruner
DB=$(echo f_${C}_rev | tr -c 'a-z0-9_\n' '_' | cut -c1-40)
W=$C/follow_revert; rm -rf $W; mkdir -p $W
N=$(wc -l < $S); A=$((N/3)); B=$((2*N/3)); DSN="postgresql://postgres@127.0.0.1:55441/$DB"
./pgload.py setup $DB && ./pgload.py slot $DB ${DB}_sw && ./pgload.py slot $DB ${DB}_gt || exit 9
./pgload.py apply $DB $S 0 $A --txn 3
$P follow $C/old/job.yaml --plan $C/old.plan --dsn $DSN --slot ${DB}_sw --sink-out $W/sw.jsonl --idle-exit 3 > $W/1.out 2> $W/1.err; echo "old rc=$?"
./pgload.py apply $DB $S $A $B --txn 3
$P follow $C/new/job.yaml --plan $C/new.plan --dsn $DSN --slot ${DB}_sw --sink-out $W/sw.jsonl --idle-exit 3 > $W/2.out 2> $W/2.err; echo "new rc=$?"; grep -iE 'plan changed' $W/2.err | head -1
./pgload.py apply $DB $S $B $N --txn 3
$P follow $C/old/job.yaml --plan $C/old.plan --dsn $DSN --slot ${DB}_sw --sink-out $W/sw.jsonl --idle-exit 3 > $W/3.out 2> $W/3.err; echo "old again rc=$?"; grep -iE 'plan changed|error|Trace' $W/3.err | head -2
$P follow $C/old/job.yaml --plan $C/old.plan --dsn $DSN --slot ${DB}_gt --sink-out $W/gt.jsonl --mode full --idle-exit 3 > $W/gt.out 2> $W/gt.err; echo "gt rc=$?"
./foldsink.py $W/sw.jsonl $W/gt.jsonl
psql -h 127.0.0.1 -p 55441 -U postgres -Atc "select pg_drop_replication_slot(slot_name) from pg_replication_slots where database='$DB' and not active" >/dev/null
