"""`python -m benchmarks`: the benchmark report (see benchmarks/report.py)."""
import sys

from benchmarks.report import main

sys.exit(main())
