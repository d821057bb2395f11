#!/work/main/.venv/bin/python
"""Fold sink files and compare.

foldsink.py A B      A and B: a `pruner follow` sink file (lines with "records"), a `pruner replay`
                     --sink-out table (one row per line), or a backfill output (header/records/done);
                     'X+Y' means: fold X then apply Y on top.
Prints differences (ignoring indexed_at, index_lag_ms). Exit 1 if they differ.
"""
import json, sys
IGNORE = {"indexed_at", "index_lag_ms"}
PK = ["id"]


def norm(v):
    return v


def fold(path, table=None):
    table = {} if table is None else table
    lines = [l for l in open(path, "rb").read().split(b"\n") if l.strip()]
    objs = [json.loads(l) for l in lines]
    if not objs:
        return table
    if objs[0].get("format") == "cdc-pruner-backfill":
        if objs[0].get("replace"):
            table.clear()
        for row in table.values():
            for name in objs[0].get("removed", ()):
                row.pop(name, None)
        objs = objs[1:]
        recs = [o for o in objs if "op" in o]
        apply(table, recs)
    elif "records" in objs[0] or "end_lsn" in objs[0] or "switch" in objs[0]:
        for o in objs:
            sw = o.get("switch")
            if isinstance(sw, dict):
                for name in sw.get("removed", ()):
                    for row in table.values():
                        row.pop(name, None)
            apply(table, o.get("records", []))
    else:
        for o in objs:
            table[tuple(o[k] for k in PK)] = dict(o)
    return table


def apply(table, recs):
    for r in recs:
        key = tuple(r["key"])
        if r["op"] == "upsert":
            table.setdefault(key, {}).update(r["fields"])
        elif r["op"] == "delete":
            table.pop(key, None)
        else:
            raise ValueError(r)


def load(spec):
    t = {}
    for p in spec.split("+"):
        t = fold(p, t)
    return {k: {f: v for f, v in r.items() if f not in IGNORE} for k, r in t.items()}


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    diffs = []
    for k in sorted(set(a) | set(b), key=repr):
        if k not in a:
            diffs.append(f"key {k}: only in B")
        elif k not in b:
            diffs.append(f"key {k}: only in A")
        else:
            for f in sorted(set(a[k]) | set(b[k])):
                if a[k].get(f, "<absent>") != b[k].get(f, "<absent>"):
                    diffs.append(f"key {k} field {f}: A={a[k].get(f, '<absent>')!r:.100} B={b[k].get(f, '<absent>')!r:.100}")
    print(f"A: {len(a)} rows, B: {len(b)} rows, {len(diffs)} differences")
    for d in diffs[:20]:
        print("  ", d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
