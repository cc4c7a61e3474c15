"""Residents asking for a person: "Ask a worker for help" at a kiosk, until a worker answers.

A call says which kiosk, which page (an endpoint and a question code, never what the page shows) and
which service, if one was chosen — nothing about the resident. Pressing the button again while a
call from the same kiosk is still waiting is the same call, so a worried resident tapping three times
calls once. A tap from another visit at that kiosk (the one who called has gone; one walk serves
both) is the same call too, rung again at once for the newcomer: every worker's list chimes and shows
her page and service. A call nobody answers within :data:`RING_AGAIN_AFTER` is rung again
(:func:`ring_again`): the same call, with a new ring count, so every worker's list chimes again — at
most :data:`RINGS_AT_MOST` times after a resident's tap, so a call whose resident walked away does not
ring every three minutes for ever. Owns the ``help_calls`` table (migrations m010, m018).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlite_utils import Database

from . import clock
from .db import require_transaction

SAME_CALL = timedelta(minutes=10)  # a second tap within this is the same call
RING_AGAIN_AFTER = timedelta(minutes=3)  # nobody has answered: ring again, and tell the resident what else to do
RINGS_AT_MOST = 3  # rung again at most this often after a resident's tap (at 3, 6 and 9 minutes), then left on the lists


@dataclass(frozen=True)
class HelpCall:
    id: int
    kiosk_id: str
    place: str
    service_code: str | None
    called_at: str
    answered_at: str | None
    answered_by: str | None
    rung_at: str | None = None  # rung again (:func:`ring_again`) last at; None: only when made
    rings: int = 0              # how many times rung again

    @property
    def token(self) -> str:
        """What a worker's list tells calls apart by: a new token is a new ring, and chimes."""
        return f"{self.id}.{self.rings}" if self.rings else str(self.id)

    @property
    def waiting(self) -> bool:
        return self.answered_at is None


def _row(row: dict) -> HelpCall:
    return HelpCall(**{k: row[k] for k in HelpCall.__dataclass_fields__})


def call(db: Database, kiosk_id: str, place: str, service_code: str | None = None, now: datetime | None = None,
         ours: int | None = None) -> HelpCall:
    """Ask for a person at ``kiosk_id``; the call still waiting there if there is a recent one. ``ours``
    is the call this visit made already, if any: a waiting call that is not this visit's (another
    resident's, who has gone) is rung again now, for the resident who tapped."""
    now = now or datetime.now(timezone.utc)
    require_transaction(db)
    since = clock.iso(now - SAME_CALL)
    waiting = db.execute(
        "SELECT * FROM help_calls WHERE kiosk_id = ? AND answered_at IS NULL AND COALESCE(rung_at, called_at) >= ? "
        "ORDER BY id DESC LIMIT 1",
        (kiosk_id, since)).fetchone()
    if waiting is None:
        db.execute("INSERT INTO help_calls (kiosk_id, place, service_code, called_at) VALUES (?, ?, ?, ?)",
                   (kiosk_id, place[:80], service_code, clock.iso(now)))
        new_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    else:
        new_id = waiting[0]
        db.execute("UPDATE help_calls SET place = ?, service_code = ? WHERE id = ?", (place[:80], service_code, new_id))
        if new_id != ours:  # a new resident's tap: every list chimes now
            db.execute("UPDATE help_calls SET rung_at = ?, rings = rings + 1 WHERE id = ?", (clock.iso(now), new_id))
    return get(db, new_id)


def get(db: Database, call_id: int) -> HelpCall | None:
    rows = list(db.query("SELECT * FROM help_calls WHERE id = ?", [call_id]))
    return _row(rows[0]) if rows else None


def waiting(db: Database) -> list[HelpCall]:
    """Calls nobody has answered yet, the longest waiting first."""
    return [_row(r) for r in db.query("SELECT * FROM help_calls WHERE answered_at IS NULL ORDER BY called_at, id")]


def ring_again(db: Database, call_id: int, now: datetime | None = None) -> HelpCall | None:
    """Ring a call nobody has answered for :data:`RING_AGAIN_AFTER` once more: the same call (a worker
    tapping "I am going" on it a moment before still answers it), rung again now; the workers' lists
    show it with its count of rings, and a new count is what makes a list chime. Not yet due, or
    answered meanwhile: the call as it is (two asking at once ring it once); None if there is none."""
    require_transaction(db)
    now = now or datetime.now(timezone.utc)
    db.execute("UPDATE help_calls SET rung_at = ?, rings = rings + 1 "
               "WHERE id = ? AND answered_at IS NULL AND COALESCE(rung_at, called_at) <= ?",
               (clock.iso(now), call_id, clock.iso(now - RING_AGAIN_AFTER)))
    return get(db, call_id)


def last_rung(call: HelpCall) -> str:
    """When ``call`` was last rung: made, rung again, or rung for a resident who tapped (ISO text)."""
    return call.rung_at or call.called_at


def due_again(call: HelpCall, now: datetime, since: str | None = None) -> bool:
    """Whether nobody has answered ``call`` for :data:`RING_AGAIN_AFTER` since it was last rung, and it
    has not yet been rung again :data:`RINGS_AT_MOST` times since ``since`` (the resident's tap, as
    :func:`last_rung` was then; the call's making if not given)."""
    last = datetime.fromisoformat(last_rung(call))
    rung_since = last - datetime.fromisoformat(since or call.called_at)
    return call.waiting and now - last >= RING_AGAIN_AFTER and rung_since < RINGS_AT_MOST * RING_AGAIN_AFTER


def answer(db: Database, call_id: int, by: str, now: datetime | None = None) -> bool:
    """Mark a call answered by ``by``; False if it was already answered (or never existed)."""
    require_transaction(db)
    now = now or datetime.now(timezone.utc)
    changed = db.execute("UPDATE help_calls SET answered_at = ?, answered_by = ? WHERE id = ? AND answered_at IS NULL",
                         (clock.iso(now), by, call_id)).rowcount
    return changed == 1
