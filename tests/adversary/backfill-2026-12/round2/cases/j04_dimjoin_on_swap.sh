# DimJoin fields reordered and one dropped from sink-feeding; plus udaf fields reorder
sed -i 's/    fields: \[seller_name, seller_level, seller_region, seller_rating, seller_status\]/    fields: [seller_level, seller_name, seller_rating, seller_status]/' job.yaml
