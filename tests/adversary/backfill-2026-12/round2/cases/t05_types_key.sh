python3 ../../cases/_addtype.py "    fields: [id, title" "    types: {id: bigint}"
python3 ../../cases/_addtype.py "    fields: [id, item_id" "    types: {item_id: bigint}"
grep -n types job.yaml
