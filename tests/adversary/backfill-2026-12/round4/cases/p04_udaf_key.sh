sed -i 's/    key: item_id/    key: id/' job.yaml
