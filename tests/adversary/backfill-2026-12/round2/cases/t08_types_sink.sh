sed -i 's/^sink:$/sink:/' job.yaml
python3 - <<'P2'
p='job.yaml'; s=open(p).read()
s=s.rstrip("\n")+"\n  types: {price_usd: double, review_count: bigint, title_norm: string}\n"
open(p,'w').write(s)
P2
tail -3 job.yaml
