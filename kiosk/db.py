"""The web app's handle on the database: a connection per serving thread, the ``init-db`` command.

The database itself — how it is opened, the write discipline, the schema — belongs to :mod:`core.db`,
which the sync worker uses too; this module only ties it to Flask's application and request life.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import click
import sqlite_utils
from flask import Flask, current_app, g, has_request_context, request
from flask.cli import with_appcontext

from core import backup, crypto, sealing
from core.db import connect, migrate, schema_version


def database_path(app: Flask) -> Path:
    """Resolve ``DATABASE`` against the instance folder."""
    path = Path(app.config["DATABASE"])
    return path if path.is_absolute() else Path(app.instance_path) / path


def backup_folder(app: Flask) -> Path:
    """``BACKUP_DIR``, resolved against the instance folder."""
    path = Path(app.config["BACKUP_DIR"])
    return path if path.is_absolute() else Path(app.instance_path) / path


KEY_FILES = (crypto.KEY_FILE, crypto.NEW_KEY_FILE, crypto.OLD_KEY_FILE)


def _modified(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except (FileNotFoundError, NotADirectoryError):
        return 0


def keyring(app: Flask) -> crypto.Keyring:
    """The box's data keys, read again whenever a key file changes (``flask data rotate-key`` runs in
    another process while the kiosk and the sync worker keep going).

    Looked at once per request: opening one draft asks for the keys three times, and each look
    was three file checks (a tenth of a question page's time in the draft's loading)."""
    in_request = has_request_context()
    if in_request:
        seen = request.environ.get("kiosk.keyring")
        if seen is not None and seen[0] is app:
            return seen[1]
    stamp = tuple(_modified(os.path.join(app.instance_path, name)) for name in KEY_FILES)
    known = app.extensions.get("kiosk_keyring")
    if known is None or known[0] != stamp:
        known = (stamp, crypto.load_keyring(Path(app.instance_path), log=app.logger.warning))
        app.extensions["kiosk_keyring"] = known
    if in_request:
        request.environ["kiosk.keyring"] = (app, known[1])
    return known[1]


class LiveKeyring:
    """The app's keyring, looked up at each use: a connection that lives long (the sync worker's)
    seals and opens with the keys as they are now, not as they were when it connected."""

    def __init__(self, app: Flask):
        self.app = app

    def __getattr__(self, name: str):
        return getattr(keyring(self.app), name)


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
            g.db = connect(path, *settings[1:], keyring=LiveKeyring(app))
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
    """Make sure the schema is current and everything personal sealed with the current key; close
    connections at teardown; register the CLI. The folder and the files are the owner's alone."""
    app.extensions["kiosk_db_connections"] = _ThreadConnections()
    path = database_path(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    for private in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if private.exists():
            private.chmod(0o600)
    problems = backup.check(path) if path.exists() else []
    app.config["DB_INTEGRITY"] = problems
    if problems:  # a power cut tore the file: say so plainly, and write nothing more into it
        app.logger.critical(
            "THE DATABASE %s IS DAMAGED (PRAGMA quick_check: %s). The kiosk keeps running read-only: residents can "
            "look tickets up but nothing new is saved. Restore last night's backup (see docs/operations.md): stop the "
            "kiosk, then `flask --app kiosk data restore` with the newest file in %s.", path, "; ".join(problems[:3]),
            backup_folder(app))
        app.config["DB_READ_ONLY"] = True
        app.teardown_appcontext(close_db)
        app.cli.add_command(init_db_command)
        return
    db = connect(path, app.config["DB_BUSY_TIMEOUT"], keyring=keyring(app))
    try:
        migrate(db)
        if not app.config["DB_READ_ONLY"]:
            resealed = sealing.reseal_all(db)
            if resealed:
                app.logger.warning("sealed %d rows of personal data with the current data key", resealed)
            if sealing.finish_rotation(app.instance_path):  # a rotation cut short: everything is re-sealed now
                db.keyring = keyring(app)
                sealing.reseal_all(db)
            sealing.drop_old_key(app.instance_path)
    finally:
        db.close()
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
