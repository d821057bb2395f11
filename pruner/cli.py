"""The `pruner` command line."""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Sequence

from pruner import __version__
from pruner.cdc.decode import FORMATS
from pruner.diagnostics import BY_CODE, Severity
from pruner.transform import Analysis, SourceError, transform

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_DEAD_LETTERS = 0, 1, 2, 3
EXIT_INTERRUPTED = 130           # as a shell reports a command stopped by Ctrl-C
_STALE_HELP = ("when the plan does not match the job's code or spec: stop with an error naming what "
               "changed (default); full: compile the job in memory and run every current unit, pruning "
               "nothing; compile: compile in memory and prune with that (a stale plan's units never run)")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = _parser()          # imports the runtime: Ctrl-C can come here too
    except KeyboardInterrupt:
        print("\npruner: interrupted while starting; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.run(args)
    except KeyboardInterrupt:
        print(f"\npruner {args.command}: interrupted; no output was written or replaced", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `pruner analyze ... | head`: the reader left; that is not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings of ours (a stale plan) read as the command's own lines, not Python's."""
    print(f"pruner: warning: {message}", file=sys.stderr)


def _fill(text: str) -> str:
    """A description for a raw-formatted parser (its epilog keeps its lines): wrapped here."""
    return textwrap.fill(text, width=90, break_on_hyphens=False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pruner",
        description="Field-lineage CDC pruning: learn what each operator of a streaming job reads, "
                    "then skip the work a change cannot affect.",
        epilog="Run `pruner COMMAND --help` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"cdc-pruner {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")

    analyze = commands.add_parser(
        "analyze", help="report what each Processor reads and writes (static; never imports plugins)",
        description="Parse plugin code (never importing or running it) and report, per Processor, "
                    "the row fields it reads, the output fields it writes, whether it may be "
                    "pruned, and every place the analyzer had to guess.",
        epilog="Exit status: 0 analyzed (warnings allowed), 1 errors (or any guess with --strict), "
               "2 usage error.\n\nDiagnostic codes:\n" + _codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    analyze.add_argument("paths", nargs="+", metavar="PATH",
                         help="plugin files or folders (folders are searched for *.py)")
    analyze.add_argument("--format", choices=("text", "json"), default="text",
                         help="text: diagnostics then a table (default); json: machine-readable")
    analyze.add_argument("--strict", action="store_true",
                         help="exit 1 when the analyzer had to guess anywhere (any warning)")
    analyze.set_defaults(run=_run_analyze)

    compile_ = commands.add_parser(
        "compile", help="compile a job spec into a plan file (compiled_plans/<job>.plan)",
        description="Analyze the job's plugins, weld the job-wide lineage graph, and write the "
                    "plan the runtime loads: per unit the source fields whose change can change "
                    "it, as bitsets, with fingerprints of the spec and of every plugin file.",
        epilog="Exit status: 0 compiled (warnings allowed), 1 errors (nothing written; an existing "
               "plan is left as it was) or any warning with --strict, 2 usage error.\n\n"
               "example:\n  pruner compile examples/reference/job.yaml\n"
               "  pruner compile job.yaml -o build/job.plan --strict",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compile_.add_argument("spec", metavar="JOB.yaml", help="the job spec")
    compile_.add_argument("-o", "--output", metavar="PLAN",
                          help="where to write the plan (default: compiled_plans/<job>.plan)")
    compile_.add_argument("--strict", action="store_true",
                          help="fail (and write nothing) when the analyzer had to guess anywhere")
    compile_.add_argument("--cache-dir", metavar="DIR",
                          help="where analyses of unchanged plugin files are kept "
                               "(default: .pruner-cache next to the spec)")
    compile_.add_argument("--no-cache", action="store_true", help="analyze every plugin file afresh")
    compile_.set_defaults(run=_run_compile)

    explain = commands.add_parser(
        "explain", help="show what a plan does with one change, or draw its lineage graph",
        description="Ask a compiled plan what happens when a message changes some fields of one "
                    "source: is it dropped, which units run, which are skipped and why, which "
                    "sink fields may change. Or draw the welded lineage graph.",
        epilog="examples:\n"
               "  pruner explain compiled_plans/reference.plan --source items --changed a\n"
               "  pruner explain compiled_plans/reference.plan --source sellers --changed c --format json\n"
               "  pruner explain compiled_plans/reference.plan --graph dot -o lineage.dot",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("plan", metavar="PLAN", help="a plan file written by `pruner compile`")
    explain.add_argument("--source", help="the source or dimension table the message comes from")
    explain.add_argument("--changed", default="",
                         help="comma-separated changed fields (an update); unknown names count as "
                              "the wildcard")
    explain.add_argument("--op", choices=("insert", "update", "delete"), default="update",
                         help="insert and delete change every field (default: update)")
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.add_argument("--graph", choices=("dot", "svg"),
                         help="instead of a decision, print the lineage graph (svg needs Graphviz)")
    explain.add_argument("-o", "--output", metavar="FILE",
                         help="with --graph: write to FILE, named *.dot or *.gv (dot) or *.svg (svg)")
    explain.set_defaults(run=_run_explain)

    diff = commands.add_parser(
        "diff", help="compare two plans of a job: what changed, which sink fields to recompute",
        description=_fill("Compare the plan of a job's old version with its new one: units added, removed, "
                    "with changed code (formatting and comments do not count) or changed reads and "
                    "writes; sink fields added and removed; source fields newly read; and the sink "
                    "fields whose values the change can reach, which the rows the sink holds need "
                    "recomputed (a backfill). A change to the sink's key, to the tables whose rows "
                    "are the sink's rows, or to a filter needs a full recompute."),
        epilog="exit status: 0 no backfill needed, 1 a backfill, a full recompute or dropping removed sink "
               "fields is needed (as "
               "`git diff --exit-code`), 2 a plan cannot be read.\n\n"
               "example:\n  pruner compile job.yaml -o new.plan && pruner diff compiled_plans/job.plan new.plan",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("old", metavar="OLD.plan", help="the plan the sink was built with")
    diff.add_argument("new", metavar="NEW.plan", help="the plan of the new version")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(run=_run_diff)

    backfill = commands.add_parser(
        "backfill", help="after a job changes: recompute, for every row, only the sink fields it reaches",
        description=_fill("Recompute, for every row of the current source state, only the sink fields that "
                    "`pruner diff OLD NEW` names: only the units those fields come from run (with what "
                    "they read, and the filters), and each record carries only those fields. Applied to "
                    "the sink the old version built, the records give the table a full replay of the new "
                    "version gives. A changed filter (or what a filter reads) makes it a full recompute: "
                    "full records, and deletes for rows that leave the sink; a changed sink key or row "
                    "sources make the records a new table to load into an empty one. The source state is "
                    "a replayed stream (--input, with its --dim-store if it has one) or the changes a "
                    "`pruner follow` sink file holds (--follow-sink); neither is changed."),
        epilog=_fill("The output starts with a header line (plans, input, fields, full, replace) and ends "
                     "with a line {\"done\": {...}}; each line between is a record {\"op\", \"key\", "
                     "\"fields\"}, in key order. Interrupted (Ctrl-C, a crash), the same command goes on "
                     "after the last record written.") + "\n\n" +
               _fill("exit status: 0 done (or nothing to do), 1 an error, 2 a usage error, 3 rows a unit "
                     "failed on (not written; listed on stderr).") + "\n\nexample:\n"
               "  pruner compile job.yaml -o new.plan\n"
               "  pruner backfill job.yaml --plan new.plan --from-plan compiled_plans/job.plan \\\n"
               "      --input cdc.jsonl --format debezium-json --out backfill.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backfill.add_argument("spec", metavar="JOB.yaml", help="the job spec (its plugins: the new version's code)")
    backfill.add_argument("--plan", required=True, metavar="NEW.plan", help="the plan compiled from it")
    backfill.add_argument("--from-plan", required=True, metavar="OLD.plan", help="the plan the sink was built with")
    state = backfill.add_mutually_exclusive_group(required=True)
    state.add_argument("--input", help="a file of CDC messages (the stream the sink was built from)")
    state.add_argument("--follow-sink", metavar="SINK.jsonl", help="a `pruner follow` sink file: its changes")
    backfill.add_argument("--format", dest="fmt", choices=FORMATS, help="the format of --input")
    backfill.add_argument("--dim-store", metavar="FILE.db",
                          help="the SQLite file holding the dimension tables (read only: never changed)")
    backfill.add_argument("--ignore-positions", action="store_true",
                          help="apply every message in file order (as `pruner replay --ignore-positions`)")
    backfill.add_argument("--out", required=True, metavar="FILE.jsonl", help="where the records go")
    backfill.add_argument("--stats-out", metavar="FILE.json", help="write the counts as JSON")
    backfill.add_argument("--quiet", action="store_true", help="no progress and no summary on stderr")
    backfill.set_defaults(run=_run_backfill)

    replay = commands.add_parser(
        "replay", help="run a captured CDC stream through the job, pruned by its plan",
        description="Decode a file of CDC messages, run every change through the job's units "
                    "(pruned by the plan, or not, per --mode), and report the final sink table, "
                    "what was pruned, and every message that could not be used.",
        epilog="modes: pruned (stateful, default) | stateless | full (every unit on every message) | "
               "batch (the job once over the final snapshot). The final sink table of every mode "
               "is the same; only the work differs.\n\n"
               "outputs are checked before the run (not the input, not each other, writable) and "
               "written whole at the end: a failed run leaves no half file and replaces nothing.\n\n"
               "exit status: 0 done; 1 error (nothing written); 2 usage error; 3 done, but more "
               "messages than --max-dead-letters were dead letters; 130 interrupted. When the first "
               f"{_first_checked()} messages are all unusable and another format reads them, the run "
               "stops early (1) naming that format.\n\n"
               "example:\n  pruner replay examples/ecommerce/job.yaml --plan compiled_plans/ecommerce.plan \\\n"
               "      --input examples/ecommerce/stream.debezium.jsonl --format debezium-json "
               "--sink-out sink.jsonl --stats-out stats.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    replay.add_argument("spec", metavar="JOB.yaml", help="the job spec")
    replay.add_argument("--plan", required=True, help="the plan compiled from it")
    replay.add_argument("--input", required=True, help="a file of CDC messages, one per line, or - for stdin")
    replay.add_argument("--format", required=True, dest="fmt",
                        choices=FORMATS)
    replay.add_argument("--mode", default="pruned", choices=("pruned", "stateless", "full", "batch"))
    replay.add_argument("--sink-out", metavar="FILE.jsonl", help="write the final sink table (sorted by key)")
    replay.add_argument("--stats-out", metavar="FILE.json", help="write counters as JSON")
    replay.add_argument("--dead-letter", metavar="FILE", help="write unusable messages with their reasons")
    replay.add_argument("--on-stale", choices=("stop", "full", "compile"), default="stop", help=_STALE_HELP)
    replay.add_argument("--max-dead-letters", type=int, default=0, metavar="N",
                        help="exit 0 when at most N messages were dead letters (default 0: any dead "
                             "letter makes the exit status 3; the outputs are written either way)")
    _dedup_arguments(replay, "(pruned mode) ", max_keys=True)
    replay.add_argument("--dim-store", metavar="FILE.db",
                        help="keep the dimension tables in this SQLite file (created if missing; rows "
                             "already in it are used) instead of in memory")
    replay.add_argument("--ignore-positions", action="store_true",
                        help="apply every message even when the source position it carries (a PostgreSQL "
                             "LSN in debezium-json) is older than its row's last change; by default such "
                             "a redelivered message is skipped and counted")
    replay.add_argument("--quiet", action="store_true", help="no progress and no summary on stderr")
    replay.set_defaults(run=_run_replay)

    follow = commands.add_parser(
        "follow", help="follow a live database (PostgreSQL with wal2json, or a MariaDB binlog), pruned",
        description="Stream a database's changes through the job as they happen, and write the sink "
                    "records of each committed transaction to a sink file (--sink-out) or a PostgreSQL "
                    "table (--sink), exactly once. From PostgreSQL (--dsn): a logical replication slot "
                    "with the wal2json plugin, which the server keeps until the sink holds what it "
                    "sent. From MariaDB (--source mysql://...): its binlog, read as a replica, resumed "
                    "after the GTID kept with the sink. Stopped (Ctrl-C) and started again, it goes on "
                    "exactly where the sink is: no change is lost or applied twice. Started with a new "
                    "plan of the job (after an edit and `pruner compile`), it first switches: every row "
                    "runs once with the new code and the sink gets the fields it computes otherwise "
                    "(see `pruner diff`), then it goes on with the new plan.",
        epilog="PostgreSQL needs wal_level=logical, the wal2json plugin, a user with REPLICATION "
               "(and a pg_hba.conf line for replication connections), and REPLICA IDENTITY FULL on "
               "the job's tables (without it every update counts as changing every field).\n"
               "MariaDB (10.5 or newer) needs log_bin, binlog_format=ROW, binlog_row_image=FULL and "
               "binlog_row_metadata=FULL, and a user with REPLICATION SLAVE and BINLOG MONITOR; a "
               "server without them is refused at start, saying what to set.\n\n"
               "examples:\n  pruner follow examples/reference/job.yaml --plan compiled_plans/reference.plan \\\n"
               "      --dsn postgresql://pruner@127.0.0.1:5432/shop --slot pruner_reference --sink-out sink.jsonl\n"
               "  pruner follow examples/reference/job.yaml --plan compiled_plans/reference.plan \\\n"
               "      --source mysql://pruner:secret@127.0.0.1:3306/shop \\\n"
               "      --sink 'postgresql://pruner@127.0.0.1:5432/search#wide.items'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    follow.add_argument("spec", metavar="JOB.yaml", help="the job spec (its tables are the database's tables)")
    follow.add_argument("--plan", required=True, help="the plan compiled from it")
    sources = follow.add_mutually_exclusive_group(required=True)
    sources.add_argument("--dsn", help="PostgreSQL source: libpq connection string or URL of the database")
    sources.add_argument("--source", metavar="URL",
                         help="the source database: postgresql://... (as --dsn) or "
                              "mysql://USER[:PASSWORD]@HOST[:PORT]/DB for a MariaDB binlog")
    follow.add_argument("--server-id", type=int, metavar="N",
                        help="MariaDB: this follower's replica server id, unique among the server's "
                             "replicas (default: one derived from --slot, the same at every start)")
    follow.add_argument("--start-gtid", metavar="GTID",
                        help="MariaDB: a new sink starts after this GTID (SELECT @@gtid_binlog_pos shows "
                             "the current one); default: from the oldest binlog the server has. A sink "
                             "with a position goes on from it")
    follow.add_argument("--slot", default="pruner",
                        help="PostgreSQL: the replication slot (created if missing); MariaDB: the name of the "
                             "position kept in a PostgreSQL sink (default pruner)")
    sinks = follow.add_mutually_exclusive_group(required=True)
    sinks.add_argument("--sink-out", metavar="FILE.jsonl",
                       help="the sink: one line per source transaction (its records and changes); "
                            "also where a restart picks up")
    sinks.add_argument("--sink", metavar="postgresql://USER@HOST/DB#SCHEMA.TABLE",
                       help="the sink: a PostgreSQL table (created from the job's sink), written exactly "
                            "once: records and the source position in one transaction per group")
    follow.add_argument("--mode", default="pruned", choices=("pruned", "stateless", "full"))
    follow.add_argument("--on-stale", choices=("stop", "full", "compile"), default="stop", help=_STALE_HELP)
    follow.add_argument("--idle-exit", type=float, metavar="SECONDS",
                        help="stop after this long without a message (the first one may take up to "
                             "10 s to come; default: run until Ctrl-C)")
    follow.add_argument("--max-transactions", type=int, metavar="N", help="stop after writing N transactions")
    follow.add_argument("--snapshot-every", type=_non_negative_int, default=1000, metavar="N",
                        help="write the job's state to FILE.jsonl.snapshot every N transactions and at a "
                             "clean stop, so that a restart replays only the lines after it (default "
                             "1000; 0: never, a restart replays the whole sink file)")
    follow.add_argument("--group-max", type=int, default=100, metavar="N",
                        help="--sink: commit at most N source transactions together (default 100)")
    follow.add_argument("--group-ms", type=float, default=200.0, metavar="MS",
                        help="--sink: commit a group at the latest MS milliseconds after its first "
                             "transaction (default 200)")
    _dedup_arguments(follow, "(pruned mode) ", max_keys=True)
    follow.add_argument("--quiet", action="store_true", help="no progress and no summary on stderr")
    follow.set_defaults(run=_run_follow)

    flink = commands.add_parser(
        "flink", help="run the job on Flink (a local mini-cluster): pruner flink run ...",
        description="Run a job on Apache Flink with its state in Flink keyed state (needs the flink "
                    "extra: pip install 'cdc-pruner[flink]').")
    flink_commands = flink.add_subparsers(title="commands", metavar="COMMAND", dest="flink_command")
    flink_run = flink_commands.add_parser(
        "run", help="run the job over CDC files on a local Flink mini-cluster",
        description="Read CDC messages with Flink's FileSource (a file, or every file of a directory), "
                    "run the job as keyed stages with checkpoints and a restart strategy, and write the "
                    "sink records and the dead letters with Flink's FileSink, committed on checkpoints: "
                    "a failed task restarts from the last checkpoint, and the committed files hold every "
                    "record exactly once. Ctrl-C stops the job with a savepoint and prints its path; "
                    "--savepoint PATH resumes from it (or from a retained checkpoint).",
        epilog="under --sink-dir: records/ (one JSON object per sink record: n numbers the records of "
               "its key from 1, op, key, fields; a part file is complete once its name has no leading "
               "dot), dead_letters/ (line, reason, raw, stage), _state/ (checkpoints, savepoints, "
               "Flink's temp files and logs).\n\n"
               "each file is read in order by one source task: keep each key's changes in one file.\n\n"
               "on a cluster: the same topology is plugin_sdk.flink.keyed_topology; see README "
               "'Running on Flink' for `flink run -py`.\n\n"
               "a new run needs an empty --sink-dir; a run into a folder that holds output resumes "
               "with --savepoint (and the --input, --format and --monitor it had).\n\n"
               "exit status: 0 finished (or stopped with a savepoint); 1 the job failed or could not "
               "start; 2 usage error, or a run refused before it started; 3 more dead letters than "
               "--max-dead-letters (when every message is one, it says which format reads them).\n\n"
               "example:\n  pruner flink run examples/ecommerce/job.yaml --plan compiled_plans/ecommerce.plan \\\n"
               "      --input examples/ecommerce/stream.debezium.jsonl --format debezium-json --sink-dir build/flink-sink",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    flink_run.add_argument("spec", metavar="JOB.yaml", help="the job spec")
    flink_run.add_argument("--plan", required=True, help="the plan compiled from it")
    flink_run.add_argument("--input", required=True, metavar="PATH", help="a file or a directory of CDC files")
    flink_run.add_argument("--format", required=True, dest="fmt", choices=FORMATS)
    flink_run.add_argument("--sink-dir", required=True, metavar="DIR",
                           help="where the committed records, dead letters and Flink state go")
    flink_run.add_argument("--parallelism", type=int, default=2, metavar="N", help="task parallelism (default 2)")
    flink_run.add_argument("--checkpoint-interval", type=int, default=1000, metavar="MS",
                           help="checkpoint (and commit the sink files) every MS milliseconds (default 1000)")
    flink_run.add_argument("--restarts", type=int, default=10, metavar="N",
                           help="restart a failed job up to N times from its last checkpoint (default 10)")
    flink_run.add_argument("--savepoint", metavar="PATH", help="resume from this savepoint or retained checkpoint")
    flink_run.add_argument("--monitor", type=int, metavar="MS",
                           help="watch the --input directory for new files every MS milliseconds and run "
                                "until Ctrl-C (default: read what is there and finish)")
    flink_run.add_argument("--on-stale", choices=("stop", "full", "compile"), default="stop", help=_STALE_HELP)
    flink_run.add_argument("--max-dead-letters", type=int, default=0, metavar="N",
                           help="exit with status 3 when more than N dead letters were committed (default 0)")
    _dedup_arguments(flink_run, "", max_keys=False)      # the emitted values live in each key's state
    flink_run.add_argument("--quiet", action="store_true", help="no progress and no summary on stderr")
    flink_run.set_defaults(run=_run_flink)
    flink.set_defaults(run=lambda args: (flink.print_help(), EXIT_USAGE)[1])
    return parser


def _dedup_arguments(parser: argparse.ArgumentParser, scope: str, *, max_keys: bool) -> None:
    parser.add_argument("--dedup", action="store_true",
                        help=f"{scope}send only sink fields whose value really changed since the "
                             "key's last record; a record where none did is not sent")
    parser.add_argument("--dedup-ignore", metavar="F1,F2", default="",
                        help="with --dedup: fields left out of the comparison (e.g. timestamps): they go "
                             "out with a record that is sent anyway, never alone")
    parser.add_argument("--dedup-full-rows", action="store_true",
                        help="with --dedup: send whole rows (for sinks without partial updates)")
    if max_keys:
        parser.add_argument("--dedup-max-keys", type=int, metavar="N",
                            help="with --dedup: remember the last values of at most N keys (the least "
                                 "recently sent is forgotten; its next record is a full row)")
    parser.add_argument("--dedup-ttl", type=float, metavar="SECONDS",
                        help="with --dedup: forget a key's last values after this long (next record: a "
                             "full row); keep it at or below the sink's own TTL")


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative: give 0 or more")
    return value


def _first_checked() -> int:
    from pruner.runtime.replay import FIRST_MESSAGES_CHECKED
    return FIRST_MESSAGES_CHECKED


def _codes_help() -> str:
    return "\n".join(f"  {c.code} {c.name} ({c.severity.value}): {c.summary}" for c in BY_CODE.values())


def _run_analyze(args: argparse.Namespace) -> int:
    try:
        analysis = transform(args.paths)
    except SourceError as error:
        print(f"pruner analyze: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        json.dump(analysis.to_json(), sys.stdout, indent=2, sort_keys=False)
        sys.stdout.write("\n")
    else:
        _print_text(analysis)
    if analysis.has_errors() or (args.strict and analysis.has_guesses()):
        return EXIT_ERRORS
    return EXIT_OK


def _run_compile(args: argparse.Namespace) -> int:
    from pruner.compiler import build
    from pruner.outputs import OutputError, Outputs
    from pruner.planfile import dumps
    from pruner.spec import SpecError

    cache_dir = None if args.no_cache else (args.cache_dir or Path(args.spec).parent / ".pruner-cache")
    try:
        result = build(args.spec, cache_dir=cache_dir)
    except (SpecError, SourceError) as error:
        print(f"pruner compile: {error}", file=sys.stderr)
        return EXIT_ERRORS
    diagnostics = result.diagnostics()
    for diagnostic in diagnostics:
        print(diagnostic.render(), file=sys.stderr)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    guesses = [d for d in diagnostics if d.severity is Severity.WARNING]
    if errors or (args.strict and guesses):
        reason = f"{len(errors)} errors" if errors else f"{len(guesses)} warnings with --strict"
        print(f"pruner compile: {reason}; no plan written", file=sys.stderr)
        return EXIT_ERRORS
    if args.output == "":
        print("pruner compile: -o needs a file or directory name", file=sys.stderr)
        return EXIT_USAGE
    output = Path(args.output) if args.output else Path("compiled_plans") / f"{result.spec.name}.plan"
    if output.is_dir() or (args.output and args.output.endswith(("/", os.sep))):
        output = output / f"{result.spec.name}.plan"          # -o DIR: DIR/<job>.plan, as cp does
    try:        # never onto the spec or a plugin; in place on a device; else whole or not at all
        if not output.parent.exists() and not str(output.absolute()).startswith(("/dev/", "/proc/")):
            output.parent.mkdir(parents=True)
        outputs = Outputs({"-o": output}, inputs=_job_files(result.spec),
                          plugin_folders=tuple(str(f) for f in result.spec.plugins))
        outputs.write("-o", lambda out: out.write(dumps(result.plan).decode("ascii")))
        outputs.commit()
    except (OSError, OutputError) as error:
        message = error if isinstance(error, OutputError) else f"cannot write {output}: {error.strerror or error}"
        print(f"pruner compile: {message}; no plan written", file=sys.stderr)
        return EXIT_ERRORS
    plan = result.plan
    live = [u for u in plan.units if not u.dead]
    print(f"compiled {plan.job}: {len(plan.units)} units ({len(live)} live), {plan.n_bits} bits "
          f"({plan.n_bits - 1} source fields + wildcard), {len(plan.sink)} sink fields -> {output}")
    return EXIT_OK


def _job_files(spec) -> dict[str, Path]:
    """The files a job is made of (its spec and plugin modules): never an output."""
    files = {"the job spec": spec.path}
    for folder in spec.plugins:
        for file in Path(folder).rglob("*.py"):
            files[f"plugin {file}"] = file
    return files


def _job_inputs(spec_path: str) -> dict[str, Path | str]:
    """The job's files for an output check before the spec is loaded for real: a spec that
    cannot be loaded is reported by the run itself, so here it is only the spec path."""
    from pruner.spec import SpecError, load_spec

    try:
        return _job_files(load_spec(spec_path))
    except (SpecError, OSError, ValueError):
        return {"the job spec": spec_path}


def _plugin_folders(spec_path: str) -> tuple[str, ...]:
    """The job's plugin folders (none when the spec cannot be loaded: the run says why)."""
    from pruner.spec import SpecError, load_spec

    try:
        return tuple(str(folder) for folder in load_spec(spec_path).plugins)
    except (SpecError, OSError, ValueError):
        return ()


def _run_diff(args: argparse.Namespace) -> int:
    from pruner.diff import diff_plans, render
    from pruner.planfile import PlanError, read_plan

    try:
        old, new = read_plan(args.old), read_plan(args.new)
    except PlanError as error:
        print(f"pruner diff: {error}", file=sys.stderr)
        return EXIT_USAGE
    result = diff_plans(old, new)
    if args.format == "json":
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(render(result))
    return result.exit_code


def _run_backfill(args: argparse.Namespace) -> int:
    from pruner.backfill import (BackfillError, OutputFile, file_sha256, header, plan_backfill, read_output,
                                 resume_keys, state_from_follow_sink)
    from pruner.fingerprint import file_digest
    from pruner.follow import FollowError
    from pruner.planfile import PlanError, read_plan
    from pruner.runtime.engine import Engine
    from pruner.runtime.plugins import PluginLoadError, StalePlanError
    from pruner.runtime.replay import WrongFormatError, open_input, replay
    from pruner.runtime.stores import StoreError
    from pruner.spec import SpecError, load_spec

    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    if args.input is not None and args.fmt is None:
        print("pruner backfill: --input needs --format", file=sys.stderr)
        return EXIT_USAGE
    if args.follow_sink is not None and (args.fmt or args.dim_store):
        print("pruner backfill: --format and --dim-store go with --input, not --follow-sink", file=sys.stderr)
        return EXIT_USAGE
    source = args.input or args.follow_sink
    out = Path(args.out)
    from pruner.outputs import OutputError, Outputs
    try:
        Outputs({"--out": args.out, "--stats-out": args.stats_out},
                inputs={"--input": args.input, "--follow-sink": args.follow_sink, "--plan": args.plan,
                        "--from-plan": args.from_plan, "--dim-store": args.dim_store, **_job_inputs(args.spec)},
                plugin_folders=_plugin_folders(args.spec))
        spec = load_spec(args.spec)
        new, old = read_plan(args.plan), read_plan(args.from_plan)
        if source == "-" or not os.path.isfile(source):
            raise BackfillError(f"{'--input' if args.input else '--follow-sink'} {source} is not a file "
                                "(a backfill reads it whole, and checks it did not change when it goes on)")
        plan = plan_backfill(old, new)
        identity = {"job": spec.name, "plan_sha256": file_digest(Path(args.plan).read_bytes()),
                    "from_plan_sha256": file_digest(Path(args.from_plan).read_bytes()),
                    "input": os.path.basename(source), "input_sha256": file_sha256(source),
                    "input_format": args.fmt, "ignore_positions": bool(args.ignore_positions),
                    "dim_store": os.path.abspath(args.dim_store) if args.dim_store else None}
        head = header(plan, identity)
        resume = read_output(out, head)
    except (SpecError, PlanError, BackfillError, OutputError, OSError, ValueError) as error:
        print(f"pruner backfill: {error}", file=sys.stderr)
        return EXIT_USAGE
    say(f"pruner backfill: {plan.describe()}")
    if resume is not None and resume.done:
        say(f"pruner backfill: {out} is complete already ({resume.records:,} records); nothing to do")
        return EXIT_OK
    store = None
    try:
        if args.input is not None:
            result = replay(args.spec, args.plan, open_input(args.input), args.fmt, "batch",
                            progress=None if args.quiet else sys.stderr, dim_store=args.dim_store,
                            source_order=not args.ignore_positions, hold_store=True, finish=False)
            engine, store = result.engine, result
            if result.dead_letters:
                say(f"pruner backfill: {len(result.dead_letters):,} messages of the input could not be applied "
                    "(as in `pruner replay` of the new job spec): the state is the one a replay of the new "
                    "version builds")
        else:
            engine = Engine(spec, new, "batch")
            state_from_follow_sink(engine, args.follow_sink)
        keys = engine.row_keys()
        todo, done = resume_keys(keys, resume)
    except (SpecError, PlanError, StalePlanError, PluginLoadError, StoreError, WrongFormatError, BackfillError,
            FollowError, ValueError, OSError) as error:
        if store is not None:
            store.finish_store(False)
        print(f"pruner backfill: {error}", file=sys.stderr)
        return EXIT_ERRORS
    if done:
        say(f"pruner backfill: going on after row {done:,} of {len(keys):,} ({resume.records:,} records written)")
    output = OutputFile(out, head, resume)
    try:
        from pruner.backfill import backfill_rows
        stats = backfill_rows(engine, plan, output.record, keys=todo,
                              progress=None if args.quiet else sys.stderr, total=len(todo))
        if resume is not None:          # the done line counts the whole output; unit runs and seconds this run's
            stats.skipped = done
            stats.rows += done
            stats.upserts += resume.upserts
            stats.deletes += resume.deletes
            stats.fields_written += resume.fields_written
        summary = {**stats.to_json(), "full_recompute_units": plan.live * len(keys)}
        output.finish(summary)
    except KeyboardInterrupt:
        output.close()
        print(f"\npruner backfill: interrupted; {out} keeps the records written: run the same command to go on",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        output.close()
        if store is not None:
            store.finish_store(False)       # the --dim-store is read, never changed
    if args.stats_out:
        Path(args.stats_out).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    full_units = plan.live * (stats.rows - stats.skipped)
    before = f" ({stats.skipped:,} done before this run)" if stats.skipped else ""
    say(f"pruner backfill: {stats.rows:,} rows{before}, {stats.units_run:,} unit runs (a full recompute: {full_units:,}), "
        f"{stats.upserts:,} upserts and {stats.deletes:,} deletes ({stats.fields_written:,} values) in "
        f"{stats.cpu_seconds:.2f} CPU s -> {out}")
    if stats.dead_letters:
        for key, why in stats.dead_letters[:10]:
            print(f"pruner backfill: row {list(key)} not written: {why}", file=sys.stderr)
        print(f"pruner backfill: {len(stats.dead_letters):,} rows a unit failed on: exit status {EXIT_DEAD_LETTERS}",
              file=sys.stderr)
        return EXIT_DEAD_LETTERS
    return EXIT_OK


def _run_explain(args: argparse.Namespace) -> int:
    from pruner.decide import change_mask, decide
    from pruner.planfile import PlanError, read_plan

    try:
        plan = read_plan(args.plan)
    except PlanError as error:
        print(f"pruner explain: {error}", file=sys.stderr)
        return EXIT_ERRORS
    if args.graph:
        return _write_graph(plan, args)
    if not args.source:
        print("pruner explain: give --source SRC --changed f1,f2 (or --graph dot|svg)", file=sys.stderr)
        return EXIT_USAGE
    changed = [c.strip() for c in args.changed.split(",") if c.strip()]
    try:
        mask = change_mask(plan, args.source, changed, args.op)
    except KeyError:
        print(f"pruner explain: unknown source {args.source!r}; the plan knows "
              f"{', '.join(plan.namespaces)}", file=sys.stderr)
        return EXIT_USAGE
    decision = decide(plan, mask)
    if args.format == "json":
        json.dump({"drop": decision.drop, "run": list(decision.run), "skip": list(decision.skip),
                   "outputs": list(decision.outputs), "why": decision.why}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    what = f"{args.op} of {args.source}" + (f" changing {', '.join(changed)}" if changed and args.op == "update" else "")
    if decision.drop:
        print(f"{what}: DROPPED at the source ({decision.why['message']})")
        return EXIT_OK
    print(f"{what}:")
    for name in decision.run:
        print(f"  run   {name:<28} {decision.why[name]}")
    for name in decision.skip:
        print(f"  skip  {name:<28} {decision.why[name]}")
    print(f"  sink fields that may change: {', '.join(decision.outputs) or 'none'}")
    return EXIT_OK


def _write_graph(plan, args: argparse.Namespace) -> int:
    import shutil
    import subprocess

    lines = ["digraph lineage {", "  rankdir=LR;", "  node [fontsize=10];"]
    shapes = {"src": "box", "field": "ellipse", "unit": "component", "sink": "doubleoctagon"}
    for i, label in enumerate(plan.graph_nodes):
        kind = label.split(":", 1)[0]
        lines.append(f"  n{i} [label={json.dumps(label)}, shape={shapes.get(kind, 'point')}];")
    for a, b in plan.graph_edges:
        lines.append(f"  n{a} -> n{b};")
    lines.append("}")
    dot = "\n".join(lines) + "\n"
    if args.graph == "svg":
        if shutil.which("dot") is None:
            print("pruner explain: --graph svg needs Graphviz's `dot` (apt-get install graphviz); "
                  "use --graph dot to get the DOT text", file=sys.stderr)
            return EXIT_ERRORS
        output = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, check=True).stdout
    else:
        output = dot.encode()
    if args.output:
        from pruner.outputs import OutputError, Outputs
        suffixes = _GRAPH_SUFFIXES[args.graph]
        named = {Path(args.output).suffix.lower(), Path(args.output).resolve().suffix.lower()}
        if not named <= set(suffixes) and not _is_device(args.output):      # a link's target too
            print(f"pruner explain: -o {args.output}: a --graph {args.graph} file is named *{' or *'.join(suffixes)} "
                  "(explain knows only the plan, not the job's files, so it writes nothing else)", file=sys.stderr)
            return EXIT_USAGE
        try:
            outputs = Outputs({"-o": args.output}, inputs={"the plan": args.plan})
            outputs.write("-o", lambda out: out.write(output.decode("utf-8")))
            outputs.commit()
        except OutputError as error:
            print(f"pruner explain: {error}", file=sys.stderr)
            return EXIT_ERRORS
    else:
        sys.stdout.buffer.write(output)
    return EXIT_OK


_GRAPH_SUFFIXES = {"dot": (".dot", ".gv"), "svg": (".svg",)}


def _is_device(path: str) -> bool:
    """A device or a pipe (/dev/stdout, a FIFO): not a file a name could mislead about."""
    import stat
    try:
        return not stat.S_ISREG(os.stat(path).st_mode) and not stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def _run_replay(args: argparse.Namespace) -> int:
    from pruner.outputs import OutputError, Outputs
    from pruner.planfile import PlanError
    from pruner.runtime.plugins import PluginLoadError, StalePlanError
    from pruner.runtime.replay import (WrongFormatError, format_hint, guess_format, open_input, replay,
                                       summary, write_dead_letters, write_sink)
    from pruner.runtime.stores import StoreError
    from pruner.spec import SpecError

    if args.max_dead_letters < 0:
        print("pruner replay: --max-dead-letters must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    dedup = _dedup_of(args, "pruner replay")
    if dedup is False:
        return EXIT_USAGE
    try:            # every output is checked before any work: a run's result is never lost to a bad path
        job_inputs, folders = _job_inputs(args.spec), _plugin_folders(args.spec)
        outputs = Outputs({"--sink-out": args.sink_out, "--stats-out": args.stats_out,
                           "--dead-letter": args.dead_letter},
                          inputs={"--input": args.input, "--plan": args.plan, "--dim-store": args.dim_store,
                                  **job_inputs}, plugin_folders=folders)
        if args.dim_store:      # read and written in place: never one of the run's inputs or the job's files
            if os.path.exists(args.dim_store) and not os.path.isfile(args.dim_store):
                raise OutputError(f"--dim-store {args.dim_store} is not a regular file (an SQLite database file "
                                  "is created there if missing)")
            Outputs({"--dim-store": args.dim_store}, inputs={"--input": args.input, "--plan": args.plan,
                                                             **job_inputs}, plugin_folders=folders)
    except OutputError as error:
        print(f"pruner replay: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        lines = open_input(args.input)
    except OSError as error:
        print(f"pruner replay: cannot read {args.input}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = replay(args.spec, args.plan, lines, args.fmt, args.mode, on_stale=args.on_stale,
                        progress=None if args.quiet else sys.stderr, dim_store=args.dim_store, dedup=dedup,
                        source_order=not args.ignore_positions, hold_store=True)
    except (SpecError, PlanError, StalePlanError, PluginLoadError, StoreError, WrongFormatError,
            ValueError) as error:
        print(f"\npruner replay: {error}" if not args.quiet else f"pruner replay: {error}", file=sys.stderr)
        return EXIT_ERRORS
    except OSError as error:
        print(f"pruner replay: cannot read {error.filename or args.input}: {error.strerror or error}",
              file=sys.stderr)
        return EXIT_ERRORS
    except sqlite3.Error as error:
        print(f"pruner replay: the --dim-store {args.dim_store} failed: {error}; nothing was written",
              file=sys.stderr)
        return EXIT_ERRORS
    try:            # the --dim-store keeps what the run did only if every output is written
        outputs.write("--sink-out", lambda out: write_sink(result, out))
        outputs.write("--stats-out", lambda out: _write_json(result.stats_json(), out))
        outputs.write("--dead-letter", lambda out: write_dead_letters(result, out))
        outputs.commit()
    except (OutputError, ValueError) as error:
        outputs.discard()
        result.finish_store(False)
        print(f"pruner replay: {error}", file=sys.stderr)
        return EXIT_ERRORS
    except BaseException:
        result.finish_store(False)
        raise
    result.finish_store(True)
    if not args.quiet:
        print(summary(result), file=sys.stderr)
    dead = len(result.dead_letters)
    hint = ""
    if dead and dead == result.decode_stats.messages:
        hint = " " + format_hint([letter.raw for letter in result.dead_letters[:64]], args.fmt)
    if dead > args.max_dead_letters:
        if not args.quiet:
            where = f" (written to {args.dead_letter})" if args.dead_letter else " (see them with --dead-letter FILE)"
            print(f"pruner replay: {dead:,} dead letter{'s' if dead != 1 else ''}{where}, more than --max-dead-letters "
                  f"{args.max_dead_letters}: exit status {EXIT_DEAD_LETTERS}.{hint}", file=sys.stderr)
        return EXIT_DEAD_LETTERS
    if hint.strip() and guess_format([letter.raw for letter in result.dead_letters[:64]], args.fmt):
        print(f"pruner replay: warning: every message ({dead:,}) was a dead letter (tolerated by "
              f"--max-dead-letters {args.max_dead_letters}), and another format reads them:{hint}", file=sys.stderr)
    return EXIT_OK


def _write_json(data: object, out) -> None:
    json.dump(data, out, indent=2, allow_nan=False)
    out.write("\n")


def _run_follow(args: argparse.Namespace) -> int:
    from pruner.follow import FollowError, follow, lsn_text
    from pruner.planfile import PlanError
    from pruner.outputs import OutputError, Outputs
    from pruner.runtime.plugins import PluginLoadError, StalePlanError
    from pruner.spec import SpecError

    if args.sink is not None:
        from pruner.pg_sink import SinkError, parse_sink_url
        try:
            parse_sink_url(args.sink)
        except SinkError as error:
            print(f"pruner follow: {error}", file=sys.stderr)
            return EXIT_USAGE
    try:        # the sink file is appended to (it is also the recovery log): checked, not replaced
        if args.sink_out is not None:
            Outputs({"--sink-out": args.sink_out, "--sink-out's snapshot": args.sink_out + ".snapshot"},
                    inputs={"--plan": args.plan, **_job_inputs(args.spec)},
                    plugin_folders=_plugin_folders(args.spec))
        if args.sink_out is not None and os.path.exists(args.sink_out) and not os.path.isfile(args.sink_out):
            raise OutputError(f"--sink-out {args.sink_out} is not a regular file: the sink of `pruner follow` "
                              "is also where a restart reads back what was done")
    except OutputError as error:
        print(f"pruner follow: {error}", file=sys.stderr)
        return EXIT_USAGE
    dedup = _dedup_of(args, "pruner follow")
    if dedup is False:
        return EXIT_USAGE
    try:
        stats = follow(args.spec, args.plan, args.dsn or args.source, args.sink or args.sink_out, slot=args.slot,
                       mode=args.mode, on_stale=args.on_stale, idle_exit=args.idle_exit,
                       max_transactions=args.max_transactions, progress=None if args.quiet else sys.stderr,
                       snapshot_every=args.snapshot_every, dedup=dedup, group_max=args.group_max,
                       group_ms=args.group_ms, server_id=args.server_id, start_gtid=args.start_gtid)
    except (SpecError, PlanError, StalePlanError, PluginLoadError, FollowError) as error:
        stopped = getattr(error, "stats", None)
        if stopped is not None and not args.quiet:
            print(f"\n{stopped.transactions:,} transactions ({stopped.changes:,} changes) written to "
                  f"{args.sink or args.sink_out}; at GTID {stopped.position or '(start)'}", file=sys.stderr)
        print(f"pruner follow: {error}", file=sys.stderr)
        return EXIT_ERRORS
    if not args.quiet:
        engine = stats.engine
        run = sum(r for r, _ in engine.units.values())
        skipped = sum(s for _, s in engine.units.values())
        rate = stats.changes / stats.active_seconds if stats.active_seconds else 0.0
        print(f"\n{stats.transactions:,} transactions ({stats.changes:,} changes, {rate:,.0f}/s) written to "
              f"{args.sink or args.sink_out}; {stats.replayed_transactions:,} "
              f"{'run again to rebuild the state' if args.sink else 'read back'} at start"
              f"{f' (after a snapshot of {stats.snapshot_lines:,})' if stats.snapshot_lines else ''}"
              f"{f' (after the snapshot at {lsn_text(stats.snapshot_lsn)})' if stats.snapshot_lsn else ''}, "
              f"{stats.skipped_redelivered:,} sent again and skipped; at "
              f"{f'GTID {stats.position}' if stats.position else lsn_text(stats.end_lsn)}; "
              f"units run {run:,}, skipped {skipped:,}, {engine.dropped:,} changes dropped at the source; "
              f"{len(stats.dead_letters)} dead letters", file=sys.stderr)
        if stats.snapshot_warning:
            print(f"warning: {stats.snapshot_warning}", file=sys.stderr)
        if stats.switched:
            print(stats.switched, file=sys.stderr)
        for warning in stats.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if engine.dedup is not None:
            print(f"dedup: {engine.dedup.suppressed:,} of {engine.dedup.records:,} records not sent "
                  f"(nothing in them really changed), {engine.dedup.full_rows:,} sent as full rows",
                  file=sys.stderr)
        for letter in stats.dead_letters[:10]:
            print(f"  dead letter: {letter}", file=sys.stderr)
    return EXIT_OK


def _print_text(analysis: Analysis) -> None:
    for diagnostic in analysis.all_diagnostics():
        print(diagnostic.render())
    processors = analysis.processors
    if not processors:
        print("no Processors found")
        return
    if analysis.all_diagnostics():
        print()
    rows = [("PROCESSOR", "READS", "WRITES", "PRUNABLE")]
    for p in processors:
        reads = ", ".join(sorted(p.reads)) or "-"
        writes = ", ".join(sorted(p.writes)) or "-"
        if p.reads_all:
            reads = "ALL" + (f" (seen: {reads})" if p.reads else "")
        if p.writes_all:
            writes = "ALL" + (f" (seen: {writes})" if p.writes else "")
        prunable = "yes" if p.prunable else ("no (always_run)" if p.always_run else "no")
        rows.append((p.name, reads, writes, prunable))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
    counts = {s: 0 for s in Severity}
    for d in analysis.all_diagnostics():
        counts[d.severity] += 1
    print(f"\n{len(processors)} processors in {len(analysis.modules)} files: "
          f"{counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, "
          f"{counts[Severity.INFO]} notes")



def _run_flink(args: argparse.Namespace) -> int:
    from pruner.planfile import PlanError
    from pruner.runtime.plugins import PluginLoadError, StalePlanError
    from pruner.spec import SpecError

    if args.flink_command != "run":
        print("pruner flink: say what to do: pruner flink run --help", file=sys.stderr)
        return EXIT_USAGE
    dedup = _dedup_of(args, "pruner flink run")
    if dedup is False:
        return EXIT_USAGE
    for option, value in (("--parallelism", args.parallelism), ("--checkpoint-interval", args.checkpoint_interval),
                          ("--monitor", args.monitor if args.monitor is not None else 1)):
        if value < 1:
            print(f"pruner flink run: {option} must be at least 1", file=sys.stderr)
            return EXIT_USAGE
    if args.restarts < 0:
        print("pruner flink run: --restarts must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    if not os.path.exists(args.input):
        print(f"pruner flink run: --input {args.input} does not exist", file=sys.stderr)
        return EXIT_USAGE
    if args.monitor is not None and not os.path.isdir(args.input):
        print("pruner flink run: --monitor watches a directory: --input must be one", file=sys.stderr)
        return EXIT_USAGE
    if os.path.exists(args.sink_dir) and not os.path.isdir(args.sink_dir):
        print(f"pruner flink run: --sink-dir {args.sink_dir} is not a directory", file=sys.stderr)
        return EXIT_USAGE
    import importlib.util
    if importlib.util.find_spec("pyflink") is None:
        print("pruner flink run: needs apache-flink: pip install 'cdc-pruner[flink]'", file=sys.stderr)
        return EXIT_ERRORS
    if args.max_dead_letters < 0:
        print("pruner flink run: --max-dead-letters must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    from pruner import flink_run
    config = flink_run.RunConfig(args.spec, args.plan, args.input, args.fmt, args.sink_dir,
                                 parallelism=args.parallelism, checkpoint_ms=args.checkpoint_interval,
                                 restarts=args.restarts, savepoint=args.savepoint, monitor_ms=args.monitor,
                                 on_stale=args.on_stale, dedup=dedup)
    try:
        for warning in flink_run.check_start(config):
            print(f"pruner flink run: warning: {warning}", file=sys.stderr)
    except flink_run.RunRefused as error:
        print(f"pruner flink run: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        os.makedirs(args.sink_dir, exist_ok=True)
        summary = flink_run.run(config, progress=None if args.quiet else sys.stderr)
    except (SpecError, PlanError, StalePlanError, PluginLoadError, ValueError, OSError,
            flink_run.StartError) as error:
        print(f"pruner flink run: {error}", file=sys.stderr)
        return EXIT_ERRORS
    if not args.quiet:
        total = summary.units_run + summary.units_skipped
        print(f"{summary.status.lower()} in {summary.seconds:.1f}s: {summary.messages_read:,} messages read, "
              f"{summary.records:,} sink records and {summary.dead_letters:,} dead letters committed under "
              f"{args.sink_dir}\nunits run {summary.units_run:,}, skipped {summary.units_skipped:,} "
              f"({summary.units_skipped / max(1, total):.1%}), messages dropped {summary.messages_dropped:,}; "
              f"{summary.checkpoints} checkpoints (largest {summary.checkpoint_bytes:,} bytes)", file=sys.stderr)
        if summary.error:
            print(f"the job failed: {summary.error.splitlines()[0][:500]}", file=sys.stderr)
    point = summary.savepoint or summary.checkpoint     # printed with --quiet too: where the run stands
    if point:
        what = "savepoint" if summary.savepoint else "cancelled; the last retained checkpoint"
        print(f"{what}: {point}\nresume with: {_flink_resume_command(args, point)}", file=sys.stderr)
    if summary.status not in ("FINISHED", "STOPPED"):
        return EXIT_ERRORS
    if summary.dead_letters > args.max_dead_letters:
        if not args.quiet:
            hint = ""
            if summary.dead_letters >= summary.messages_read > 0 and not summary.records:
                from pruner.runtime.replay import format_hint
                from plugin_sdk.flink import read_dead_letters
                hint = " " + format_hint([d["raw"] for d in read_dead_letters(args.sink_dir)[:64]], args.fmt)
            print(f"pruner flink run: {summary.dead_letters:,} dead letters (under {args.sink_dir}/dead_letters), "
                  f"more than --max-dead-letters {args.max_dead_letters}: exit status {EXIT_DEAD_LETTERS}.{hint}",
                  file=sys.stderr)
        return EXIT_DEAD_LETTERS
    return EXIT_OK


def _flink_resume_command(args: argparse.Namespace, point: str) -> str:
    """The command that resumes this run from `point` (its options, --savepoint POINT)."""
    import shlex
    words = ["pruner", "flink", "run", args.spec, "--plan", args.plan, "--input", args.input, "--format", args.fmt,
             "--sink-dir", args.sink_dir, "--parallelism", str(args.parallelism),
             "--checkpoint-interval", str(args.checkpoint_interval)]
    if args.monitor is not None:
        words += ["--monitor", str(args.monitor)]
    if args.on_stale != "stop":
        words += ["--on-stale", args.on_stale]
    if args.dedup:
        words.append("--dedup")
        words += ["--dedup-ignore", args.dedup_ignore] if args.dedup_ignore else []
        words += ["--dedup-full-rows"] if args.dedup_full_rows else []
        words += ["--dedup-ttl", str(args.dedup_ttl)] if args.dedup_ttl is not None else []
    if args.max_dead_letters:
        words += ["--max-dead-letters", str(args.max_dead_letters)]
    return shlex.join(words + ["--savepoint", point])


def _dedup_of(args: argparse.Namespace, command: str):
    """The Dedup the --dedup options ask for (None: no dedup), or False after a usage error."""
    max_keys = getattr(args, "dedup_max_keys", None)
    mode = getattr(args, "mode", "pruned")
    if args.dedup and mode != "pruned":
        print(f"{command}: --dedup needs --mode pruned (the stateful mode), not {mode}", file=sys.stderr)
        return False
    if not args.dedup:
        if args.dedup_ignore or args.dedup_full_rows or max_keys is not None or args.dedup_ttl is not None:
            print(f"{command}: the --dedup-* options need --dedup", file=sys.stderr)
            return False
        return None
    from pruner.runtime.engine import Dedup
    try:
        return Dedup(ignore=frozenset(f for f in args.dedup_ignore.split(",") if f),
                     full_rows=args.dedup_full_rows, max_keys=max_keys, ttl=args.dedup_ttl)
    except ValueError as error:
        print(f"{command}: {error}", file=sys.stderr)
        return False


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
