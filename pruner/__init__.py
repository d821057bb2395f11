"""cdc-pruner: field-lineage CDC pruning compiler and runtime."""
from __future__ import annotations

__version__ = "0.1.0"
