#!/bin/bash
# types: {seller_rating: "decimal(3,1)"} on the sellers dimension: ratings like 4.35 are dead letters, seller rows vanish, seller_name/seller_region become null; diff names only seller_score
/tmp/adv14/repro_case.sh t04_types_dim_deadletter
