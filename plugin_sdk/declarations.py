"""Escape hatches: what a plugin author declares when the analyzer cannot see through code.

The decorators only attach metadata; the analyzer finds them in the source text (it never
imports plugin code), so they must be applied literally, with constant string arguments::

    @reads("price", "currency")
    @writes("price_usd")
    class ToUsd(Processor):
        def process(self, row, out):
            out.update(convert(row))       # opaque to the analyzer, covered by the declaration

Declarations are checked against what the code visibly does: a visible read of a field
outside ``@reads(...)`` (or a visible write outside ``@writes(...)``) is an error.
"""
from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")

READS_ATTR = "__pruner_reads__"
WRITES_ATTR = "__pruner_writes__"
ALWAYS_RUN_ATTR = "__pruner_always_run__"
PURE_ATTR = "__pruner_pure__"


def _check_fields(decorator: str, fields: tuple[str, ...]) -> tuple[str, ...]:
    if not fields:
        raise TypeError(f"@{decorator}() needs at least one field name, e.g. @{decorator}(\"price\")")
    for field in fields:
        if not isinstance(field, str) or not field:
            raise TypeError(f"@{decorator}(...) takes non-empty field names as strings, got {field!r}")
    return fields


def reads(*fields: str) -> Callable[[T], T]:
    """Declare every row field the Processor reads (replaces the analyzer's guess)."""
    checked = _check_fields("reads", fields)

    def apply(cls: T) -> T:
        setattr(cls, READS_ATTR, frozenset(checked))
        return cls

    return apply


def writes(*fields: str) -> Callable[[T], T]:
    """Declare every output field the Processor writes (replaces the analyzer's guess)."""
    checked = _check_fields("writes", fields)

    def apply(cls: T) -> T:
        setattr(cls, WRITES_ATTR, frozenset(checked))
        return cls

    return apply


def always_run(cls: T) -> T:
    """Mark a Processor with side effects that must run on every message (never skipped)."""
    setattr(cls, ALWAYS_RUN_ATTR, True)
    return cls


def pure(cls: T) -> T:
    """Vouch that the Processor's output depends only on the fields it reads.

    Use it when the analyzer flags a call as nondeterministic or effectful (a clock, a
    cache on ``self``, logging) and skipping the Processor when its inputs did not change
    is nevertheless correct for your job.
    """
    setattr(cls, PURE_ATTR, True)
    return cls
