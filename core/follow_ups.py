"""Passing a county's status change on to the resident: what a worker did about it (owns ``follow_ups``).

When the county reports a request closed or being handled, someone at the centre must tell the
resident (by the channel they chose). Each of a worker's one-tap outcomes is one row here, tied to
the status event it passes on (``request_events.id``): ``told`` and ``came_in`` settle that event;
``not_reached`` does not, so the request stays on the list (tomorrow's too) with when it was tried.
A later status change is a new event, so it needs passing on again. Outcomes are events of their
own rather than outbox states: the outbox says where a request is with the county, not at the centre.
Each outcome also queues a note for the county in the same transaction (:mod:`core.county_notes`):
Open311 has no write-back of notes, so the sync sends it as a request of the county's note service,
where the county offers one (docs/open311.md). The note says what happened and when, never who.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from . import feedback, county_notes, outbox
from .clock import iso, now as real_now
from .db import require_transaction

TOLD = "told"                # the worker told the resident
NOT_REACHED = "not_reached"  # could not reach them: try again tomorrow
CAME_IN = "came_in"          # the resident came in and was told
OUTCOMES = (TOLD, NOT_REACHED, CAME_IN)
SETTLED = (TOLD, CAME_IN)
TO_PASS_ON = (outbox.IN_PROGRESS, outbox.CLOSED)
#: Status changes older than this are not listed (a box installed before this list would otherwise
#: show every request the county ever closed).
LOOK_BACK = timedelta(days=30)


@dataclass(frozen=True)
class Pending:
    request_id: int
    event_id: int
    state: str
    at: str                      # when the status change was recorded
    tried_at: str | None         # the latest "could not reach" for this change, if any


def to_pass_on(db: Database, now: datetime | None = None) -> list[Pending]:
    """Status changes the resident has not been told of yet, oldest first."""
    since = iso((now or real_now()) - LOOK_BACK)
    result = []
    for row in outbox.changed_since(db, TO_PASS_ON, since):
        news = outbox.same_news(db, row["request_id"], row["event_id"])  # a worker's settling repeats a status
        outcomes = {r[0]: r[1] for r in db.execute(
            f"SELECT outcome, MAX(at) FROM follow_ups WHERE request_id = ? AND event_id IN ({','.join('?' * len(news))})"
            " GROUP BY outcome", [row["request_id"], *news])}
        if any(o in outcomes for o in SETTLED) or any(feedback.answered(db, row["request_id"], e) for e in news):
            continue  # told, came in, or answered "is it solved?" themselves: they have the news
        result.append(Pending(row["request_id"], row["event_id"], row["state"], row["at"], outcomes.get(NOT_REACHED)))
    return sorted(result, key=lambda p: (p.at, p.request_id))


def record(db: Database, request_id: int, event_id: int, outcome: str, by: str, at: datetime | None = None) -> bool:
    """Record one outcome for the status event ``event_id``, in the caller's transaction; False
    (nothing recorded) when that event is no longer the request's current one or is already settled
    (a second tap, or a colleague's)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown follow-up outcome {outcome!r}")
    require_transaction(db)
    current = outbox.current_event(db, request_id)
    if current is None or current["event_id"] != event_id or current["state"] not in TO_PASS_ON:
        return False
    settled = db.execute(
        f"SELECT 1 FROM follow_ups WHERE request_id = ? AND event_id = ? AND outcome IN ({','.join('?' * len(SETTLED))})",
        [request_id, event_id, *SETTLED]).fetchone()
    if settled:
        return False
    when = iso(at or real_now())
    db.execute("INSERT INTO follow_ups (request_id, event_id, outcome, at, by_worker) VALUES (?, ?, ?, ?, ?)",
               [request_id, event_id, outcome, when, by])
    county_notes.add(db, request_id, county_notes.FOLLOW_UP,
                     {"outcome": outcome, "status": current["state"], "noted_at": when}, at=when)
    return True


def history(db: Database, request_id: int) -> list[dict]:
    """Every outcome recorded for a request, oldest first."""
    return list(db.query("SELECT event_id, outcome, at, by_worker FROM follow_ups WHERE request_id = ? ORDER BY id",
                         [request_id]))
