sed -i 's/seller_id, seller_name, seller_region, seller_score,/seller_id, seller_name, seller_region, seller_level, seller_score,/' job.yaml
