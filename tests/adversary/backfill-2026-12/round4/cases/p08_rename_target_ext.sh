sed -i 's/ext_warranty_months: ext_warranty_m}/ext_warranty_months: ext_warranty}/' job.yaml
