#!/bin/bash
# Reproduce: partial backfill output written without --ignore-positions, resumed with --ignore-positions:
# accepted and silently mixed (header does not record the option).
cd /tmp/adv10/bad
P=/work/main/.venv/bin/pruner; C=/tmp/adv10/c01_bands
/work/main/.venv/bin/python - <<'PY'
import json
ls=[json.loads(l) for l in open('/tmp/adv10/c01_bands/new/stream.debezium.jsonl')]
for i,m in enumerate(ls):
    m['source']['connector']='postgresql'; m['source']['lsn']=1000+i*10
extra=[]
for key in (1, 50):
    ups=[m for m in ls if m['op']=='u' and m['source']['table']=='items' and m['after']['id']==key and m['before']['price']!=m['after']['price']]
    extra.append(json.loads(json.dumps(ups[0])))   # redelivery of an old price update (older lsn)
ls+=extra
open('lsn2.jsonl','w').write('\n'.join(json.dumps(m) for m in ls)+'\n')
PY
rm -f A.jsonl B.jsonl mix.jsonl
$P backfill $C/new/job.yaml --plan $C/new.plan --from-plan $C/old.plan --input lsn2.jsonl --format debezium-json --out /tmp/adv10/bad/A.jsonl --quiet
$P backfill $C/new/job.yaml --plan $C/new.plan --from-plan $C/old.plan --input lsn2.jsonl --format debezium-json --ignore-positions --out /tmp/adv10/bad/B.jsonl --quiet
head -3 A.jsonl > mix.jsonl     # as if run A was killed after 2 records
$P backfill $C/new/job.yaml --plan $C/new.plan --from-plan $C/old.plan --input lsn2.jsonl --format debezium-json --ignore-positions --out /tmp/adv10/bad/mix.jsonl; echo "resume rc=$?"
echo "A (no --ignore-positions) vs mix:"; /tmp/adv10/cmpbf.py A.jsonl mix.jsonl
echo "B (--ignore-positions) vs mix:"; /tmp/adv10/cmpbf.py B.jsonl mix.jsonl
