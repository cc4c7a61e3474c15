"""What the kiosk itself writes: a worker's session running out, the purge of what has been kept
long enough, sealing everything with the current data key (see :mod:`core.actions` for the rule)."""
from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from .. import audit, feedback, retention, sealing, submissions
from ..wording import Centre, Wording
from ..db import checkpoint, write_transaction


def expire_session(db: Database, login: str, why: str) -> None:
    """A worker's login ran out (``why``: ``idle`` or ``absolute``): the log says so."""
    with write_transaction(db):
        audit.record(db, audit.worker_actor(login), "session.expired", detail={"why": why})


def purge(db: Database, now: datetime, draft_hours: float = 24, closed_days: float = 30,
          dry_run: bool = False) -> dict[str, int]:
    """Delete untouched drafts and the details of requests closed long ago (:func:`core.retention.purge`),
    in one durable transaction; then checkpoint the WAL so the purged bytes leave it. A dry run only counts."""
    if dry_run:
        return retention.purge(db, now, draft_hours, closed_days, dry_run=True)
    with write_transaction(db, durable=True):
        counts = retention.purge(db, now, draft_hours, closed_days)
    if counts["drafts"] or counts["requests"]:
        checkpoint(db)
    return counts


def seal_with_current_key(db: Database) -> int:
    """Seal with the current data key whatever is plain or under an older key (at every start, and
    in a rotation), in one durable transaction; then checkpoint the WAL so the old bytes leave it."""
    with write_transaction(db, durable=True):
        count = sealing.reseal_all(db)
    if count:
        checkpoint(db)
    return count


def freeze_wording(db: Database, request_id: int, centre: Centre) -> Wording:
    """Word once, from the catalogue as it is now, a request saved before wordings were kept, before its
    first send (the sync engine); its wording from then on. Logged as ``request.worded`` by the system."""
    with write_transaction(db, durable=True):
        frozen = submissions.wording_of(db, request_id)
        if frozen is not None:  # worded meanwhile
            return frozen
        request = submissions.get(db, request_id)
        frozen = submissions.compose_now(db, request, centre, feedback.reopen_comment(db, request_id) if request.reopens else "")
        submissions.freeze(db, request_id, frozen)
        audit.record(db, "system", "request.worded", request_id, {"why": "saved_before_wordings"})
        return frozen
