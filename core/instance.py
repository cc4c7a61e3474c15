"""The kiosk's instance — its folder, settings, database and data keys — and the checks made at every
start, without Flask.

Two long-running processes open the same instance: the web app (:mod:`kiosk.db` ties it to Flask's
requests) and the sync service (:mod:`sync.process`), which has no pages. The worker used to be a
small Flask app for these few functions, and Flask with Werkzeug and Jinja was about 7 MB of the
worker's memory all day on a 1 GB box (bench/idle_memory.py). The functions here take anything with
``config`` (a mapping), ``instance_path``, ``extensions`` (a dict) and ``logger``: a Flask app is one,
:class:`Instance` is the sync service's.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Protocol

from core import backup, crypto, sealing
from core.actions import system
from core.db import connect, migrate

from .config import load as load_settings

#: The project's folder (as :data:`kiosk.ROOT`; not imported from there, which names the web app's modules).
ROOT = Path(__file__).resolve().parent.parent


class HasInstance(Protocol):
    config: Any
    instance_path: str
    extensions: dict
    logger: logging.Logger


class Instance:
    """The instance folder and its settings, as :func:`kiosk.create_app` reads them, for a process
    that serves no pages. The folder is made if missing and kept the owner's alone."""

    def __init__(self, test_config: dict | None = None):
        self.instance_path = os.environ.get("KIOSK_INSTANCE_PATH") or str(ROOT / "instance")
        os.makedirs(self.instance_path, exist_ok=True)
        os.chmod(self.instance_path, 0o700)  # the database and the keys live here
        self.config = load_settings(self.instance_path)
        if test_config:
            self.config.update(test_config)
        self.extensions: dict = {}
        self.logger = logging.getLogger("kiosk")  # the web app's logger has the same name


def database_path(app: HasInstance) -> Path:
    """Resolve ``DATABASE`` against the instance folder."""
    path = Path(app.config["DATABASE"])
    return path if path.is_absolute() else Path(app.instance_path) / path


def backup_folder(app: HasInstance) -> Path:
    """``BACKUP_DIR``, resolved against the instance folder."""
    path = Path(app.config["BACKUP_DIR"])
    return path if path.is_absolute() else Path(app.instance_path) / path


KEY_FILES = (crypto.KEY_FILE, crypto.NEW_KEY_FILE, crypto.OLD_KEY_FILE)


def _modified(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except (FileNotFoundError, NotADirectoryError):
        return 0


def keyring(app: HasInstance) -> crypto.Keyring:
    """The box's data keys, read again whenever a key file changes (``flask data rotate-key`` runs in
    another process while the kiosk and the sync service keep going)."""
    stamp = tuple(_modified(os.path.join(app.instance_path, name)) for name in KEY_FILES)
    known = app.extensions.get("kiosk_keyring")
    if known is None or known[0] != stamp:
        known = (stamp, crypto.load_keyring(Path(app.instance_path), log=app.logger.warning))
        app.extensions["kiosk_keyring"] = known
    return known[1]


class LiveKeyring:
    """The keyring, looked up at each use: a connection that lives long (the sync service's) seals and
    opens with the keys as they are now, not as they were when it connected."""

    def __init__(self, app: HasInstance, lookup=keyring):
        self.app = app
        self.lookup = lookup

    def __getattr__(self, name: str):
        return getattr(self.lookup(self.app), name)


def prepare_database(app: HasInstance) -> None:
    """What every start does before anything reads the database: check the file (a power cut may have
    torn it; then nothing more is written into it), bring the schema up to date, seal everything
    personal with the current key, finish a key rotation cut short. Sets ``DB_INTEGRITY`` (the
    problems found) and, for a damaged file, ``DB_READ_ONLY``."""
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
        return
    db = connect(path, app.config["DB_BUSY_TIMEOUT"], keyring=keyring(app))
    try:
        migrate(db)
        if not app.config["DB_READ_ONLY"]:
            resealed = system.seal_with_current_key(db)
            if resealed:
                app.logger.warning("sealed %d rows of personal data with the current data key", resealed)
            if sealing.finish_rotation(app.instance_path):  # a rotation cut short: everything is re-sealed now
                db.keyring = keyring(app)
                system.seal_with_current_key(db)
            sealing.drop_old_key(app.instance_path)
    finally:
        db.close()


def open_database(app: HasInstance):
    """A connection with the instance's settings, sealing with the keys as they are at each use."""
    return connect(database_path(app), app.config["DB_BUSY_TIMEOUT"], app.config["DB_MAX_PAGES"],
                   app.config["DB_READ_ONLY"], keyring=LiveKeyring(app))
