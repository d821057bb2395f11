sed -i 's/             weight_g, length_mm/             length_mm/' job.yaml
