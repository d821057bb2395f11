python3 - <<'P2'
p='job.yaml'; s=open(p).read()
s=s.replace("    fields: [seller_id, seller_name, seller_level, seller_region, seller_rating, seller_status]\n","    fields: [seller_id, seller_name, seller_level, seller_region, seller_rating, seller_status]\n    types: {seller_rating: \"decimal(3,1)\"}\n",1)
open(p,'w').write(s)
P2
grep -n -B1 types job.yaml
