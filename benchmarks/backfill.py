"""Backfill against a full recompute, on the ecommerce job after realistic edits.

    python benchmarks/backfill.py [--items 2000] [--updates 6000] [--repeat 3]

For each edit (a price-band threshold; a new sink field from a source field; the seller-score
formula; the filter) the old and the new version are compiled, and over the final source state
of a generated stream (daily profile) the new version is run two ways, alternating, in one
process per edit: the backfill (``pruner.backfill``: only the units the changed fields come
from, partial records) and a full recompute (batch mode's ``finish``: every live unit on every
row, full records). Reported: unit runs, CPU seconds of the row pass (medians), records and
values written. Each backfill is then checked: applied to the sink a full replay of the old
version built, it equals a full replay of the new version (the clock-stamped fields aside);
and the full recompute equals it too.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ECOMMERCE = ROOT / "examples" / "ecommerce"
CLOCK = ("indexed_at", "index_lag_ms")


def _add_sink_field(text: str) -> str:
    head, _, rest = text.partition("sink:")
    at = rest.index("fields: [id, ") + len("fields: [id, ")
    return head + "sink:" + rest[:at] + "weight_g, " + rest[at:]


# name -> (file of the job, edit of its text); realistic changes a team makes to the job
EDITS: dict[str, tuple[str, Callable[[str], str]]] = {
    "price-band threshold": ("plugins/item_processors.py", lambda t: t.replace('(50.0, "low")', '(40.0, "low")')),
    "new sink field (weight_g)": ("job.yaml", _add_sink_field),
    "seller-score formula": ("plugins/index_processors.py",
                             lambda t: t.replace("0.4 * level / MAX_SELLER_LEVEL + 0.6",
                                                 "0.5 * level / MAX_SELLER_LEVEL + 0.5")),
    "filter": ("plugins/item_processors.py",
               lambda t: t.replace('return row[STATUS] == "active"', 'return row[STATUS] != "deleted"')),
}


def versions(folder: Path, edit: str) -> tuple[Path, Path]:
    """Copies of the ecommerce job before and after `edit` under `folder`, each compiled to
    job.plan; their job.yaml paths."""
    jobs = []
    for name in ("old", "new"):
        target = folder / name
        shutil.copytree(ECOMMERCE, target, ignore=shutil.ignore_patterns("stream.*", "__pycache__", ".pruner-cache"))
        if name == "new":
            path, change = EDITS[edit]
            text = (target / path).read_text()
            edited = change(text)
            if edited == text:
                raise SystemExit(f"the edit {edit!r} does not apply to {path}")
            (target / path).write_text(edited)
        done = subprocess.run([sys.executable, "-m", "pruner.cli", "compile", str(target / "job.yaml"), "-o",
                               str(target / "job.plan"), "--no-cache"], capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        jobs.append(target / "job.yaml")
    return jobs[0], jobs[1]


def _full_sink(job: Path, stream: Path) -> dict[str, dict]:
    out = job.parent / "full.jsonl"
    done = subprocess.run([sys.executable, "-m", "pruner.cli", "replay", str(job), "--plan", str(job.parent / "job.plan"),
                           "--input", str(stream), "--format", "debezium-json", "--mode", "full", "--sink-out",
                           str(out), "--quiet"], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    rows = (json.loads(line) for line in out.read_text().splitlines())
    return {json.dumps([row["id"]]): {k: v for k, v in row.items() if k not in CLOCK} for row in rows}


def worker(job: Path, old_plan: Path, stream: Path, repeat: int, records_out: Path) -> dict:
    """In a process of its own (it imports the new version's plugins): the two row passes."""
    from pruner.backfill import backfill_rows, plan_backfill, record_json
    from pruner.planfile import read_plan
    from pruner.runtime.replay import replay

    new_plan = job.parent / "job.plan"
    result = replay(job, new_plan, stream.read_bytes().splitlines(keepends=True), "debezium-json", "batch",
                    finish=False)
    engine = result.engine
    plan = plan_backfill(read_plan(old_plan), read_plan(new_plan))
    rows = len(engine.row_keys())
    backfill_cpu, full_cpu = [], []
    for round_ in range(repeat):
        records: list = []
        cpu = time.process_time()
        stats = backfill_rows(engine, plan, records.append)
        backfill_cpu.append(time.process_time() - cpu)
        cpu = time.process_time()
        full = engine.finish()
        full_cpu.append(time.process_time() - cpu)
        if round_ == 0:
            records_out.write_text("".join(record_json(r) + "\n" for r in records))
            (records_out.parent / "finish.jsonl").write_text("".join(record_json(r) + "\n" for r in full))
    live = sum(1 for u in engine.units if not u.dead)
    return {"rows": rows, "describe": plan.describe(), "full": plan.full, "fields": list(plan.fields),
            "backfill": {"units_run": stats.units_run, "records": stats.upserts + stats.deletes,
                         "values": stats.fields_written, "cpu_s": statistics.median(backfill_cpu)},
            "recompute": {"units_run": live * rows, "records": len(full),
                          "values": sum(len(r.fields) for r in full), "cpu_s": statistics.median(full_cpu)}}


def _apply(rows: dict[str, dict], path: Path) -> dict[str, dict]:
    rows = {key: dict(row) for key, row in rows.items()}
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        key = json.dumps(entry["key"])
        if entry["op"] == "delete":
            rows.pop(key, None)
        else:
            rows.setdefault(key, {}).update(entry["fields"])
    return {key: {k: v for k, v in row.items() if k not in CLOCK} for key, row in rows.items()}


def measure(edit: str, stream: Path, repeat: int, folder: Path) -> dict:
    old, new = versions(folder, edit)
    records = folder / "backfill.jsonl"
    done = subprocess.run([sys.executable, __file__, "--worker", str(new), str(old.parent / "job.plan"), str(stream),
                           str(repeat), str(records)], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    found = json.loads(done.stdout)
    old_sink, new_sink = _full_sink(old, stream), _full_sink(new, stream)
    fields = next(iter(new_sink.values())).keys()
    backfilled = {k: {f: r.get(f) for f in fields} for k, r in _apply(old_sink, records).items()}
    recomputed = _apply({}, folder / "finish.jsonl")
    found["equal_to_full_replay"] = backfilled == new_sink and recomputed == new_sink
    return found


def render(results: dict[str, dict], args) -> str:
    lines = [f"ecommerce job, daily profile, {args.items:,} items and {args.updates:,} updates "
             f"({next(iter(results.values()))['rows']:,} rows); CPU s: medians of {args.repeat}", "",
             "| edit | kind | unit runs: backfill / full | CPU s: backfill / full | records: backfill / full "
             "| values: backfill / full | = full replay |",
             "|---|---|---:|---:|---:|---:|---|"]
    for edit, r in results.items():
        b, f = r["backfill"], r["recompute"]
        kind = "full recompute" if r["full"] else f"{len(r['fields'])} field{'s' if len(r['fields']) > 1 else ''}"
        lines.append(f"| {edit} | {kind} | {b['units_run']:,} / {f['units_run']:,} | {b['cpu_s']:.3f} / "
                     f"{f['cpu_s']:.3f} | {b['records']:,} / {f['records']:,} | {b['values']:,} / {f['values']:,} "
                     f"| {'yes' if r['equal_to_full_replay'] else 'NO'} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        job, old_plan, stream, repeat, records = sys.argv[2:7]
        print(json.dumps(worker(Path(job), Path(old_plan), Path(stream), int(repeat), Path(records))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000, help="items in the stream's snapshot")
    parser.add_argument("--updates", type=int, default=6000, help="changes after the snapshot")
    parser.add_argument("--repeat", type=int, default=3, help="row passes of each kind (medians)")
    parser.add_argument("--edits", default=",".join(EDITS), help="which edits, comma-separated")
    args = parser.parse_args()
    from benchmarks.pruning import generator

    results = {}
    with tempfile.TemporaryDirectory() as temp:
        stream = Path(temp) / "stream.jsonl"
        with stream.open("w") as out:
            generator().generate(out, profile="daily", seed=7, updates=args.updates, items=args.items)
        for n, edit in enumerate(e for e in args.edits.split(",") if e):
            print(f"{edit} ...", file=sys.stderr)
            folder = Path(temp) / f"edit{n}"
            folder.mkdir()
            results[edit] = measure(edit, stream, args.repeat, folder)
    print(render(results, args))
    if not all(r["equal_to_full_replay"] for r in results.values()):
        raise SystemExit("a backfill did not give the new version's table")


if __name__ == "__main__":
    main()
