"""Opening the kiosk's SQLite file, the write discipline, and bringing the schema up to date.

Two processes write the same file: the web app and the sync worker. Both open it here, so both
share one discipline: WAL; each write one short ``BEGIN IMMEDIATE`` transaction (it takes the write
lock at once instead of upgrading a read lock, which could deadlock); a busy timeout instead of
failing at the first contention; ``synchronous=FULL`` for the writes that must survive a power cut.
"""
from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from .migrations import migrations


def connect(path: str | Path, busy_timeout: float = 5.0, max_pages: int = 0, read_only: bool = False) -> sqlite_utils.Database:
    """Open the database file with the kiosk's pragmas.

    ``synchronous=NORMAL`` is the WAL default for ordinary writes; writes that must survive a power
    cut ask for FULL, see :func:`write_transaction`. WAL itself is a lasting property of the file,
    set once when the schema is migrated.

    :param max_pages: cap on the file's size in pages (0: none); a write past it fails cleanly.
    :param read_only: maintenance mode: pages can be read, every write fails and says so.
    """
    conn = sqlite3.connect(str(path), timeout=busy_timeout, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    if max_pages:
        db.execute(f"PRAGMA max_page_count={int(max_pages)}")
    if read_only:
        db.execute("PRAGMA query_only=ON")
    return db


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database, durable: bool = False) -> Iterator[sqlite_utils.Database]:
    """One short write transaction, taken with ``BEGIN IMMEDIATE``.

    :param durable: fsync the commit (``synchronous=FULL``): for writes that must never be reported
      done and then lost — saving a resident's request, marking a request in flight before sending.
    """
    conn = db.conn
    if durable:
        conn.execute("PRAGMA synchronous=FULL")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        conn.commit()
    finally:
        if durable:
            conn.execute("PRAGMA synchronous=NORMAL")


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Switch the file to WAL (a lasting property of the file) and apply pending schema migrations.

    Returns the names of the migrations applied.
    """
    db.execute("PRAGMA journal_mode=WAL")
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


def schema_version(db: sqlite_utils.Database) -> list[str]:
    """The names of the migrations this file has had, oldest first."""
    return [m.name for m in migrations.applied(db)]
