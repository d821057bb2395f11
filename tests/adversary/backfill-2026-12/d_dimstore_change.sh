#!/bin/bash
# Reproduce: backfill with --dim-store interrupted, the dim store changes, the same command resumes: accepted? mixed?
cd /tmp/adv10/c16_dimjoin_fields
P=/work/main/.venv/bin/pruner; S=../streams/daily_11.jsonl
rm -f dims2.db bfd_full.jsonl bfd_part.jsonl
$P replay old/job.yaml --plan old.plan --input $S --format debezium-json --mode batch --dim-store /tmp/adv10/c16_dimjoin_fields/dims2.db --sink-out /tmp/adv10/c16_dimjoin_fields/old_dim2.jsonl --quiet
$P backfill new/job.yaml --plan new.plan --from-plan old.plan --input $S --format debezium-json --dim-store /tmp/adv10/c16_dimjoin_fields/dims2.db --out /tmp/adv10/c16_dimjoin_fields/bfd_full.jsonl --quiet
head -30 bfd_full.jsonl > bfd_part.jsonl      # as if interrupted after 29 records
/work/main/.venv/bin/python - <<'PY'
import sqlite3, json
c = sqlite3.connect('/tmp/adv10/c16_dimjoin_fields/dims2.db')
print(c.execute("select sql from sqlite_master").fetchall())
rows = c.execute("select * from pruner_sellers").fetchall()
print(len(rows), rows[0])
PY
/work/main/.venv/bin/python - <<'PY'
import sqlite3, json
c = sqlite3.connect('/tmp/adv10/c16_dimjoin_fields/dims2.db')
for k, r in c.execute("select * from pruner_sellers").fetchall():
    d = json.loads(r); d["seller_level"] = 99
    c.execute("update pruner_sellers set row=? where k_seller_id=?", (json.dumps(d), k))
c.commit()
print("changed seller_level of every seller in the dim store to 99")
PY
$P backfill new/job.yaml --plan new.plan --from-plan old.plan --input $S --format debezium-json --dim-store /tmp/adv10/c16_dimjoin_fields/dims2.db --out /tmp/adv10/c16_dimjoin_fields/bfd_part.jsonl; echo "resume rc=$?"
grep -c '"seller_level": 99' bfd_part.jsonl; grep -vc '"seller_level": 99' bfd_part.jsonl
