#!/bin/bash
# follow switch after `types: {review_count: tinyint}`: the new plan dead-letters most item inserts;
# the switched sink keeps rows the new plan never produces (A = switched sink, B = new-plan full follower from the start)
cd /tmp/adv14 && ./pg_start.sh
[ -d t01_types_deadletter_tinyint/new ] || STREAMS=" " ./runcase.sh t01_types_deadletter_tinyint >/dev/null
./follow_switch.sh t01_types_deadletter_tinyint streams/daily_11.jsonl 900 2>&1 | grep -E "plan changed|rows, B|rc=" | head -6
