#!/work/main/.venv/bin/python
"""Adversarial harness: compile old/new, diff, full replays, backfill, compare.

usage: harness.py CASE_DIR [--stream FILE] [--format F] [--mode batch|full] [--tag T]
CASE_DIR holds old/ and new/ (each a job dir with job.yaml).
Writes outputs to CASE_DIR/out_<tag>/. Prints PASS/FAIL lines.
"""
import argparse, json, os, subprocess, sys
import yaml

P = "/work/main/.venv/bin/pruner"
IGNORE = {"indexed_at", "index_lag_ms"}


def run(cmd, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and r.returncode not in (0, 1, 3):
        print("CMD FAILED", r.returncode, " ".join(cmd), "\n", r.stdout[-3000:], r.stderr[-3000:])
    return r


def pk_of(jobdir):
    spec = yaml.safe_load(open(os.path.join(jobdir, "job.yaml")))
    return spec["sink"]["primary_key"]


def load_table(path, pk):
    t = {}
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        row = json.loads(line)
        t[tuple(row[k] for k in pk)] = row
    return t


def apply_backfill(table, bf_path):
    sys.path.insert(0, "/work/main")
    from pruner.backfill import apply_output
    rows = {k: dict(v) for k, v in table.items()}
    header = apply_output(bf_path, rows)
    lines = [l for l in open(bf_path) if l.strip()]
    assert "done" in json.loads(lines[-1]), "no done line"
    return rows, header


def apply_backfill_old(table, bf_path):
    lines = [json.loads(l) for l in open(bf_path) if l.strip()]
    header = lines[0]
    assert header.get("format") == "cdc-pruner-backfill", header
    if header.get("replace"):
        table = {}
    else:
        table = {k: dict(v) for k, v in table.items()}
    assert "done" in lines[-1], "no done line"
    for rec in lines[1:-1]:
        key = tuple(rec["key"])
        if rec["op"] == "upsert":
            table.setdefault(key, {}).update(rec["fields"])
        elif rec["op"] == "delete":
            table.pop(key, None)
        else:
            raise ValueError(rec)
    return table, header


def strip(t):
    return {k: {f: v for f, v in r.items() if f not in IGNORE} for k, r in t.items()}


def diff_tables(a, b, la="A", lb="B", limit=10):
    a, b = strip(a), strip(b)
    out = []
    for k in sorted(set(a) | set(b), key=repr):
        if k not in a:
            out.append(f"key {k}: only in {lb}")
        elif k not in b:
            out.append(f"key {k}: only in {la}")
        else:
            for f in sorted(set(a[k]) | set(b[k])):
                if a[k].get(f, "<absent>") != b[k].get(f, "<absent>"):
                    out.append(f"key {k} field {f}: {la}={a[k].get(f, '<absent>')!r:.120} {lb}={b[k].get(f, '<absent>')!r:.120}")
    return out


def changed_fields(a, b):
    a, b = strip(a), strip(b)
    fields, rows_changed = set(), False
    for k in set(a) | set(b):
        if k not in a or k not in b:
            rows_changed = True
            continue
        for f in set(a[k]) | set(b[k]):
            if a[k].get(f, "<absent>") != b[k].get(f, "<absent>"):
                fields.add(f)
    return fields, rows_changed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--stream")
    ap.add_argument("--format", default="debezium-json")
    ap.add_argument("--mode", default="batch")
    ap.add_argument("--old-mode", default=None)
    ap.add_argument("--tag", default="s")
    ap.add_argument("--no-compile", action="store_true")
    a = ap.parse_args()
    case = os.path.abspath(a.case)
    old, new = os.path.join(case, "old"), os.path.join(case, "new")
    out = os.path.join(case, f"out_{a.tag}")
    os.makedirs(out, exist_ok=True)
    stream = os.path.abspath(a.stream or os.path.join(old, "stream.debezium.jsonl"))
    oplan, nplan = os.path.join(case, "old.plan"), os.path.join(case, "new.plan")
    ok = True
    if not a.no_compile:
        for d, p in ((old, oplan), (new, nplan)):
            r = run([P, "compile", os.path.join(d, "job.yaml"), "-o", p])
            if r.returncode != 0:
                print("COMPILE FAILED", d, r.stderr[-2000:])
                return 2
    r = run([P, "diff", "--format", "json", oplan, nplan])
    dj = json.loads(r.stdout)
    named = set(dj["recompute"]) | set(dj.get("sink_added", []))
    full = bool(dj["full_recompute"])
    print(f"diff: exit={r.returncode} verdict={dj['verdict']!r} units_code_changed={dj['units_code_changed']} "
          f"io={dj['units_io_changed']} added={dj['units_added']} removed={dj['units_removed']} full={dj['full_recompute']}")
    print(f"      fields={sorted(dj['recompute'])}")
    sinks = {}
    for lbl, d, p in (("old", old, oplan), ("new", new, nplan)):
        so = os.path.join(out, f"{lbl}_{a.mode}.jsonl")
        r = run([P, "replay", os.path.join(d, "job.yaml"), "--plan", p, "--input", stream, "--format", a.format,
                 "--mode", (a.old_mode or a.mode) if lbl == "old" else a.mode, "--sink-out", so, "--quiet", "--max-dead-letters", "1000000"])
        if r.returncode != 0:
            print(f"REPLAY {lbl} rc={r.returncode}", r.stderr[-1500:])
        sinks[lbl] = load_table(so, pk_of(d))
    fields, rows_changed = changed_fields(sinks["old"], sinks["new"])
    print(f"actual changed fields: {sorted(fields)} rows added/removed: {rows_changed}")
    missed = (fields - named - set(dj.get("sink_removed", []))) if not full else set()
    if missed:
        ok = False
        print(f"FAIL(A) diff missed fields {sorted(missed)}")
    if rows_changed and not full and not dj.get("sink_added") and not dj.get("sink_removed"):
        ok = False
        print("FAIL(A) rows added/removed but no full recompute verdict")
    if dj["exit_code"] == 0 and (fields or rows_changed):
        ok = False
        print("FAIL(A) exit 0 but sinks differ")
    bf = os.path.join(out, "bf.jsonl")
    if os.path.exists(bf):
        os.remove(bf)
    r = run([P, "backfill", os.path.join(new, "job.yaml"), "--plan", nplan, "--from-plan", oplan, "--input", stream,
             "--format", a.format, "--out", bf])
    print("backfill rc", r.returncode, r.stderr.strip().splitlines()[-1:] if r.stderr.strip() else "")
    if r.returncode not in (0,):
        print(r.stderr[-2000:])
    if os.path.exists(bf):
        applied, header = apply_backfill(sinks["old"], bf)
        rem = set(dj.get("sink_removed", []))
        if rem or header.get("removed"):
            print(f"NOTE sink fields removed diff={sorted(rem)} header.removed={header.get('removed')!r} full={header.get('full')} replace={header.get('replace')}")
        d = diff_tables(applied, sinks["new"], "old+backfill", "new-full")
        if d:
            ok = False
            print(f"FAIL(B) old+backfill != new full replay: {len(d)} diffs")
            for x in d[:15]:
                print("   ", x)
        else:
            print("(B) old+backfill == new full: OK")
    else:
        ok = False
        print("FAIL(B) no backfill output")
    print("RESULT", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
