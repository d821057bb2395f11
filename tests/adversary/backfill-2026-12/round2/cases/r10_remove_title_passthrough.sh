sed -i 's/fields: \[id, title, title_norm, brand,/fields: [id, title_norm, brand,/' job.yaml
