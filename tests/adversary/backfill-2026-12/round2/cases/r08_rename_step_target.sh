sed -i 's/fields: {category_id: cat_id}/fields: {category_id: category}/; s/brand, cat_id, price,/brand, category, price,/' job.yaml
grep -n category job.yaml
