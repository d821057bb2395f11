sed -i 's/ext_warranty_months, ext_energy_class\]/ext_warranty_months]/' job.yaml
