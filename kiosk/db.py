"""The one owner of the kiosk's SQLite database.

No other module opens a connection: views call :func:`get_db`, writes that must survive a power cut
go through :func:`write_transaction`. The sync worker (a separate process) uses :func:`connect`
directly with the same pragmas, so both writers share one discipline: WAL, short ``BEGIN IMMEDIATE``
transactions, and a busy timeout instead of "database is locked" at the first contention.
"""
from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import click
import sqlite_utils
from flask import Flask, current_app, g
from flask.cli import with_appcontext

from .migrations import migrations


def connect(path: str | Path, busy_timeout: float = 5.0, max_pages: int = 0, read_only: bool = False) -> sqlite_utils.Database:
    """Open the database file with the kiosk's pragmas.

    ``synchronous=NORMAL`` is the WAL default for ordinary writes (drafts); saving a request
    switches to FULL for its own transaction, see :func:`write_transaction`.

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


def database_path(app: Flask) -> Path:
    """Resolve ``DATABASE`` against the instance folder."""
    path = Path(app.config["DATABASE"])
    return path if path.is_absolute() else Path(app.instance_path) / path


def get_db() -> sqlite_utils.Database:
    """The request's database connection, opened on first use and closed at teardown."""
    if "db" not in g:
        app = current_app._get_current_object()
        g.db = connect(database_path(app), app.config["DB_BUSY_TIMEOUT"], app.config["DB_MAX_PAGES"],
                       app.config["DB_READ_ONLY"])
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database, durable: bool = False) -> Iterator[sqlite_utils.Database]:
    """One short write transaction, taken with ``BEGIN IMMEDIATE`` so it never upgrades a read lock.

    :param durable: fsync the commit (``synchronous=FULL``): used for the write that saves a
      resident's request, which must never be reported saved and then lost.
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


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    db = get_db()
    applied = migrate(db)
    names = [m.name for m in migrations.applied(db)]
    click.echo(f"Database {database_path(current_app)}: schema at {names[-1]} ({len(names)} migrations"
               + (f", just applied {', '.join(applied)})" if applied else ", all applied)"))


def init_app(app: Flask) -> None:
    """Make sure the schema is current, close connections at teardown, register the CLI."""
    path = database_path(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = connect(path, app.config["DB_BUSY_TIMEOUT"])
    try:
        migrate(db)
    finally:
        db.close()
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
