# price_usd removed from what PriceBand writes; a source field price_usd? no: sink field title_norm now comes from a rename of title
sed -i 's/out\["title_norm"\] = normalize_text(row.get(TITLE))/out["title_clean"] = normalize_text(row.get(TITLE))/' plugins/item_processors.py
sed -i 's/title_norm = row.get("title_norm")/title_norm = row.get("title_clean")/; s/row.get("title_norm") or ""/row.get("title_clean") or ""/' plugins/item_processors.py
sed -i 's/row\["title_norm"\]/row["title_clean"]/' plugins/index_processors.py
sed -i 's/fields: {category_id: cat_id}/fields: {category_id: cat_id, subtitle: title_norm}/' job.yaml
