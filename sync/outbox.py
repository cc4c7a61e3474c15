"""The outbox: an append-only history of what happened to each saved request.

Each row of ``request_events`` is one fact (``queued``, ``in_flight``, ``accepted``, a county status
update…). Nothing is overwritten; a request's current state is its latest event (the view
``current_events``). Saving a request
writes its ``queued`` event in the same transaction as the request itself, so a request can never be
saved without being queued for the county.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlite_utils import Database

QUEUED = "queued"            # saved on this kiosk, waiting for the county
IN_FLIGHT = "in_flight"      # committed just before a send; the outcome may be unknown
ACCEPTED = "accepted"        # the county holds it (service_request_id or token)
IN_PROGRESS = "in_progress"  # the county reports work on it
CLOSED = "closed"            # the county reports it done
RETRY_WAIT = "retry_wait"    # a send failed in a way worth retrying later
QUARANTINED = "quarantined"  # the county refused it; a worker must look at it

STATES = (QUEUED, IN_FLIGHT, ACCEPTED, IN_PROGRESS, CLOSED, RETRY_WAIT, QUARANTINED)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def record(db: Database, request_id: int, state: str, at: str | None = None, **data) -> int:
    """Append one event; return its id. The caller owns the transaction."""
    if state not in STATES:
        raise ValueError(f"unknown outbox state {state!r}")
    cursor = db.execute(
        "INSERT INTO request_events (request_id, state, at, data) VALUES (?, ?, ?, ?)",
        [request_id, state, at or utc_now(), json.dumps(data, ensure_ascii=False)],
    )
    return cursor.lastrowid


def enqueue(db: Database, request_id: int, at: str | None = None) -> int:
    """Queue a just-saved request for the county."""
    return record(db, request_id, QUEUED, at)


def events(db: Database, request_id: int) -> list[dict]:
    """The request's history, oldest first, with ``data`` decoded."""
    return [
        {**row, "data": json.loads(row["data"])}
        for row in db.query("SELECT id, state, at, data FROM request_events WHERE request_id = ? ORDER BY id", [request_id])
    ]


def current_state(db: Database, request_id: int) -> str | None:
    rows = list(db.query("SELECT state FROM request_events WHERE request_id = ? ORDER BY id DESC LIMIT 1", [request_id]))
    return rows[0]["state"] if rows else None
