"""A throwaway MariaDB server for tests and benchmarks (about 2 s to start).

`mariadb-install-db` and `mariadbd` from Debian's mariadb-server, run as the `mysql` system
user (under root) in a temp folder it owns, on 127.0.0.1 and a free port, with its socket in
that folder. The binlog is written as `pruner follow` needs it (ROW, FULL row images and
metadata); ``start(row_image=..., metadata=...)`` starts a server that is set otherwise.
The user ``pruner`` (no password) has every privilege. ``restart()`` stops and starts the
same server on the same port (the binlog goes on in a new file).
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

MARIADBD = Path(os.environ.get("MARIADBD", "/usr/sbin/mariadbd"))
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"


class MariaDbServer:
    def __init__(self) -> None:
        self.user = "mysql" if os.geteuid() == 0 else None
        self.root: Path | None = None
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.options: list[str] = []

    @property
    def url(self) -> str:
        return f"mysql://pruner@127.0.0.1:{self.port}/shop"

    @property
    def socket(self) -> str:
        assert self.root is not None
        return str(self.root / "mysqld.sock")

    def _as_user(self) -> dict:
        """Popen arguments that run the server as `mysql` (itself, not under runuser: a SIGKILL
        must reach mariadbd), with its temp files in its own folder (TMPDIR may be a folder of
        the test process's that `mysql` cannot write: the Flink tests set one)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MYSQL", "MARIADB"))}
        env["TMPDIR"] = str(self.root)
        return {"env": env, **({"user": self.user, "group": self.user, "extra_groups": []} if self.user else {})}

    def start(self, row_image: str = "FULL", metadata: str = "FULL", binlog_format: str = "ROW") -> MariaDbServer:
        if not MARIADBD.exists() or not Path(INSTALL_DB).exists():
            raise RuntimeError(f"{MARIADBD} or mariadb-install-db is missing: `make test` installs "
                               "Debian's mariadb-server with apt")
        self.root = Path(tempfile.mkdtemp(prefix="pruner-mariadb-", dir="/tmp"))
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        done = subprocess.run([INSTALL_DB, "--no-defaults", f"--datadir={self.root / 'data'}",
                               "--auth-root-authentication-method=normal", "--skip-test-db",
                               f"--tmpdir={self.root}"],
                              capture_output=True, text=True, cwd=self.root, **self._as_user())
        if done.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed: {done.stdout}{done.stderr}")
        self.options = [f"--binlog-format={binlog_format}", f"--binlog-row-image={row_image}",
                        f"--binlog-row-metadata={metadata}"]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._launch()
        self.sql("CREATE USER 'pruner'@'%'", "GRANT ALL PRIVILEGES ON *.* TO 'pruner'@'%'",
                 "CREATE DATABASE shop")
        return self

    def _launch(self) -> None:
        assert self.root is not None
        log = self.root / "error.log"
        self.process = subprocess.Popen([
            str(MARIADBD), "--no-defaults", f"--datadir={self.root / 'data'}", f"--port={self.port}",
            "--bind-address=127.0.0.1", f"--socket={self.socket}", f"--tmpdir={self.root}", f"--pid-file={self.root / 'mysqld.pid'}",
            f"--log-bin={self.root / 'data' / 'binlog'}", "--server-id=1", f"--log-error={log}",
            "--innodb-buffer-pool-size=16M", "--skip-name-resolve", "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci", "--innodb-flush-log-at-trx-commit=2",
            *self.options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **self._as_user())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise RuntimeError(f"mariadbd exited ({self.process.returncode}): {tail}")
            try:
                self._connect().close()
                return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("mariadbd did not accept connections within 30 s")

    def _connect(self, database: str | None = None, user: str = "root"):
        import pymysql
        return pymysql.connect(unix_socket=self.socket, user=user, database=database, charset="utf8mb4",
                               autocommit=True)

    def connect(self, database: str = "shop"):
        """A connection as `pruner` over TCP, autocommit."""
        import pymysql
        return pymysql.connect(host="127.0.0.1", port=self.port, user="pruner", database=database,
                               charset="utf8mb4", autocommit=True)

    def sql(self, *statements: str, database: str | None = None) -> None:
        connection = self._connect(database)
        try:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            connection.close()

    def gtid(self) -> str:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT @@gtid_binlog_pos")
                return cursor.fetchone()[0]
        finally:
            connection.close()

    def kill(self) -> None:
        """Stop at once (SIGKILL): what was committed is in its binlog (flushed at each commit)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)

    def restart(self) -> None:
        self.stop_process()
        self._launch()

    def stop_process(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)

    def stop(self) -> None:
        try:
            self.stop_process()
        finally:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = None
