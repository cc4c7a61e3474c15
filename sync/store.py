"""The write discipline shared by the web app and the sync worker (no Flask here).

Both processes write the same SQLite file. Each write is one short ``BEGIN IMMEDIATE`` transaction
(it takes the write lock at once instead of upgrading a read lock, which could deadlock), and every
connection waits for the other writer up to a busy timeout instead of failing at the first contention.
"""
from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils


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
