"""One Flink (JVM gateway + mini-cluster) for the Flink tests; its files under a test temp dir.

The gateway JVM inherits the environment when the first PyFlink environment is created, so
the temp and log locations are set here first: TMPDIR and java.io.tmpdir (Flink's and
Python's temp files), FLINK_LOG_DIR (else PyFlink logs inside site-packages) and
-XX:-UsePerfData (else the JVM writes /tmp/hsperfdata_*).
"""
from __future__ import annotations

import os
import sys
import tempfile

import pytest


@pytest.fixture(scope="session")
def flink_env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flink")
    (folder / "log").mkdir()
    saved = {k: os.environ.get(k) for k in ("TMPDIR", "FLINK_LOG_DIR", "JAVA_TOOL_OPTIONS")}
    os.environ["TMPDIR"] = str(folder)
    os.environ["FLINK_LOG_DIR"] = str(folder / "log")
    os.environ["JAVA_TOOL_OPTIONS"] = f"-Djava.io.tmpdir={folder} -XX:-UsePerfData"
    tempfile.tempdir = None
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.table import StreamTableEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    env.set_python_executable(sys.executable)
    yield env, StreamTableEnvironment.create(env)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    tempfile.tempdir = None


@pytest.fixture(autouse=True)
def _stop_leftover_flushers():
    """PyFlink's loopback workers start a 1-second output flusher thread per stream and leave it
    running when the job ends (about 30 per job here): after a test, the ones it left are
    stopped. Without this, the suite's later tests shared the process with ~1,400 such
    threads waking every second (95% system CPU on a 2-core machine, a 9-minute suite took 40)."""
    import threading

    before = set(threading.enumerate())
    yield
    try:
        from pyflink.fn_execution.utils.operation_utils import PeriodicThread
    except ImportError:
        return
    for thread in threading.enumerate():
        if isinstance(thread, PeriodicThread) and thread not in before:
            thread.cancel()
