"""The web app's handle on the database: a connection per serving thread, the ``init-db`` command.

The database itself — how it is opened, the write discipline, the schema — belongs to :mod:`core.db`,
which the sync service uses too; this module only ties it to Flask's application and request life.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import click
import sqlite_utils
from flask import Flask, current_app, g, has_request_context, request
from flask.cli import with_appcontext

from core import crypto
from core.db import connect, migrate, schema_version

from core import instance
from core.instance import LiveKeyring, backup_folder, database_path, prepare_database

__all__ = ["backup_folder", "close_db", "database_path", "get_db", "init_app", "keyring"]


def keyring(app: Flask) -> crypto.Keyring:
    """The box's data keys (:func:`core.instance.keyring`), looked at once per request: opening one
    draft asks for the keys three times, and each look was three file checks (a tenth of a question
    page's time in the draft's loading)."""
    in_request = has_request_context()
    if in_request:
        seen = request.environ.get("kiosk.keyring")
        if seen is not None and seen[0] is app:
            return seen[1]
    found = instance.keyring(app)
    if in_request:
        request.environ["kiosk.keyring"] = (app, found)
    return found


class _ThreadConnections(threading.local):
    """Each serving thread's own open connection, kept between requests.

    Opening the file and setting its pragmas was a tenth of a page's time. A connection is used by
    one thread at a time, so nothing is shared; it is opened again when the settings change or the
    file at the path is another one (a restore moves the old file aside).
    """

    held: tuple | None = None


def _file_identity(path: Path | str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


def _resolved_database(app: Flask) -> Path:
    """:func:`database_path`, worked out again only when ``DATABASE`` or the instance folder changes."""
    where = (app.config["DATABASE"], app.instance_path)
    known = app.extensions.get("kiosk_db_path")
    if known is None or known[0] != where:
        known = app.extensions["kiosk_db_path"] = (where, database_path(app))
    return known[1]


def get_db() -> sqlite_utils.Database:
    """The request's database connection: this thread's own, handed back at teardown."""
    if "db" not in g:
        app = current_app._get_current_object()
        path = _resolved_database(app)
        settings = (str(path), app.config["DB_BUSY_TIMEOUT"], app.config["DB_MAX_PAGES"], app.config["DB_READ_ONLY"])
        pool = app.extensions["kiosk_db_connections"]
        held = pool.held
        if held is not None and held[:2] == (settings, _file_identity(path)):
            g.db = held[2]
        else:
            if held is not None:
                held[2].close()
            pool.held = None
            g.db = connect(path, *settings[1:], keyring=LiveKeyring(app, keyring))
            pool.held = (settings, _file_identity(path), g.db)
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    """End the request's use of its connection: left clean for the thread's next request, or closed
    (after an error, which may have left it in a state nobody should inherit)."""
    db = g.pop("db", None)
    if db is None:
        return
    pool = current_app.extensions["kiosk_db_connections"]
    if exc is None and pool.held is not None and pool.held[2] is db:
        if db.conn.in_transaction:
            db.conn.rollback()
        return
    if pool.held is not None and pool.held[2] is db:
        pool.held = None
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
    """Check the file, bring the schema up to date and seal everything personal with the current key
    (:func:`core.instance.prepare_database`); close connections at teardown; register the CLI."""
    app.extensions["kiosk_db_connections"] = _ThreadConnections()
    prepare_database(app)
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
