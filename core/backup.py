"""Surviving power cuts: an integrity check at start-up, a nightly online backup, and restoring one.

The box loses power without warning. SQLite in WAL mode with ``synchronous=FULL`` for the writes
that matter survives that by design, but an SD card can still lose or tear pages. So:

- :func:`check` runs ``PRAGMA quick_check`` (every page and index entry readable and well-formed, in
  about the time it takes to read the file) when the web app and the sync service start; a damaged file
  is said plainly in the log and on the health page, and the kiosk stops saving (read-only) rather than
  write more into it.
- :func:`backup` copies the live database with SQLite's online backup API (a consistent copy while
  the kiosk keeps working), into a temporary file that is checked, fsync'd and only then renamed into
  place, so a cut in the middle leaves the previous backups as they were; the newest ``keep`` stay.
  The sync service makes one after its nightly run. Sealed values stay sealed: a backup is no use
  without the data key (keep the key elsewhere, docs/operations.md).
- :func:`restore` puts a backup back (the kiosk stopped): checked first, the damaged file kept aside.
"""
from __future__ import annotations

import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

PREFIX = "kiosk-"
SUFFIX = ".sqlite3"


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why in plain words."""


def check(path: str | Path) -> list[str]:
    """``PRAGMA quick_check`` of the file at ``path``: [] when sound, else what SQLite found (first 20)."""
    try:
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return [f"cannot open: {exc}"]
    try:
        found = [row[0] for row in conn.execute("PRAGMA quick_check(20)")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if found == ["ok"] else found


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backups(folder: str | Path) -> list[Path]:
    """The backups in ``folder``, oldest first."""
    folder = Path(folder)
    return sorted(folder.glob(f"{PREFIX}*{SUFFIX}")) if folder.exists() else []


def backup(source: str | Path, folder: str | Path, keep: int = 7, now: datetime | None = None) -> Path:
    """Copy the database at ``source`` into ``folder`` as ``kiosk-YYYYmmdd-HHMMSS.sqlite3``; return its path.

    Online (the kiosk may be writing meanwhile), checked, fsync'd, then renamed into place; the
    oldest beyond ``keep`` are deleted. The folder and files are the owner's alone (0700, 0600).
    """
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    final = folder / f"{PREFIX}{stamp}{SUFFIX}"
    partial = folder / f".{final.name}.partial"
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"file:{Path(source)}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=1024, sleep=0.005)  # in steps, so the kiosk's writers are not held up
        dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
        dst.commit()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup could not be made: {exc}") from exc
    finally:
        dst.close()
        src.close()
    problems = check(partial)
    if problems:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy did not pass its check ({problems[0]}): the database itself may be damaged")
    with open(partial, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(partial, final)
    _fsync_dir(folder)
    for old in backups(folder)[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return final


def restore(backup_file: str | Path, target: str | Path) -> Path | None:
    """Put ``backup_file`` in place of the database at ``target`` (the kiosk and sync service stopped).

    The backup is checked first; the current file (and its WAL and shared memory) is moved aside as
    ``<name>.before-restore-<time>`` rather than deleted, and that path is returned (None if there was
    no file). Raises :class:`BackupError` when the backup is not sound.
    """
    backup_file, target = Path(backup_file), Path(target)
    if not backup_file.is_file():
        raise BackupError(f"there is no backup at {backup_file}")
    problems = check(backup_file)
    if problems:
        raise BackupError(f"{backup_file} did not pass its check ({problems[0]}): choose an older backup")
    aside = None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if target.exists():
        aside = target.with_name(f"{target.name}.before-restore-{stamp}")
        os.replace(target, aside)
    for extra in ("-wal", "-shm"):
        side = target.with_name(target.name + extra)
        if side.exists():
            os.replace(side, target.with_name(f"{target.name}.before-restore-{stamp}{extra}"))
    partial = target.with_name(f".{target.name}.restoring")
    src, dst = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True), sqlite3.connect(partial)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
        dst.commit()
    finally:
        dst.close()
        src.close()
    os.chmod(partial, 0o600)
    with open(partial, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)
    _fsync_dir(target.parent)
    return aside
