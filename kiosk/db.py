"""The web app's handle on the database: one connection per request, the ``init-db`` command.

The database itself — how it is opened, the write discipline, the schema — belongs to :mod:`core.db`,
which the sync worker uses too; this module only ties it to Flask's application and request life.
"""
from __future__ import annotations

from pathlib import Path

import click
import sqlite_utils
from flask import Flask, current_app, g
from flask.cli import with_appcontext

from core.db import connect, migrate, schema_version


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


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    db = get_db()
    applied = migrate(db)
    names = schema_version(db)
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
