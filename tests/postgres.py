"""Debian's PostgreSQL, started for the tests and the bench: a cluster of its own in a temporary
folder, a Unix socket in that folder and no TCP at all (``listen_addresses=''``), stopped at the end.

It never touches the ``main`` cluster that installing Debian's ``postgresql`` may have made: the
server binaries are run directly (``/usr/lib/postgresql/<version>/bin``), as the ``postgres`` system
user because PostgreSQL refuses to run as root and the tests run as root. Every wait is bounded.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

SYSTEM_USER = "postgres"


def bin_dir() -> Path | None:
    """The newest installed server's ``bin`` folder (``/usr/lib/postgresql/15/bin`` on Debian 12), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    return Path(found[-1]).parent if found else None


class LocalPostgres:
    """One throw-away cluster: :meth:`start`, :meth:`create_schema` (a fresh one per test), :meth:`stop`."""

    def __init__(self, settings: dict[str, str] | None = None):
        self.bin = bin_dir()
        if self.bin is None:
            raise RuntimeError("Debian's postgresql is not installed: `make test` installs it"
                               " (deploy/install-system-packages.sh --test)")
        # Not under pytest's own temporary folders: those are root's alone (0700), and the server runs as postgres.
        self.root = Path(tempfile.mkdtemp(prefix="county-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log = self.root / "server.log"
        self.settings = {"listen_addresses": "''", "unix_socket_directories": f"'{self.socket_dir}'",
                         "fsync": "on", "max_connections": "200", "shared_buffers": "64MB", **(settings or {})}
        self._made = 0

    def _as_postgres(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run a server program as ``postgres`` (as ourselves when we are not root: PostgreSQL refuses root)."""
        prefix = ["runuser", "-u", SYSTEM_USER, "--"] if os.geteuid() == 0 else []
        try:
            return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, timeout=timeout)
        except subprocess.CalledProcessError as exc:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{Path(command[0]).name} failed: {exc.stderr or exc.stdout}{log}") from None

    def start(self) -> "LocalPostgres":
        self.socket_dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, SYSTEM_USER)
            shutil.chown(self.socket_dir, SYSTEM_USER)
        os.chmod(self.root, 0o700)
        # trust: only a Unix socket in a folder no one else may enter, and no TCP at all.
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "--auth=trust", "--username=postgres",
                          "--encoding=UTF8", "--locale=C", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in self.settings.items())
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start",
                          timeout=90)
        return self

    def url(self, database: str = "postgres", schema: str | None = None) -> str:
        """The libpq URL of a database here (``COUNTY_DATABASE_URL``), in one schema of it if given."""
        url = f"postgresql:///{database}?host={self.socket_dir}&user=postgres"
        return url + (f"&options=-csearch_path%3D{schema}" if schema else "")

    def _new_name(self, prefix: str) -> str:
        self._made += 1
        return f"{prefix}_{os.getpid()}_{self._made}"

    def create_database(self, prefix: str = "county") -> str:
        """A new, empty database; its URL (the bench: one a run)."""
        import psycopg

        name = self._new_name(prefix)
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def create_schema(self, prefix: str = "county") -> str:
        """A new, empty schema in the ``postgres`` database; a URL whose connections see only it.

        One per test: a few milliseconds, where a database costs 0.15 s to make, 1.3 s to drop
        (a checkpoint) and 7.5 MB to keep.
        """
        import psycopg

        name = self._new_name(prefix)
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return self.url(schema=name)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop",
                                  timeout=60)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "LocalPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
