python3 ../../cases/_addtype.py "    fields: [id, title" "    types: {price: \"numeric(12,2)\", review_count: int}"
