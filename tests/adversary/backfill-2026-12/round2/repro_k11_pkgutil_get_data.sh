#!/bin/bash
# pkgutil.get_data("item_common", "data/rates.json") in a plugin: every replay refuses, right after a fresh compile,
# with "rates.json appeared after the run checked the plan ... recompile" (recompiling never helps)
cd /tmp/adv14 && rm -rf k11_pkgutil_ospath && ./mkcase.sh k11_pkgutil_ospath >/dev/null && cd k11_pkgutil_ospath/old && bash ../../cases/k11_pkgutil_ospath.both.sh && cd ..
P=/work/main/.venv/bin/pruner
$P compile old/job.yaml -o old.plan 2>&1 | tail -1
$P replay old/job.yaml --plan old.plan --input old/stream.debezium.jsonl --format debezium-json --sink-out /tmp/adv14/k11_sink.jsonl --quiet; echo "replay rc=$?"
