"""The one owner of the kiosk's SQLite database.

No other module opens a connection: views call :func:`get_db`, writes that must survive a power cut
go through :func:`write_transaction`. Both come from :mod:`sync.store`, which the sync worker (a
separate process, without Flask) uses too, so both writers share one discipline: WAL, short
``BEGIN IMMEDIATE`` transactions, and a busy timeout instead of "database is locked" at once.
"""
from __future__ import annotations

from pathlib import Path

import click
import sqlite_utils
from flask import Flask, current_app, g
from flask.cli import with_appcontext

from sync.store import connect, write_transaction  # noqa: F401  (one write discipline for app and worker)

from .migrations import migrations


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
