#!/bin/bash
# runcase.sh NAME : mkcase NAME, apply cases/NAME.sh in NAME/new (and cases/NAME.old.sh in both if present), run harness on 4 streams
cd /tmp/adv10
n=$1
./mkcase.sh $n ${SRC:-eco}
if [ -f cases/$n.both.sh ]; then (cd $n/old && bash ../../cases/$n.both.sh) && (cd $n/new && bash ../../cases/$n.both.sh); fi
(cd $n/new && bash ../../cases/$n.sh) || { echo "EDIT FAILED"; exit 1; }
echo "=== $n (bundled)"; ./harness.py $n --tag bundled
for s in ${STREAMS:-daily_11 peak_5 backfill_9}; do echo "=== $n ($s)"; ./harness.py $n --no-compile --stream streams/$s.jsonl --tag $s | grep -E "FAIL|RESULT"; done
