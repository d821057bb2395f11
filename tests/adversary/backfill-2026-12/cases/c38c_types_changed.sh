sed -i 's/price: "decimal(12,2)"/price: "decimal(12,4)"/' job.yaml
