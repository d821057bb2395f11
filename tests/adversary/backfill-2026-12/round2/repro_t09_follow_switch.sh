#!/bin/bash
# follow switch after removing types {review_count: tinyint}: rows that were dead letters now exist; the switch writes partial records (4 fields) for them: 916 differences vs a new-plan follower
cd /tmp/adv14 && ./pg_start.sh
[ -d t09_types_deadletter_removed/new ] || STREAMS=" " ./runcase.sh t09_types_deadletter_removed >/dev/null
./follow_switch.sh t09_types_deadletter_removed streams/daily_11.jsonl 900 2>&1 | grep -E "plan changed|rows, B|key" | head -6
