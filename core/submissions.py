"""Turning a finished draft into a saved request, and finding saved requests again (owns ``requests``).

Saving is a step of one durable transaction (``synchronous=FULL``, opened by the action:
:func:`core.actions.resident.save_request`): the request, its personal details, its ``queued``
outbox event, the deletion of the draft and any audit entry commit together or not at all. Only
after the commit does the resident see a ticket; if SQLite cannot write (locked, disk full,
read-only), the caller gets :class:`SaveFailed` and the draft is still there.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
import uuid
from dataclasses import dataclass

from sqlite_utils import Database

from . import drafts, media, outbox, personal, tickets, wording as wordings
from .clock import utc_now
from .db import require_transaction


ANSWERS = "requests.answers"  # sealed at rest: answers may be free text about a person
WORDING = "requests.wording"  # sealed too: the description carries the answers in words


#: A request with a spoken answer still to be written down waits (:func:`core.outbox.enqueue`'s hold)
#: until a worker has written it (:func:`core.actions.worker.write_down`, which releases it).
UNTIL_WRITTEN_DOWN = outbox.HELD_FOR_A_PERSON


class SaveFailed(Exception):
    """The request could not be written to the kiosk's database."""


class AlreadySaved(Exception):
    """The draft is no longer there: it was saved already (a second tap, a replayed form) or removed."""


FILLED_BY = ("resident", "worker")  # who filled the request in: the resident, or a worker with them (代办)


@dataclass(frozen=True)
class SavedRequest:
    id: int
    uuid: str
    ticket: str
    check_code: str
    service_code: str
    locale: str
    answers: dict
    requested_at: str
    content_hash: str = ""
    kiosk_id: str = ""
    filled_by: str = "resident"
    reopens: int | None = None   # the request this one reopens (the resident said it was not solved)


def content_hash(service_code: str, answers: dict, details: dict) -> str:
    """SHA-256 of the request's content in a canonical form, sent to the county for deduplication."""
    canonical = json.dumps({"service": service_code, "answers": answers, "personal": details}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def save_request(db: Database, draft: drafts.Draft, kiosk_id: str, filled_by: str = "resident",
                 centre: wordings.Centre = wordings.Centre()) -> SavedRequest:
    """Save ``draft`` as a request, with its wording (:mod:`core.wording`, in ``centre``'s language and
    place), queue it for the county and delete the draft, in the caller's (durable) transaction.

    :param filled_by: ``"worker"`` when a worker filled it in with the resident (no name: that is in
      the audit log); shown on the receipt and the status page, never sent to the county.
    :raises AlreadySaved: the draft was saved (or removed) already: nothing is saved twice (the
      caller's transaction rolls back).
    :raises SaveFailed: SQLite could not write.
    """
    if filled_by not in FILLED_BY:
        raise ValueError(f"filled_by must be one of {FILLED_BY}")
    require_transaction(db)
    now = utc_now()
    try:
        sequence = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM requests").fetchone()[0]
        saved = SavedRequest(
            id=sequence,
            uuid=str(uuid.uuid4()),
            ticket=tickets.ticket_for(sequence),
            check_code=tickets.new_check_code(),
            service_code=draft.service_code,
            locale=draft.locale,
            answers=draft.answers,
            requested_at=now,
            content_hash=content_hash(draft.service_code, draft.answers,
                                      {k: v for k, v in draft.personal.items() if k in personal.FIELDS}),
            kiosk_id=kiosk_id,
            filled_by=filled_by,
        )
        db.execute(
            "INSERT INTO requests (id, uuid, ticket, check_code, service_code, locale, answers, content_hash,"
            " requested_at, monotonic_ns, kiosk_id, filled_by, sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [saved.id, saved.uuid, saved.ticket, saved.check_code, saved.service_code, saved.locale,
             db.keyring.seal(json.dumps(saved.answers, ensure_ascii=False), ANSWERS), saved.content_hash,
             now, time.monotonic_ns(), kiosk_id, filled_by, json.dumps(field_sources(draft, filled_by))],
        )
        personal.save_for_request(db, saved.id, draft.personal)
        photos = sum(m.kind == media.PHOTO for m in media.for_draft(db, draft.id))
        freeze(db, saved.id, wordings.compose(db, centre, service_code=saved.service_code, answers=saved.answers,
                                              ticket=saved.ticket, uuid=saved.uuid, details=draft.personal,
                                              photos=photos))
        # A spoken answer no worker has written down yet holds the request back: the county gets words.
        waiting = media.attach_to_request(db, draft.id, saved.id)
        outbox.enqueue(db, saved.id, now, hold_until=UNTIL_WRITTEN_DOWN if waiting else None)
        if not drafts.delete(db, draft.id):
            raise AlreadySaved(draft.service_code)  # rolls the whole save back
    except sqlite3.Error as exc:
        raise SaveFailed(str(exc)) from exc
    return saved


