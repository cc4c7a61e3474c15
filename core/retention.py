"""How long personal data is kept, and purging it when that time is up.

- A draft nobody has touched for ``draft_hours`` (default 24) is deleted, answers, details, resume
  code and all.
- A request the county closed more than ``closed_days`` ago (default 30) keeps only a stub: its
  ticket, check code, service, dates and status history, so the receipt's QR code and a look-up by
  ticket still show how it ended. Its answers, the resident's name, address and phone, and its
  recordings and photos (:mod:`core.media`) go.

Each table's owner deletes its own rows (:mod:`core.drafts`, :mod:`core.submissions`,
:mod:`core.personal`); :mod:`core.outbox` says which requests closed when. Afterwards the WAL is
checkpointed and truncated: the connection has ``secure_delete`` on, so the bytes really leave the
file. The sync service runs this after its nightly run; ``flask --app kiosk data purge`` runs it now.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlite_utils import Database

from . import county_notes, feedback, drafts, media, outbox, personal, submissions
from .clock import iso
from .db import require_transaction


def purge(db: Database, now: datetime, draft_hours: float = 24, closed_days: float = 30,
          dry_run: bool = False) -> dict[str, int]:
    """Purge what has been kept long enough, in the caller's (durable) transaction; return how many
    drafts and closed requests (would) go. A dry run only counts. The caller checkpoints the WAL after
    the commit (:func:`core.db.checkpoint`), so the purged bytes leave it too."""
    if not dry_run:
        require_transaction(db)
    untouched_since = iso(now - timedelta(hours=draft_hours))
    # Asked only about requests still kept: the years purged already are never listed again.
    closed = outbox.closed_before(db, iso(now - timedelta(days=closed_days)), among=submissions.kept(db))
    due = submissions.not_yet_purged(db, closed)
    if dry_run:
        return {"drafts": drafts.purge(db, untouched_since, dry_run=True), "requests": len(due)}
    gone = drafts.purge(db, untouched_since)
    personal.forget_for_requests(db, due)
    media.forget_for_requests(db, due)  # recordings and photos; a purged draft's go with it (foreign key)
    submissions.forget_answers(db, due, iso(now))
    feedback.forget_comments(db, due)
    county_notes.forget_texts(db, due)
    return {"drafts": gone, "requests": len(due)}
