sed -i '/types: {price/d' job.yaml; grep -n types job.yaml; true
