"""A throwaway PostgreSQL 15 server for tests and benchmarks (about 1 s to start and stop).

initdb refuses to run as root, so under root the server runs as the `postgres` system user
(Debian's postgresql package creates it) through `runuser`, in a folder that user owns: a
pytest temp folder under /tmp/pytest-of-root is not reachable by it. The server listens on
127.0.0.1 on a free port, with no Unix socket, wal_level=logical and fsync off; initdb's
--auth=trust also trusts replication connections from 127.0.0.1.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
WAL2JSON = Path("/usr/lib/postgresql/15/lib/wal2json.so")


class PgServer:
    def __init__(self) -> None:
        self.user = "postgres" if os.geteuid() == 0 else None
        self.root: Path | None = None
        self.port = 0

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = ["runuser", "-u", self.user, "--", *args] if self.user else list(args)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C.UTF-8", LANG="C.UTF-8")
        done = subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            log = self.root / "postgres.log" if self.root else None
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stdout}{done.stderr}{tail}")

    def start(self) -> PgServer:
        for tool in ("initdb", "pg_ctl"):
            if not (PG_BIN / tool).exists():
                raise RuntimeError(f"{PG_BIN / tool} is missing: install Debian's postgresql-15")
        if not WAL2JSON.exists():
            raise RuntimeError(f"{WAL2JSON} is missing: `make` installs postgresql-15-wal2json with apt")
        self.root = Path(tempfile.mkdtemp(prefix="pruner-pg-", dir="/tmp"))
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        data = self.root / "data"
        self._run(str(PG_BIN / "initdb"), "-D", str(data), "--no-sync", "--auth=trust", "-U", "postgres",
                  "--encoding=UTF8", "--locale=C.UTF-8")
        for attempt in range(3):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
            options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
                       "-c wal_level=logical -c fsync=off -c full_page_writes=off "
                       "-c max_replication_slots=64 -c max_wal_senders=16")
            try:
                self._run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(self.root / "postgres.log"),
                          "-w", "-t", "30", "-o", options, "start")
                return self
            except RuntimeError:
                if attempt == 2:
                    self.stop()
                    raise
        return self

    def stop(self) -> None:
        if self.root is None:
            return
        try:
            if (self.root / "data/postmaster.pid").exists():
                self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def restart(self) -> None:
        """Stop (fast: sessions are cut) and start again with the same options and port."""
        assert self.root is not None
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-l", str(self.root / "postgres.log"),
                  "-m", "fast", "-w", "-t", "60", "restart")

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
