"""CDC decoding: Debezium, Canal, Maxwell, OGG and Flink changelog JSON lines into ``Change``s.

``decode(lines, fmt, stats)`` is the one entry point; ``model`` holds what it produces.
"""
from __future__ import annotations

from pruner.cdc.decode import FORMATS, decode
from pruner.cdc.message import BadMessage
from pruner.cdc.model import DELETE, INSERT, KINDS, ROW_KINDS, SNAPSHOT, UPDATE, Change, DeadLetter, DecodeStats

__all__ = ["FORMATS", "decode", "BadMessage", "Change", "DeadLetter", "DecodeStats",
           "INSERT", "UPDATE", "DELETE", "SNAPSHOT", "KINDS", "ROW_KINDS"]
