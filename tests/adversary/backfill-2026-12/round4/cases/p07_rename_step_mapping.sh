sed -i 's/fields: {category_id: cat_id}/fields: {category_id: cat_id, ext_warranty_months: warranty_months}/' job.yaml