def reopen(db: Database, original: SavedRequest, kiosk_id: str, at: str, filled_by: str = "resident",
           hold_until: str | None = None, centre: wordings.Centre = wordings.Centre()) -> SavedRequest:
    """A new request for the same thing as ``original``, which the resident says the county did not solve.

    Same service, answers and personal details (as far as they are still kept), the same check code
    (the resident's receipt opens both), a new ticket and UUID, ``reopens`` pointing at the original;
    queued for the county, which is told which request it reopens (``sync/payload.py``); held until
    ``hold_until`` if given (:func:`core.outbox.enqueue`). A step of the resident's answer
    (:func:`core.feedback.answer`), in its transaction: both commit or neither.
    """
    require_transaction(db)
    sequence = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM requests").fetchone()[0]
    details = personal.load_for_request(db, original.id)
    answers = dict(original.answers)
    saved = SavedRequest(id=sequence, uuid=str(uuid.uuid4()), ticket=tickets.ticket_for(sequence),
                         check_code=original.check_code, service_code=original.service_code, locale=original.locale,
                         answers=answers, requested_at=at,
                         content_hash=content_hash(original.service_code, {**answers, "_reopens": original.uuid}, details),
                         kiosk_id=kiosk_id, filled_by=filled_by, reopens=original.id)
    db.execute(
        "INSERT INTO requests (id, uuid, ticket, check_code, service_code, locale, answers, content_hash,"
        " requested_at, monotonic_ns, kiosk_id, filled_by, reopens, sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [saved.id, saved.uuid, saved.ticket, saved.check_code, saved.service_code, saved.locale,
         db.keyring.seal(json.dumps(answers, ensure_ascii=False), ANSWERS), saved.content_hash,
         at, time.monotonic_ns(), kiosk_id, saved.filled_by, original.id, json.dumps(sources_of(db, original.id))],
    )
    if details:
        personal.save_for_request(db, saved.id, details)
    # worded now (the resident's comment, if she writes one while it is held, is added: add_reopen_comment)
    freeze(db, saved.id, wordings.compose(db, centre, service_code=saved.service_code, answers=answers,
                                          ticket=saved.ticket, uuid=saved.uuid, reopens_county_id=outbox.county_id(db, original.id),
                                          details=details))
    outbox.enqueue(db, saved.id, at, hold_until=hold_until)
    return saved


def freeze(db: Database, request_id: int, wording: wordings.Wording) -> None:
    """Keep ``wording`` as what request ``request_id`` says to the county, sealed (in the caller's transaction)."""
    require_transaction(db)
    db.execute("UPDATE requests SET wording = ? WHERE id = ?", [db.keyring.seal(wording.to_json(), WORDING), request_id])


def wording_of(db: Database, request_id: int) -> wordings.Wording | None:
    """The request's frozen wording; None for a request saved before wordings were kept (or purged)."""
    row = db.execute("SELECT wording FROM requests WHERE id = ?", [request_id]).fetchone()
    return wordings.Wording.from_json(db.keyring.open(row[0], WORDING)) if row and row[0] else None


def compose_now(db: Database, request: SavedRequest, centre: wordings.Centre, comment: str = "") -> wordings.Wording:
    """``request``'s wording composed from the catalogue as it is now (a request saved before wordings
    were kept, frozen once before its first send; a worker's correction)."""
    kept = media.for_request(db, request.id)
    return wordings.compose(db, centre, service_code=request.service_code, answers=request.answers, ticket=request.ticket,
                            uuid=request.uuid, reopens_county_id=outbox.county_id(db, request.reopens) if request.reopens else None,
                            comment=comment, details=personal.load_for_request(db, request.id),
                            said={m.field: media.written(db, m.id) for m in kept if m.kind == media.AUDIO and m.written_down},
                            photos=sum(m.kind == media.PHOTO for m in kept))


def add_reopen_comment(db: Database, request_id: int, comment: str) -> bool:
    """The resident's comment on her "not solved" came while the request it reopened as waits, unsent:
    its wording now carries it. False (unchanged) once the request has gone to the county."""
    require_transaction(db)
    frozen = wording_of(db, request_id)
    if frozen is None or outbox.current_state(db, request_id) != outbox.QUEUED:
        return False
    freeze(db, request_id, wordings.with_comment(frozen, comment))
    return True


