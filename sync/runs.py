"""The record of sync runs (owns ``sync_runs``): one row per run, what it did and what went wrong.

The engine opens a row when a run starts and fills it in when it ends, so a run cut short by a
crash or a power cut shows as started and never finished. :mod:`sync.health` reads the latest facts.
"""
from __future__ import annotations

from sqlite_utils import Database

from core.db import write_transaction

CLOCK_SKEW_LIMIT = 120.0  # seconds between the county's clock and ours beyond which a run is flagged


def start(db: Database, trigger: str, at: str) -> int:
    """Record that a run began (in its own transaction); return its id."""
    with write_transaction(db):
        return db.execute("INSERT INTO sync_runs (trigger, started_at) VALUES (?, ?)", [trigger, at]).lastrowid


def finish(db: Database, run_id: int, at: str, *, sent: int, accepted: int, quarantined: int, retrying: int,
           status_updates: int, county_date: str | None, clock_offset_seconds: float | None, key_refused: bool,
           error: str | None) -> None:
    """Record what a run did (in its own transaction)."""
    with write_transaction(db):
        db.execute(
            "UPDATE sync_runs SET finished_at = ?, sent = ?, accepted = ?, quarantined = ?, retrying = ?,"
            " status_updates = ?, county_date = ?, clock_offset_seconds = ?, key_refused = ?, error = ? WHERE id = ?",
            [at, sent, accepted, quarantined, retrying, status_updates, county_date, clock_offset_seconds,
             int(key_refused), error, run_id],
        )


def last_success(db: Database) -> str | None:
    """When the last run that met no problem finished."""
    return db.execute("SELECT MAX(finished_at) FROM sync_runs WHERE error IS NULL AND finished_at IS NOT NULL").fetchone()[0]


# Each "last …" below is one seek: the newest id among the rows an index of m011 holds, then that row.
def _latest(db: Database, columns: str, where: str = "") -> tuple | None:
    return db.execute(f"SELECT {columns} FROM sync_runs WHERE id = (SELECT MAX(id) FROM sync_runs"
                      + (f" WHERE {where})" if where else ")")).fetchone()


def last_attempt(db: Database) -> dict | None:
    """The latest run, finished or not: ``{trigger, started_at, finished_at, error, key_refused}``."""
    row = _latest(db, "trigger, started_at, finished_at, error, key_refused")
    if row is None:
        return None
    return {"trigger": row[0], "started_at": row[1], "finished_at": row[2], "error": row[3], "key_refused": bool(row[4])}


def last_error(db: Database) -> dict | None:
    """``{at, error}`` of the last run that met a problem."""
    row = _latest(db, "finished_at, error", "error IS NOT NULL")
    return {"at": row[0], "error": row[1]} if row else None


def key_refused(db: Database) -> bool:
    """Whether the last finished run found this kiosk's key refused by the county."""
    row = _latest(db, "key_refused", "finished_at IS NOT NULL")
    return bool(row and row[0])


def clock_offset(db: Database) -> float | None:
    """The county's clock minus ours, in seconds, as the last run that could tell measured it."""
    row = _latest(db, "clock_offset_seconds", "clock_offset_seconds IS NOT NULL")
    return row[0] if row else None
