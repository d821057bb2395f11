#!/bin/bash
# only a passthrough sink field (title) removed: diff says "verdict: no backfill needed", exit 0, though every stored row must drop title
/tmp/adv14/repro_case.sh r10_remove_title_passthrough
cd /tmp/adv14/r10_remove_title_passthrough && /work/main/.venv/bin/pruner diff old.plan new.plan; echo "diff rc=$?"