def field_sources(draft: drafts.Draft, filled_by: str) -> dict[str, str]:
    """Who entered each answer and personal detail of ``draft``: ``typed`` (the resident), ``worker``
    (filled in with a worker), ``reused`` (a detail taken, with consent, from an earlier request)."""
    answered = {code: ("worker" if filled_by == "worker" else "typed")
                for code, value in draft.answers.items() if value not in (None, "", [])}
    return {**answered, **personal.sources(draft.personal, filled_by)}


def sources_of(db: Database, request_id: int) -> dict[str, str]:
    """:func:`field_sources` as saved with the request ({} for a request saved before they were kept)."""
    row = db.execute("SELECT sources FROM requests WHERE id = ?", [request_id]).fetchone()
    return json.loads(row[0] or "{}") if row else {}


def reopened_by(db: Database, request_id: int) -> list[dict]:
    """The requests that reopen this one, oldest first: ``{id, ticket}``."""
    return list(db.query("SELECT id, ticket FROM requests WHERE reopens = ? ORDER BY id", [request_id]))


def _saved(db: Database, row: dict) -> SavedRequest:
    """One row as a request; its answers are opened here, for this row only."""
    return SavedRequest(row["id"], row["uuid"], row["ticket"], row["check_code"], row["service_code"], row["locale"],
                        json.loads(db.keyring.open(row["answers"], ANSWERS) or "{}"), row["requested_at"],
                        row["content_hash"], row["kiosk_id"], row["filled_by"], row.get("reopens"))


def get(db: Database, request_id: int) -> SavedRequest | None:
    """The request with this id (for the sync engine and workers, never for a resident's look-up)."""
    rows = list(db.query("SELECT * FROM requests WHERE id = ?", [request_id]))
    return _saved(db, rows[0]) if rows else None


def latest_sequence(db: Database) -> int:
    """The number of the latest request saved here (0 before the first): its ticket's letter is the one in use."""
    return db.execute("SELECT COALESCE(MAX(id), 0) FROM requests").fetchone()[0]


def find(db: Database, ticket: str, check_code: str) -> SavedRequest | None:
    """The request with this ticket, if the check code matches (compared in constant time)."""
    rows = list(db.query("SELECT * FROM requests WHERE ticket = ?", [ticket]))
    if not rows or not secrets.compare_digest(rows[0]["check_code"], check_code or ""):
        return None
    return _saved(db, rows[0])


def by_ticket(db: Database, ticket: str) -> SavedRequest | None:
    """The request with this ticket, without a check code: only for a link the kiosk itself signed."""
    rows = list(db.query("SELECT * FROM requests WHERE ticket = ?", [ticket]))
    return _saved(db, rows[0]) if rows else None


def find_for_operator(db: Database, ticket_or_id: str) -> SavedRequest | None:
    """The request an operator names by its ticket (any case) or its number, without a check code."""
    rows = list(db.query("SELECT * FROM requests WHERE ticket = ? OR CAST(id AS TEXT) = ?",
                         [ticket_or_id.strip().upper(), ticket_or_id.strip()]))
    return _saved(db, rows[0]) if rows else None


def saved_between(db: Database, start: str, end: str) -> list[dict]:
    """Requests saved from ``start`` up to (not including) ``end`` (ISO times, UTC), oldest first:
    ``{id, ticket, service_code, requested_at}`` — no answers, nothing personal."""
    return list(db.query("SELECT id, ticket, service_code, requested_at FROM requests"
                         " WHERE requested_at >= ? AND requested_at < ? ORDER BY requested_at, id", [start, end]))


def _rehash(db: Database, request: SavedRequest, answers: dict) -> None:
    details = personal.load_for_request(db, request.id)
    db.execute("UPDATE requests SET answers = ?, content_hash = ? WHERE id = ?",
               [db.keyring.seal(json.dumps(answers, ensure_ascii=False), ANSWERS),
                content_hash(request.service_code, answers, details), request.id])


def correct_answer(db: Database, request_id: int, code: str, value: object) -> None:
    """Replace one answer of a saved request the county refused, and its content hash (the county
    never stored it, so the same UUID with new content is no conflict). A step of correcting and
    resending (:func:`core.actions.worker.correct_and_resend`), which requeues it in the same transaction."""
    require_transaction(db)
    request = get(db, request_id)
    if request is None:
        raise ValueError(f"no request {request_id}")
    _rehash(db, request, {**request.answers, code: value})


def write_spoken_answer(db: Database, request_id: int, code: str, value: str) -> None:
    """Make what a worker wrote down from a spoken answer the answer to question ``code`` of a request
    still held for it (never sent, so a new content hash is no conflict); a step of
    :func:`core.actions.worker.write_down`."""
    require_transaction(db)
    request = get(db, request_id)
    if request is None:
        raise ValueError(f"no request {request_id}")
    _rehash(db, request, {**request.answers, code: value})


