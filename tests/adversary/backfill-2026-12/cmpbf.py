#!/work/main/.venv/bin/python
"""cmpbf.py REF OUT: compare two backfill outputs' header+records, ignoring clock fields and the done line."""
import json, sys
IG = {"indexed_at", "index_lag_ms"}
def recs(p):
    out = []
    for l in open(p):
        o = json.loads(l)
        if "done" in o: continue
        if "fields" in o and isinstance(o["fields"], dict):
            o["fields"] = {k: v for k, v in o["fields"].items() if k not in IG}
        out.append(o)
    return out
a, b = recs(sys.argv[1]), recs(sys.argv[2])
if a == b: print("same")
else:
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    print(f"DIFFERENT {len(a)} vs {len(b)} records, first difference at record {n}: {json.dumps(a[n])[:200] if n < len(a) else None} | {json.dumps(b[n])[:200] if n < len(b) else None}")
