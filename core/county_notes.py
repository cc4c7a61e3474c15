"""Notes for the county about a request it already holds, queued here and sent up once (owns ``county_notes``).

Open311 GeoReport v2 lets a client create requests and read them, never add to one. What the centre
learns after the county's own status change — that a worker told the resident, or could not reach
them, the resident's "solved?" answer and rating — must still reach the county, so each such fact is
a *note*: a row here, written in the same transaction as the fact itself, so a fact is never recorded
without its note being queued. The sync engine (``sync/notes.py``, ``docs/open311.md``) sends each
note where the county can take it: as an update (FixMyStreet's ``servicerequestupdates``) where the
county has that extension, else as a request of the county's own note service where it lists one;
where it has neither, the note is **kept** for the workers' list, and a worker who has told the county
themselves marks it **told** (:func:`mark_told`, audited). A note is never sent as a made-up request
to a county that would count it as a resident's. Exactly once: ``in_flight`` is committed durably
before the send, and after an unclear answer the county is asked by the note's UUID before anything
is sent again — the requests' own discipline (``core/outbox.py``).

A note's ``fields`` hold codes, numbers and times only (the outcome, when): never a name, a phone or
a worker's login. One kind holds what a person wrote: ``comment``, the resident's comment on a
"not solved" written after its reopened request was sent (:func:`core.feedback.add_comment`): her
own words about her request, like its description, sealed at rest in ``text``, sent only to the
county (as an update) or shown to workers, and forgotten with the request's other details
(:func:`forget_texts`). Unlike a request's history, a note's state is a column that changes.
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
KEPT = "kept"              # the county can take no note: on the workers' list, for them to tell the county
TOLD = "told"              # ... and a worker did (told_by)
UNSENT = (QUEUED, IN_FLIGHT, RETRY_WAIT)

FOLLOW_UP = "follow_up"    # a worker passed a county status change on to the resident (core/follow_ups.py)
ANSWER = "answer"          # the resident says whether the county's close really solved it (core/feedback.py)
RATING = "rating"          # ... and how satisfied they are, 5 to 1
COMMENT = "comment"        # her comment on a "not solved", written after the reopened request was sent (sealed text)
KINDS = (FOLLOW_UP, ANSWER, RATING, COMMENT)
TEXT = "county_notes.text"  # the sealed column's name, which the seal is bound to
TEXT_LIMIT = 500
UPDATE, NOTE_REQUEST = "update", "note_request"  # how a sent note went (sent_as)

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
    has_text: bool = False
    sent_as: str | None = None
    told_by: str | None = None
    updated_at: str = ""


def _note(row: dict) -> Note:
    return Note(row["id"], row["uuid"], row["request_id"], row["kind"], json.loads(row["fields"]), row["created_at"],
                row["state"], row["attempt"], bool(row["ambiguous"]), row["next_attempt_at"], row["county_id"], row["reason"],
                row["text"] is not None, row["sent_as"], row["told_by"], row["updated_at"])


def add(db: Database, request_id: int, kind: str, fields: dict[str, str], at: str | None = None, text: str | None = None) -> int:
    """Queue one note about ``request_id``; return its id. The caller owns the transaction (the fact's own).

    :param fields: attribute codes and values, each a short code, number or time (checked: a note's
        fields must never carry what a person wrote).
    :param text: what the resident wrote, for a ``comment`` note only (and required there): sealed.
    """
    require_transaction(db)
    if kind not in KINDS:
        raise ValueError(f"unknown note kind {kind!r}")
    for code, value in fields.items():
        if not (_SAFE.fullmatch(str(code)) and _SAFE.fullmatch(str(value))):
            raise ValueError(f"a note holds codes and numbers only, not {code!r}={value!r}")
    text = (text or "").strip()[:TEXT_LIMIT]
    if (kind == COMMENT) != bool(text):
        raise ValueError("a comment note holds the resident's words; no other note holds any")
    at = at or utc_now()
    return db.execute(
        "INSERT INTO county_notes (uuid, request_id, kind, fields, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [str(uuids.uuid4()), request_id, kind, json.dumps({k: str(v) for k, v in fields.items()}),
         db.keyring.seal(text, TEXT) if text else None, at, at]).lastrowid


def text(db: Database, note_id: int) -> str:
    """What the resident wrote, opened (a ``comment`` note), or ""."""
    row = db.execute("SELECT text FROM county_notes WHERE id = ?", [note_id]).fetchone()
    return (db.keyring.open(row[0], TEXT) or "") if row and row[0] else ""


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


def mark_sent(db: Database, note_id: int, county_id: str | None, at: str, sent_as: str = NOTE_REQUEST) -> None:
    _set(db, note_id, at, state=SENT, county_id=county_id, sent_as=sent_as, ambiguous=0, next_attempt_at=None, reason=None)


def keep_for_workers(db: Database, note_id: int, at: str) -> None:
    """The county can take no note (no update extension, no note service, or not this kind): the note
    goes on the workers' list, for a worker to tell the county themselves."""
    _set(db, note_id, at, state=KEPT, ambiguous=0, next_attempt_at=None)


def kept(db: Database, limit: int = 200) -> list[Note]:
    """The notes kept for the workers' list, oldest first (through its partial index)."""
    return [_note(r) for r in db.query("SELECT * FROM county_notes WHERE state = 'kept' ORDER BY id LIMIT ?", [limit])]


def kept_count(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM county_notes WHERE state = 'kept'").fetchone()[0]


def mark_told(db: Database, note_id: int, login: str, at: str | None = None) -> bool:
    """A worker told the county themselves what a kept note says; False when it is not kept (a
    colleague was quicker, or it never was). The caller owns the transaction (with its audit entry)."""
    require_transaction(db)
    return db.execute("UPDATE county_notes SET state = 'told', told_by = ?, updated_at = ? WHERE id = ? AND state = 'kept'",
                      [login, at or utc_now(), note_id]).rowcount == 1


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


def reseal(db: Database) -> int:
    """Seal again, with the current key, every comment note's text that is not (the caller owns the transaction)."""
    require_transaction(db)
    count = 0
    for row in list(db.query("SELECT id, text FROM county_notes WHERE text IS NOT NULL")):
        fresh = db.keyring.renewed(row["text"], TEXT)
        if fresh is not None:
            db.execute("UPDATE county_notes SET text = ? WHERE id = ?", [fresh, row["id"]])
            count += 1
    return count


def forget_texts(db: Database, request_ids: list[int]) -> None:
    """Drop what residents wrote in the notes about these requests (their details are purged; the
    caller owns the transaction). A comment note not yet sent is then kept as sent empty-handed: no more."""
    require_transaction(db)
    for i in range(0, len(request_ids), 500):
        chunk = request_ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        db.execute(f"UPDATE county_notes SET state = 'refused', reason = 'purged' WHERE kind = 'comment'"
                   f" AND state IN ('queued', 'in_flight', 'retry_wait', 'kept') AND request_id IN ({marks})", chunk)
        db.execute(f"UPDATE county_notes SET text = NULL WHERE text IS NOT NULL AND request_id IN ({marks})", chunk)
