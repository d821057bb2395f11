python3 ../../cases/_addtype.py "    fields: [id, title" "    types: {price: \"decimal(12,2)\", original_price: \"decimal(12,2)\"}"
