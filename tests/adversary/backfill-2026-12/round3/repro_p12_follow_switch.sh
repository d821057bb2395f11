#!/bin/bash
# follow (PostgreSQL -> sink file) with the old plan, stop, edit, follow with the new plan: the switch says "no sink field is computed otherwise"
# observed: switched sink differs from a new-plan follower from the start (price_usd); expected: equal
cd /tmp/adv15 && bash pg_start.sh >/dev/null; [ -f p12_same_module_decorated_def/new.plan ] || ./repro_p12_same_module_decorated_def.sh >/dev/null
./follow_switch.sh p12_same_module_decorated_def streams/daily_11.jsonl 900
