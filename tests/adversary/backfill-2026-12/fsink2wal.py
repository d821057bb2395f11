#!/work/main/.venv/bin/python
"""fsink2wal.py SINK OUT: write the wal2json changes held in a `pruner follow` sink file as a wal2json stream."""
import json, sys
with open(sys.argv[2], "w") as out:
    for l in open(sys.argv[1]):
        if not l.strip():
            continue
        o = json.loads(l)
        for c in o.get("changes", []):
            out.write(c + "\n")
