"""The queue's health at a glance: what the CLI's ``sync status`` prints (and, next, the workers' page).

Every figure comes from the module that owns it: counts and the oldest unsent request from
:mod:`core.outbox`, the runs from :mod:`sync.runs`.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlite_utils import Database

from core import outbox

from . import runs


def summary(db: Database, now: datetime | None = None) -> dict:
    """Counts by current state, oldest unsent request's age, last success, last error, key, clock offset."""
    now = now or datetime.now(timezone.utc)
    oldest = outbox.oldest_unsent_since(db)
    offset = runs.clock_offset(db)
    return {
        "counts": outbox.counts_by_state(db),
        "oldest_unsent_seconds": (now - datetime.fromisoformat(oldest)).total_seconds() if oldest else None,
        "last_success": runs.last_success(db),
        "last_error": runs.last_error(db),
        "key_refused": runs.key_refused(db),
        "clock_offset_seconds": offset,
        "clock_skewed": offset is not None and abs(offset) > runs.CLOCK_SKEW_LIMIT,
    }
