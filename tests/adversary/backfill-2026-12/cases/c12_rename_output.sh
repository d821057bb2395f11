sed -i 's/out\["tag_list"\] = tags/out["tags_norm"] = tags/' plugins/item_processors.py
sed -i 's/" ".join(row.get("tag_list") or \[\])/" ".join(row.get("tags_norm") or [])/' plugins/index_processors.py
sed -i 's/discount_rate, stock_status, tag_list,/discount_rate, stock_status, tags_norm,/' job.yaml
