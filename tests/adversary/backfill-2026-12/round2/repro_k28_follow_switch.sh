#!/bin/bash
# follow switch after editing only plugins/shop/__init__.py (which sets pricing.SUFFIX): "no sink field is computed otherwise", 0 records; 30 rows differ from a new-plan follower
cd /tmp/adv14 && ./pg_start.sh
[ -d k28_pkg_init_mutates/new ] || STREAMS=" " ./runcase.sh k28_pkg_init_mutates >/dev/null
./follow_switch.sh k28_pkg_init_mutates streams/daily_11.jsonl 900 2>&1 | grep -E "plan changed|rows, B|key" | head -6
