"""Keeping every sealed value under the current data key: at start-up and when the key is rotated.

Each table's owner re-seals its own columns (:func:`core.personal.reseal`, :func:`core.drafts.reseal`,
:func:`core.submissions.reseal`); this module runs them together, in one transaction, and moves the
key files. A rotation is crash-safe: the new key is written (fsync'd) as ``data.key.new`` *before*
anything is re-sealed, the keyring knows both keys while it runs, and only after the commit does the
new key replace the old. A rotation cut short is finished at the next start.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlite_utils import Database

from . import county_notes, feedback, crypto, drafts, media, personal, submissions
from .db import require_transaction


def reseal_all(db: Database) -> int:
    """Seal with the current key everything that is plain (from before sealing) or under an older key.

    In the caller's (durable) transaction; the caller then checkpoints and truncates the WAL, so the
    old bytes (overwritten in place: the connection has ``secure_delete`` on) leave the main file and
    the WAL too, not only the live rows (:func:`core.actions.system.seal_with_current_key`).
    """
    require_transaction(db)
    return (personal.reseal(db) + drafts.reseal(db) + submissions.reseal(db) + feedback.reseal(db) + county_notes.reseal(db)
            + media.reseal(db))


def finish_rotation(folder: str | Path) -> bool:
    """After :func:`reseal_all` committed under a pending new key: make it the key, keeping the old one
    as ``data.key.old`` (a sync service that had not yet noticed the rotation may still seal with it;
    the next start re-seals that and drops the old key). True if a rotation was finished."""
    folder = Path(folder)
    pending = folder / crypto.NEW_KEY_FILE
    if not pending.exists():
        return False
    if (folder / crypto.KEY_FILE).exists():
        os.replace(folder / crypto.KEY_FILE, folder / crypto.OLD_KEY_FILE)
    os.replace(pending, folder / crypto.KEY_FILE)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True


def drop_old_key(folder: str | Path) -> bool:
    """Delete the key from before the last rotation, once :func:`reseal_all` has left nothing under it."""
    old = Path(folder) / crypto.OLD_KEY_FILE
    if old.exists():
        old.unlink()
        return True
    return False


def begin_rotation(db: Database, folder: str | Path) -> None:
    """Make a new data key (kept as pending until :func:`finish_rotation`) and have ``db`` seal with
    it from now on; then everything is re-sealed (:func:`core.actions.admin.rotate_data_key`).

    Works on the instance folder's key file; a key given in the environment or as a systemd
    credential is rotated by whoever provides it (then start the kiosk once with old and new).
    """
    folder = Path(folder)
    current = folder / crypto.KEY_FILE
    if not current.exists():
        raise FileNotFoundError(f"{current}: the data key does not come from the instance folder")
    pending = folder / crypto.NEW_KEY_FILE
    if not pending.exists():
        crypto.write_key_file(pending, crypto.new_key())
    keys = [crypto.read_key(pending.read_text()), crypto.read_key(current.read_text())]
    if (folder / crypto.OLD_KEY_FILE).exists():
        keys.append(crypto.read_key((folder / crypto.OLD_KEY_FILE).read_text()))
    db.keyring = crypto.Keyring(keys, source=str(pending))
