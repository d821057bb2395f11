#!/bin/bash
# PostgreSQL table sink switching plans (p12 edit): switch writes 0 records; 1 row differs from a new-plan full follower from the start (expected 0)
cd /tmp/adv15 && bash pg_start.sh >/dev/null; [ -f p12_same_module_decorated_def/new.plan ] || ./repro_p12_same_module_decorated_def.sh >/dev/null
./pg_table_switch.sh p12_same_module_decorated_def streams/daily_11.jsonl 900
