sed -i 's/numeric(12,2)/decimal(12,2)/; s/review_count: int}/review_count: integer}/' job.yaml; grep -n types job.yaml
