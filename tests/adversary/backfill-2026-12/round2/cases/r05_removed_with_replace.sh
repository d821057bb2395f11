bash ../../cases/t05_types_key.sh
sed -i 's/ discount_rate, stock_status/ stock_status/' job.yaml
