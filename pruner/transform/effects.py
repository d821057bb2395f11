"""Calls that make a Processor nondeterministic or effectful, by qualified name.

Matching uses LibCST's qualified names, so ``import time as t; t.time()`` and
``from datetime import datetime; datetime.now()`` are both found. Calls on objects whose
origin the analyzer cannot see (``logger.info`` on a module-level logger) are not.
"""
from __future__ import annotations

from typing import Final

NONDETERMINISTIC_EXACT: Final = frozenset({
    "time.time", "time.time_ns", "time.monotonic", "time.monotonic_ns",
    "time.perf_counter", "time.perf_counter_ns", "time.process_time",
    "time.process_time_ns", "time.localtime", "time.gmtime", "time.ctime",
    "time.asctime", "time.strftime",
    "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
    "datetime.date.today",
    "uuid.uuid1", "uuid.uuid4",
    "os.urandom", "os.getpid",
})
NONDETERMINISTIC_PREFIXES: Final = ("random.", "secrets.", "numpy.random.")

IO_EXACT: Final = frozenset({
    "builtins.open", "builtins.print", "builtins.input", "builtins.breakpoint",
    "io.open", "os.system", "os.popen", "os.remove", "os.unlink", "os.rename",
    "os.replace", "os.makedirs", "os.mkdir", "os.rmdir", "os.write", "os.read",
    "os.open", "os.listdir", "os.scandir", "os.walk", "os.kill",
})
IO_PREFIXES: Final = (
    "subprocess.", "socket.", "urllib.", "http.", "requests.", "httpx.", "aiohttp.",
    "sqlite3.", "shutil.", "logging.", "smtplib.", "ftplib.", "tempfile.",
    "psycopg2.", "psycopg.", "pymysql.", "redis.", "boto3.", "asyncio.",
    "threading.", "multiprocessing.", "pickle.", "shelve.",
)

DYNAMIC_CODE: Final = frozenset({
    "builtins.eval", "builtins.exec", "builtins.compile", "builtins.globals",
    "builtins.locals", "builtins.vars", "builtins.__import__", "importlib.import_module",
})

# Methods that change the container they are called on.
MUTATING_METHODS: Final = frozenset({
    "append", "extend", "insert", "remove", "pop", "popitem", "clear", "update",
    "setdefault", "add", "discard", "sort", "reverse", "appendleft", "extendleft",
    "popleft", "rotate", "__setitem__", "__delitem__", "__iadd__", "intersection_update",
    "difference_update", "symmetric_difference_update", "move_to_end",
})


def classify(qualified_name: str) -> str | None:
    """'nondeterministic-call', 'io-call', 'dynamic-code' or None."""
    if qualified_name in DYNAMIC_CODE:
        return "dynamic-code"
    if qualified_name in NONDETERMINISTIC_EXACT or qualified_name.startswith(NONDETERMINISTIC_PREFIXES):
        return "nondeterministic-call"
    if qualified_name in IO_EXACT or qualified_name.startswith(IO_PREFIXES):
        return "io-call"
    return None
