sed -i '/types: {review_count: tinyint}/d' job.yaml
