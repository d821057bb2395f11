python3 ../../cases/_addtype.py "    fields: [id, title" "    types: {review_count: tinyint}"
