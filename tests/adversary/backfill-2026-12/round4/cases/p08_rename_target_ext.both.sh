sed -i 's/fields: {category_id: cat_id}/fields: {category_id: cat_id, ext_warranty_months: ext_warranty_m}/' job.yaml
