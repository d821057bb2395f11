"""The `pruner` command line."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

from pruner import __version__
from pruner.diagnostics import BY_CODE, Severity
from pruner.transform import Analysis, SourceError, transform

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except BrokenPipeError:
        # `pruner analyze ... | head`: the reader left; that is not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


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
    return parser


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
