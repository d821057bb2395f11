"""The ecommerce job on a local Flink mini-cluster, pruned, with its state in Flink keyed state.

    make flink-example        # or: .venv/bin/python examples/flink/run_ecommerce.py [--parallelism 2]

Decodes the bundled Debezium stream inside Flink, runs the job as the keyed topology of
plugin_sdk.flink (M, S, D, R stages with ValueState), prints the first sink records and the
pruning counters, and checks the sink it builds against `pruner replay --mode full`.
Flink's temp files and logs go to build/flink/.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pruner.flink_run import flink_files_under

ROOT = Path(__file__).resolve().parents[2]
JOB = ROOT / "examples/ecommerce/job.yaml"
PLAN = ROOT / "compiled_plans/ecommerce.plan"
STREAM = ROOT / "examples/ecommerce/stream.debezium.jsonl"
CLOCK = ("indexed_at", "index_lag_ms")          # IndexStamp's wall-clock fields differ run to run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallelism", type=int, default=2)
    parser.add_argument("--show", type=int, default=8, help="sink records to print (default 8)")
    args = parser.parse_args()
    flink_files_under(ROOT / "build/flink")

    from pyflink.datastream import StreamExecutionEnvironment

    from plugin_sdk import flink
    from pruner.runtime.engine import SinkTable
    from pruner.runtime.replay import replay

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(args.parallelism)
    env.set_python_executable(sys.executable)
    job = flink.FlinkJob.load(JOB, PLAN)
    lines = STREAM.read_text(encoding="utf-8").splitlines()
    print(f"running {JOB.relative_to(ROOT)} on Flink (parallelism {args.parallelism}) over "
          f"{len(lines):,} Debezium messages...", flush=True)
    with flink.keyed_pipeline(env, job, lines, "debezium-json").execute_and_collect() as results:
        records = list(results)

    print(f"\n{len(records):,} sink records; the first {args.show}:")
    for record in records[:args.show]:
        fields = ", ".join(f"{k}={v!r}"[:48] for k, v in record.fields.items() if k not in CLOCK)
        print(f"  {record.op:<6} {record.key}  {fields[:150]}")
    totals = flink.TOTALS
    total = totals["units_run"] + totals["units_skipped"]
    print(f"\npruning counters (all R tasks): units_run {totals['units_run']:,}, units_skipped "
          f"{totals['units_skipped']:,} ({totals['units_skipped'] / max(1, total):.1%}), "
          f"messages_dropped {totals['messages_dropped']:,}")

    sink = SinkTable(job.spec().sink.fields, job.spec().sink.primary_key)
    sink.apply_all(records)
    full = replay(JOB, PLAN, lines, "debezium-json", "full")

    def stable(rows):
        return [{k: v for k, v in row.items() if k not in CLOCK} for row in rows]
    same = stable(sink.sorted_rows()) == stable(full.sink.sorted_rows())
    full_runs = sum(r for r, _ in full.stats.units.values())
    print(f"sink: {len(sink.rows)} rows; equal to `pruner replay --mode full`: {'yes' if same else 'NO'} "
          f"(full runs {full_runs:,} units)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
