python3 - <<'P2'
p='job.yaml'; s=open(p).read()
s=s.replace("             shipping_template, origin_country, ext_warranty_months, ext_energy_class]\n","             shipping_template, origin_country, ext_warranty_months, ext_energy_class]\n    types: {review_count: tinyint}\n",1)
open(p,'w').write(s)
P2
grep -n types job.yaml
