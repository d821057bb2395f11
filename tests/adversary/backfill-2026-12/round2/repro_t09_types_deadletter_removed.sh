#!/bin/bash
# old job had types {review_count: tinyint} (most item rows dead letters), new removes it: rows appear in the new replay, but backfill writes partial upserts (review_count, ext_props only) for them: rows missing 26 columns
/tmp/adv14/repro_case.sh t09_types_deadletter_removed
