"""Notes for the county about a request it already holds, queued here and sent up once (owns ``county_notes``).

Open311 GeoReport v2 lets a client create requests and read them, never add to one. What the centre
learns after the county's own status change — that a worker told the resident, or could not reach
them — must still reach the county, so each such fact is a *note*: a row here, written in the same
transaction as the fact itself, so a fact is never recorded without its note being queued. The sync
engine sends each note as a request of the county's note service (``sync/notes.py``,
``docs/open311.md``), with the county's id of the request it is about, exactly once: ``in_flight``
is committed durably before the POST, and after an unclear answer the county is asked by the note's
UUID before anything is sent again — the requests' own discipline (``core/outbox.py``).

A note holds codes, numbers and times only (the outcome, when): never a name, a phone or a
worker's login. Unlike a request's history, a note's state is a column that changes; a note has
nothing a resident or a worker reads back but whether it went.
"""
from __future__ import annotations

import json
import re
import uuid as uuids
from dataclasses import dataclass

from sqlite_utils import Database

from .clock import utc_now
from .db import require_transaction

QUEUED = "queued"          # waiting for the next sync
IN_FLIGHT = "in_flight"    # committed just before a send; the outcome may be unknown
RETRY_WAIT = "retry_wait"  # a send failed in a way worth retrying (next_attempt_at)
SENT = "sent"              # the county holds it (county_id)
REFUSED = "refused"        # the county refused it (reason); nothing more is tried
UNSENT = (QUEUED, IN_FLIGHT, RETRY_WAIT)

FOLLOW_UP = "follow_up"    # a worker passed a county status change on to the resident (core/follow_ups.py)
ANSWER = "answer"          # the resident says whether the county's close really solved it (core/feedback.py)
RATING = "rating"          # ... and how satisfied they are, 5 to 1
KINDS = (FOLLOW_UP, ANSWER, RATING)

_SAFE = re.compile(r"[A-Za-z0-9_:+.\-]{1,64}")  # codes, numbers, ISO times: nothing a person wrote


@dataclass(frozen=True)
class Note:
    id: int
    uuid: str
    request_id: int
    kind: str
    fields: dict
    created_at: str
    state: str
    attempt: int
    ambiguous: bool
    next_attempt_at: str | None
    county_id: str | None
    reason: str | None


def _note(row: dict) -> Note:
    return Note(row["id"], row["uuid"], row["request_id"], row["kind"], json.loads(row["fields"]), row["created_at"],
                row["state"], row["attempt"], bool(row["ambiguous"]), row["next_attempt_at"], row["county_id"], row["reason"])


def add(db: Database, request_id: int, kind: str, fields: dict[str, str], at: str | None = None) -> int:
    """Queue one note about ``request_id``; return its id. The caller owns the transaction (the fact's own).

    :param fields: attribute codes and values, each a short code, number or time (checked: a note
        must never carry what a person wrote).
    """
    require_transaction(db)
    if kind not in KINDS:
        raise ValueError(f"unknown note kind {kind!r}")
    for code, value in fields.items():
        if not (_SAFE.fullmatch(str(code)) and _SAFE.fullmatch(str(value))):
            raise ValueError(f"a note holds codes and numbers only, not {code!r}={value!r}")
    at = at or utc_now()
    return db.execute(
        "INSERT INTO county_notes (uuid, request_id, kind, fields, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [str(uuids.uuid4()), request_id, kind, json.dumps({k: str(v) for k, v in fields.items()}), at, at]).lastrowid


def due(db: Database, now: str, limit: int, ignore_backoff: bool = False) -> list[Note]:
    """Unsent notes to try now, oldest first (through the partial index of unsent notes)."""
    waited = "" if ignore_backoff else " AND (state != 'retry_wait' OR next_attempt_at <= :now)"
    return [_note(r) for r in db.query(
        "SELECT * FROM county_notes WHERE state IN ('queued', 'in_flight', 'retry_wait')" + waited + " ORDER BY id LIMIT :limit",
        {"now": now, "limit": limit})]


def _set(db: Database, note_id: int, at: str, **columns) -> None:
    require_transaction(db)
    columns["updated_at"] = at
    db.execute(f"UPDATE county_notes SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?", [*columns.values(), note_id])


def mark_in_flight(db: Database, note: Note, at: str) -> int:
    """Before the POST (the caller commits it durably); returns the attempt's number."""
    attempt = note.attempt + 1
    _set(db, note.id, at, state=IN_FLIGHT, attempt=attempt, ambiguous=1)
    return attempt


def mark_sent(db: Database, note_id: int, county_id: str | None, at: str) -> None:
    _set(db, note_id, at, state=SENT, county_id=county_id, ambiguous=0, next_attempt_at=None, reason=None)


def mark_refused(db: Database, note_id: int, reason: str, at: str) -> None:
    _set(db, note_id, at, state=REFUSED, ambiguous=0, reason=(reason or "")[:1000])


def mark_retry(db: Database, note_id: int, next_attempt_at: str, ambiguous: bool, reason: str, at: str) -> None:
    _set(db, note_id, at, state=RETRY_WAIT, ambiguous=int(ambiguous), next_attempt_at=next_attempt_at,
         reason=(reason or "")[:1000])


def for_request(db: Database, request_id: int) -> list[Note]:
    """Every note about a request, oldest first."""
    return [_note(r) for r in db.query("SELECT * FROM county_notes WHERE request_id = ? ORDER BY id", [request_id])]


def get(db: Database, note_id: int) -> Note | None:
    row = next(db.query("SELECT * FROM county_notes WHERE id = ?", [note_id]), None)
    return _note(row) if row else None


def unsent_count(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM county_notes WHERE state IN ('queued', 'in_flight', 'retry_wait')").fetchone()[0]