def correct_personal(db: Database, request_id: int, field: str, value: str) -> None:
    """Replace one personal field (through :mod:`core.personal`) and the request's content hash;
    a step of correcting and resending, as :func:`correct_answer` is."""
    require_transaction(db)
    request = get(db, request_id)
    if request is None:
        raise ValueError(f"no request {request_id}")
    personal.correct_for_request(db, request_id, field, value)
    _rehash(db, request, request.answers)


def reseal(db: Database) -> int:
    """Seal again, with the current key, every stored answer set that is not (in the caller's transaction).

    Runs at every start of the web app and the sync service. SQLite picks out the values not sealed
    with the current key (one pass in C over the table: 0.1 s at 100,000 requests, where reading
    every row into Python took 0.4 s and held them all at once), and they come up 500 at a time.
    """
    require_transaction(db)
    return _reseal_column(db, "answers", ANSWERS) + _reseal_column(db, "wording", WORDING)


def _reseal_column(db: Database, column: str, label: str) -> int:
    prefix, count, after = db.keyring.current_prefix, 0, 0
    while True:
        rows = db.execute(f"SELECT id, {column} FROM requests WHERE id > ? AND {column} IS NOT NULL"
                          f" AND substr({column}, 1, ?) IS NOT ? ORDER BY id LIMIT 500", [after, len(prefix), prefix]).fetchall()
        for request_id, stored in rows:
            fresh = db.keyring.renewed(stored, label)
            if fresh is not None:
                db.execute(f"UPDATE requests SET {column} = ? WHERE id = ?", [fresh, request_id])
                count += 1
        if len(rows) < 500:
            return count
        after = rows[-1][0]


def kept(db: Database) -> list[int]:
    """Every request whose answers are still kept (not purged), by id: through the partial index
    ``requests_kept`` (m016), so it costs the weeks of requests not yet purged, not the kiosk's years."""
    return [row[0] for row in db.execute("SELECT id FROM requests WHERE purged_at IS NULL ORDER BY id")]


def not_yet_purged(db: Database, request_ids: list[int]) -> list[int]:
    """Those of ``request_ids`` whose answers are still kept."""
    if not request_ids:
        return []
    placeholders = ",".join("?" * len(request_ids))
    return [row[0] for row in db.execute(
        f"SELECT id FROM requests WHERE purged_at IS NULL AND id IN ({placeholders}) ORDER BY id", request_ids)]


def forget_answers(db: Database, request_ids: list[int], at: str) -> None:
    """Replace these requests' answers with nothing, keeping the stub (in the caller's transaction)."""
    require_transaction(db)
    for request_id in request_ids:
        db.execute("UPDATE requests SET answers = ?, wording = NULL, content_hash = '', purged_at = ? WHERE id = ?",
                   [db.keyring.seal("{}", ANSWERS), at, request_id])


def is_purged(db: Database, request_id: int) -> bool:
    """Whether only a stub of the request is kept (its details purged, :mod:`core.retention`)."""
    row = db.execute("SELECT purged_at FROM requests WHERE id = ?", [request_id]).fetchone()
    return bool(row and row[0])


def reopen_chains(db: Database, start: str, end: str) -> list[list[dict]]:
    """Each problem saved in [start, end): its first request, then each request that reopened it, in
    order; each ``{id, service_code, requested_at, filled_by}`` (for :mod:`core.outcomes`)."""
    firsts = list(db.query("SELECT id, service_code, requested_at, filled_by FROM requests"
                           " WHERE reopens IS NULL AND requested_at >= ? AND requested_at < ? ORDER BY id", [start, end]))
    chains = []
    for first in firsts:
        chain, frontier = [first], [first["id"]]
        while frontier:
            found = list(db.query(f"SELECT id, service_code, requested_at, filled_by FROM requests WHERE reopens IN"
                                  f" ({','.join('?' * len(frontier))}) ORDER BY id", frontier))
            chain += found
            frontier = [r["id"] for r in found]
        chains.append(chain)
    return chains


def saved_for_export(db: Database, start: str, end: str) -> list[dict]:
    """Requests saved from ``start`` up to (not including) ``end``, by id, in one query: ``{id, ticket,
    service_code, requested_at, filled_by, reopens_ticket}`` (the ticket of the request it reopens, or
    None) — no answers, nothing personal."""
    return list(db.query("SELECT r.id, r.ticket, r.service_code, r.requested_at, r.filled_by, o.ticket AS reopens_ticket"
                         " FROM requests r LEFT JOIN requests o ON o.id = r.reopens"
                         " WHERE r.requested_at >= ? AND r.requested_at < ? ORDER BY r.id", [start, end]))
