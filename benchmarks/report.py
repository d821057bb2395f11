"""The benchmark report: what pruning saves, at what cost.

    make bench                    # = python -m benchmarks
    python -m benchmarks --quick  # a small stream, one repeat: checks that everything runs

Runs benchmarks/pruning.py on each profile of the ecommerce stream generator (five strategies
side by side, per-unit pruning rates, recall against the oracle plan) and the decision overhead
and scaling measurements of benchmarks/decision_overhead.py, then writes
<out>/latest.md (also printed), <out>/latest.json (every figure) and two charts:
<out>/pruning_rate.png (pruning rate per unit per profile) and <out>/cpu_time.png (CPU time
per strategy per profile).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ("daily", "peak", "backfill")
LABELS = {"full": "full", "source-filter": "source filter", "output-dedup": "output dedup",
          "pruned": "pruned (stateful)", "stateless": "pruned (stateless)", "pruned+dedup": "pruned + dedup"}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def collect(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks import decision_overhead, pruning
    started = time.perf_counter()
    static, truth = pruning.builds()
    data: dict[str, Any] = {
        "command": " ".join(["python -m benchmarks", *args.argv]),
        "settings": {"updates": args.updates, "items": args.items, "seed": args.seed, "repeat": args.repeat},
        "machine": {"python": platform.python_version(), "cores": os.cpu_count(),
                    "load_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None},
        "profiles": {},
    }
    for profile in args.profiles:
        _log(f"profile {profile}: generating and decoding the stream")
        work = pruning.workload(profile, args.updates, args.items, args.seed)
        data["profiles"][profile] = pruning.measure_profile(work, static, truth, args.repeat, log=_log)
    if not args.skip_decisions:
        _log("decision overhead and scaling")
        data["decisions"] = decision_overhead.collect(
            messages=args.decision_messages, decider_messages=max(5_000, args.decision_messages // 5),
            sizes=tuple(args.sizes), repeat=args.repeat, jit=not args.quick)
    data["seconds"] = time.perf_counter() - started
    return data


# ---------------------------------------------------------------------- markdown
def render(data: dict[str, Any]) -> str:
    profiles = data["profiles"]
    s = data["settings"]
    out = ["# cdc-pruner benchmark", "",
           f"`{data['command']}`: the ecommerce example job, streams from "
           f"`examples/ecommerce/generate_stream.py` ({s['items']} items, {s['updates']:,} changes after the "
           f"snapshot, seed {s['seed']}), the seller DimJoin reading SQLite on disk. Medians of "
           f"{s['repeat']} runs per strategy; ratios are medians of per-repeat ratios to `full` measured "
           f"back to back in one process. Python {data['machine']['python']}, {data['machine']['cores']} cores, "
           f"load average at start {data['machine']['load_at_start']:.2f}. Took {data['seconds']:.0f} s.", ""]
    if profiles:
        out += ["## Strategies", "",
                "CPU = CPU seconds of the replay (decoding excluded: it is the same for all). "
                "units run = Processor/DimJoin/UDAF/filter/rename runs; saved = fewer than full. "
                "records = sink records sent to the engine. Every strategy's final sink equals full's "
                "and a batch run's (checked on every run).", ""]
        for name, p in profiles.items():
            out += [f"### {name}: {p['messages']:,} messages ({p['changes']:,} row changes)", "",
                    "| strategy | CPU s | × full | messages/s | units run | saved | messages dropped | records |",
                    "|---|---:|---:|---:|---:|---:|---:|---:|"]
            for strategy, r in p["strategies"].items():
                dropped = f"{r['dropped']:,}"
                records = f"{r['records']:,}" + (f" ({r['suppressed']:,} held back)" if r["suppressed"] else "")
                out.append(f"| {LABELS[strategy]} | {r['cpu']:.2f} | {r['cpu_ratio']:.2f} | {r['messages_per_s']:,.0f} "
                           f"| {r['units_run']:,} | {r['units_saved']:.0%} | {dropped} | {records} |")
            out.append("")
        out += ["## Pruning rate per unit (stateful mode; skipped / row updates)", "",
                "| unit | " + " | ".join(profiles) + " |", "|---|" + "---:|" * len(profiles)]
        first = next(iter(profiles.values()))
        for unit in first["units"]:
            cells = []
            for p in profiles.values():
                u = p["units"][unit]
                total = u["run"] + u["skipped"]
                cells.append(f"{u['skipped'] / total:.0%}" if total else "-")
            out.append(f"| {unit} | " + " | ".join(cells) + " |")
        out += ["", "Per pipeline step: a step is skipped on a row update when none of its units runs "
                "(for a UDTF: no Processor runs, so the call itself is saved).", "",
                "| step | kind | " + " | ".join(profiles) + " |", "|---|---|" + "---:|" * len(profiles)]
        for step, kind in first["step_kinds"].items():
            cells = []
            for p in profiles.values():
                st = p["steps"][step]
                total = st["run"] + st["skipped"]
                cells.append(f"{st['skipped'] / total:.0%}" if total else "-")
            out.append(f"| {step} | {kind} | " + " | ".join(cells) + " |")
        out += ["", "## Engine message dedup (pruned + dedup)", "",
                "Records pruning alone would send, and those dedup held back because no field (the "
                "clock-stamped ones aside) really changed since the key's last record. CPU per record = "
                "(pruned + dedup − pruned) CPU / records compared, median of the per-repeat differences.", "",
                "| profile | records pruning alone sends | held back | dedup rate | CPU per record | most often unchanged |",
                "|---|---:|---:|---:|---:|---|"]
        for name, p in profiles.items():
            d = p["dedup"]
            top = sorted(((v["unchanged"] / v["compared"], f) for f, v in d["fields"].items() if v["compared"]),
                         reverse=True)[:3]
            out.append(f"| {name} | {d['records']:,} | {d['suppressed']:,} | {d['rate']:.1%} | "
                       f"{d['cpu_per_record_us']:.1f} µs | {', '.join(f'{f} {r:.0%}' for r, f in top) or '-'} |")
        out += ["", "## Recall against the oracle plan", "",
                "The oracle plan is compiled from hand-written true read/write sets "
                "(`benchmarks/oracle/ecommerce_truth.yaml`, checked against execution by "
                "`tests/test_ecommerce_truth.py`). Recall = unit runs the static plan skips / unit runs "
                "the oracle plan skips; the outputs of both equal full's.", "",
                "| profile | skipped by static plan | skipped by oracle plan | recall | units that differ |",
                "|---|---:|---:|---:|---|"]
        for name, p in profiles.items():
            o = p["oracle"]
            differ = [u for u, v in o["units"].items() if v["static"] != v["oracle"]]
            out.append(f"| {name} | {o['static_skipped']:,} | {o['oracle_skipped']:,} | {o['recall']:.1%} "
                       f"| {', '.join(differ) or 'none'} |")
        out.append("")
    if "decisions" in data:
        from benchmarks import decision_overhead
        body = decision_overhead.render(data["decisions"]).replace("\n## ", "\n### ").replace("## Machine", "### Machine", 1)
        out += ["## Decision overhead and scaling", "", body]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------- charts
def charts(data: dict[str, Any], out: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    profiles = data["profiles"]
    written = []
    if not profiles:
        return written
    units = list(next(iter(profiles.values()))["units"])
    fig, ax = plt.subplots(figsize=(9, 0.38 * len(units) * max(1, len(profiles)) / 2 + 1.5))
    height = 0.8 / len(profiles)
    for i, (name, p) in enumerate(profiles.items()):
        rates = []
        for unit in units:
            u = p["units"][unit]
            total = u["run"] + u["skipped"]
            rates.append(100 * u["skipped"] / total if total else 0)
        ax.barh([y + i * height for y in range(len(units))], rates, height=height, label=name)
    ax.set_yticks([y + height * (len(profiles) - 1) / 2 for y in range(len(units))], units)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("row updates on which the unit was skipped (%)")
    ax.set_title("Pruning rate per unit (stateful mode)")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path = out / "pruning_rate.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)

    strategies = list(next(iter(profiles.values()))["strategies"])
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(strategies)
    for i, strategy in enumerate(strategies):
        xs = [x + i * width for x in range(len(profiles))]
        values = [p["strategies"][strategy]["cpu"] for p in profiles.values()]
        bars = ax.bar(xs, values, width=width, label=LABELS[strategy])
        for bar, p in zip(bars, profiles.values()):
            ax.annotate(f"{p['strategies'][strategy]['cpu_ratio']:.2f}×", (bar.get_x() + bar.get_width() / 2,
                        bar.get_height()), ha="center", va="bottom", fontsize=7)
    ax.set_xticks([x + width * (len(strategies) - 1) / 2 for x in range(len(profiles))],
                  [f"{n}\n({p['messages']:,} messages)" for n, p in profiles.items()])
    ax.set_ylabel("CPU seconds (median)")
    ax.set_title("CPU time per strategy (labels: × full)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = out / "cpu_time.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)
    return written


# ---------------------------------------------------------------------- entry point
def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n\n")[0],
        epilog="Takes about 5 minutes with the defaults on 2 cores; --quick takes seconds.")
    parser.add_argument("--profiles", nargs="+", choices=PROFILES, default=list(PROFILES),
                        help="stream profiles to replay (default: all)")
    parser.add_argument("--updates", type=int, default=5_000, help="changes after the snapshot per profile (default 5000)")
    parser.add_argument("--items", type=int, default=200, help="items in the snapshot (default 200)")
    parser.add_argument("--seed", type=int, default=11, help="stream generator seed (default 11)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per strategy; medians are reported (default 5)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1_000, 10_000],
                        help="synthetic plan sizes (units) for the decision scaling (default 10 100 1000 10000)")
    parser.add_argument("--decision-messages", type=int, default=300_000,
                        help="messages per decision-kernel measurement (default 300000)")
    parser.add_argument("--skip-decisions", action="store_true", help="leave out decision overhead and scaling")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny run (300 changes, 40 items, 1 repeat, plans of 10 and 100 units)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results",
                        help="where latest.md, latest.json and the charts go (default benchmarks/results)")
    parser.add_argument("--no-charts", action="store_true", help="write no PNG charts")
    args = parser.parse_args(argv)
    args.argv = argv
    if args.quick:
        args.updates, args.items, args.repeat = min(args.updates, 300), min(args.items, 40), 1
        args.sizes, args.decision_messages = [10, 100], 20_000
    if args.updates < 1 or args.items < 1 or args.repeat < 1:
        parser.error("--updates, --items and --repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    data = collect(args)
    args.out.mkdir(parents=True, exist_ok=True)
    text = render(data)
    (args.out / "latest.md").write_text(text, encoding="utf-8")
    (args.out / "latest.json").write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")
    written = [] if args.no_charts else charts(data, args.out)
    print(text)
    _log("wrote " + ", ".join(str(p) for p in [args.out / "latest.md", args.out / "latest.json", *written]))
    return 0
