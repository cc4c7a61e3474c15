"""Sending the centre's notes about a request up to the county, each exactly once, where it can take them
(``core/county_notes.py``).

GeoReport v2 has no call to add a note to a request. Each run that has notes due asks how this county
can take them (:func:`how_county_takes_notes`: the kept profile of ``flask sync check-county`` says so,
else one or two cheap GETs), and each note goes:

1. **as an update** (:data:`UPDATE`), where the county has the update extension mySociety's
   FixMyStreet uses (``POST servicerequestupdates.json``: ``service_request_id``, ``update_id`` — the
   note's UUID —, ``updated_datetime`` — when the note was made —, ``status``, ``description`` — a
   sentence in the county's language, or the resident's own words for a late comment —, and the
   centre's name as ``last_name``; answered ``[{"update_id": …}]``);
2. else **as a note request** (:data:`NOTE_REQUEST`) of the county's own note service
   :data:`NOTE_SERVICE` (``kiosk_note``), where it lists it (the reference county): a request whose
   attributes say which request it is about (``note_of``, the county's own id) and what happened
   (``kind``, ``outcome``, ``status``, ``noted_at``), which the county files under that request and
   closes at once. A ``comment`` (what the resident wrote) never goes this way;
3. else it is **kept for the workers' list** (:func:`core.county_notes.keep_for_workers`): a county
   with neither gets no made-up requests it would count as residents'. A worker tells the county
   themselves and marks it told.

Exactly once, as for requests (:mod:`sync.engine`): a note is committed ``in_flight`` durably before
its POST; if a send may have reached the county (in flight when the sync service died, a timeout, a
dropped connection, a 5xx), the county is asked first — for an update, ``GET
servicerequestupdates.json`` over an hour either side of its ``updated_datetime``, looking for its
``update_id`` (or the same request, time and words, for a county that numbers updates itself); for a
note request, by its UUID — and the note is not sent again if it is there. **If the county cannot say**
(its list of updates cannot be read), an update is sent again: a duplicate note is harmless, a lost
one is not. Refusals are final (``refused``, with the county's words): a note is never worth a
worker's correction. The note service is never offered to residents (:mod:`sync.catalogue` skips it).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

from core import county_notes, outbox
from core.clock import iso
from core.db import write_transaction

from . import open311
from .run import RunReport, Sender

NOTE_SERVICE = "kiosk_note"

#: The description of each note, in the county's language, so a clerk reads it without the codes.
SENTENCES = {
    ("follow_up", "told"): "社区工作人员已把县平台的最新进展告诉居民。",
    ("follow_up", "came_in"): "居民已来社区服务中心，工作人员当面告知了最新进展。",
    ("follow_up", "not_reached"): "社区工作人员未能联系上居民，将再次联系。",
    ("answer", "yes"): "居民确认：问题已经解决。",
    ("answer", "no"): "居民表示：问题没有解决（已另行重新提交）。",
    ("rating", "5"): "居民评价：非常满意。",
    ("rating", "4"): "居民评价：满意。",
    ("rating", "3"): "居民评价：基本满意。",
    ("rating", "2"): "居民评价：不满意。",
    ("rating", "1"): "居民评价：非常不满意。",
}
#: Which field of each kind of note picks its sentence.
SAYS = {"follow_up": "outcome", "answer": "solved", "rating": "rating"}


def note_fields(note: county_notes.Note, county_id: str, kiosk_id: str, location: str) -> dict:
    """The ``POST /requests.json`` form fields of one note about the county's request ``county_id``."""
    fields = {
        "service_code": NOTE_SERVICE,
        "description": SENTENCES.get((note.kind, note.fields.get(SAYS.get(note.kind, ""), "")), f"{note.kind}: {note.fields}"),
        "address_string": location,
        "attribute[note_of]": county_id,
        "attribute[kind]": note.kind,
        **{f"attribute[{code}]": value for code, value in sorted(note.fields.items())},
        "attribute[kiosk_uuid]": note.uuid,
        "attribute[kiosk_id]": kiosk_id,
    }
    content = json.dumps({"note_of": county_id, "kind": note.kind, **note.fields}, sort_keys=True)
    fields["attribute[kiosk_hash]"] = hashlib.sha256(content.encode()).hexdigest()
    return fields


UPDATE, NOTE_REQUEST, NONE = county_notes.UPDATE, county_notes.NOTE_REQUEST, "none"
CENTRE_NAME = "社区服务中心"    # who an update is from (last_name): the centre, never a worker or a resident
LOOKUP_WINDOW = timedelta(hours=1)


def _description(db, note: county_notes.Note) -> str:
    if note.kind == county_notes.COMMENT:
        return "居民的补充说明：" + county_notes.text(db, note.id)
    return SENTENCES.get((note.kind, note.fields.get(SAYS.get(note.kind, ""), "")), f"{note.kind}: {note.fields}")


def _w3c(at: str) -> str:
    return datetime.fromisoformat(at).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def update_fields(db, note: county_notes.Note, county_id: str) -> dict:
    """The ``POST servicerequestupdates.json`` form fields of one note about the county's request ``county_id``."""
    closed = outbox.current_state(db, note.request_id) == outbox.CLOSED
    return {"service_request_id": county_id, "update_id": note.uuid, "updated_datetime": _w3c(note.created_at),
            "status": "closed" if closed else "open", "description": _description(db, note),
            "first_name": "", "last_name": CENTRE_NAME}


def how_county_takes_notes(engine: Sender) -> str | None:
    """:data:`UPDATE`, :data:`NOTE_REQUEST` or :data:`NONE`; None when the county could not be asked
    (the notes wait for the next run). ``Settings.notes_via`` (from the kept profile) decides when set;
    else asked once per run, only when a note waits."""
    if engine.settings.notes_via in (UPDATE, NOTE_REQUEST, NONE):
        return engine.settings.notes_via
    now = engine.now()
    updates = engine.client.get_service_request_updates(_w3c(iso(now - timedelta(minutes=1))), _w3c(iso(now)))
    if updates.kind == open311.OK and isinstance(updates.data, list):
        return UPDATE
    if _unsure(updates):
        return None
    listed = engine.client.get_service_definition(NOTE_SERVICE)
    if listed.kind == open311.OK:
        return NOTE_REQUEST
    return None if _unsure(listed) else NONE


def _unsure(outcome: open311.Outcome) -> bool:
    """A read that says nothing about what the county has: not reached, no answer, a garbled one, a
    refused key, or a 5xx (a county having a bad moment must not send notes to the workers' list)."""
    return outcome.kind in (open311.UNREACHABLE, open311.AMBIGUOUS, open311.KEY_REFUSED) or outcome.http_status >= 500


def push_notes(engine: Sender, report: RunReport, ignore_backoff: bool = False) -> None:
    """Send every due note whose request the county holds, where the county can take it, or keep it for
    the workers; stop the run's notes at the first unreachable county."""
    db, now = engine.db, lambda: iso(engine.now())
    due = county_notes.due(db, now(), engine.settings.batch_size, ignore_backoff)
    if not due:
        return
    via = how_county_takes_notes(engine)
    if via is None:
        report.notes_waiting = len(due)
        return
    for note in due:
        if via == NONE or (via == NOTE_REQUEST and note.kind == county_notes.COMMENT):
            with write_transaction(db):
                county_notes.keep_for_workers(db, note.id, now())
            report.notes_kept += 1
            continue
        county_id = outbox.county_id(db, note.request_id)
        if not county_id:  # its request is not at the county yet (a token not resolved): the next run
            continue
        sent = _push_update(engine, report, note, county_id) if via == UPDATE else _push_one(engine, report, note, county_id)
        if not sent:
            return


def find_update(engine: Sender, note: county_notes.Note, county_id: str) -> open311.Outcome:
    """Whether the county holds this note as an update: ``FOUND`` (its id), ``NOT_FOUND``, ``REFUSED``
    (the county cannot say), or the client's unreachable / ambiguous / key refused."""
    made = datetime.fromisoformat(note.created_at)
    listed = engine.client.get_service_request_updates(_w3c(iso(made - LOOKUP_WINDOW)), _w3c(iso(made + LOOKUP_WINDOW)), county_id)
    if listed.kind != open311.OK:
        return listed
    if not isinstance(listed.data, list):
        return open311.Outcome(open311.REFUSED, reason="the county's list of updates could not be read")
    mine = update_fields(engine.db, note, county_id)
    for item in listed.data:
        if not isinstance(item, dict):
            continue
        same = str(item.get("update_id")) == note.uuid or (
            str(item.get("service_request_id")) == county_id and item.get("description") == mine["description"]
            and _same_time(item.get("updated_datetime"), mine["updated_datetime"]))
        if same:
            return open311.Outcome(open311.FOUND, service_request_id=str(item.get("update_id") or ""), date=listed.date)
    return open311.Outcome(open311.NOT_FOUND, date=listed.date)


def _same_time(theirs, ours: str) -> bool:
    try:
        return datetime.fromisoformat(str(theirs).replace("Z", "+00:00")) == datetime.fromisoformat(ours.replace("Z", "+00:00"))
    except ValueError:
        return False


def _push_update(engine: Sender, report: RunReport, note: county_notes.Note, county_id: str) -> bool:
    """One note as an update; False when the run's notes must stop (the county unreachable, the key refused)."""
    db, now = engine.db, lambda: iso(engine.now())
    if note.ambiguous:
        found = find_update(engine, note, county_id)
        if found.kind == open311.FOUND:
            with write_transaction(db):
                county_notes.mark_sent(db, note.id, found.service_request_id or note.uuid, now(), UPDATE)
            report.notes_sent += 1
            return True
        no_answer = found.kind == open311.AMBIGUOUS and not found.http_status  # a timeout, a dropped connection
        if found.kind in (open311.UNREACHABLE, open311.KEY_REFUSED) or no_answer:
            with write_transaction(db):
                county_notes.mark_retry(db, note.id, iso(engine.backoff(max(note.attempt, 1))), True, found.reason, now())
            report.key_refused = report.key_refused or found.kind == open311.KEY_REFUSED
            return False
        # NOT_FOUND; or the county cannot say (its list refused, an error, a garbled answer): send (again),
        # a duplicate note is harmless.
    fields = update_fields(db, note, county_id)
    return _send(engine, report, note, lambda: engine.client.post_service_request_update(fields), UPDATE,
                 f"an update about {county_id}")


def _push_one(engine: Sender, report: RunReport, note: county_notes.Note, county_id: str) -> bool:
    db, now = engine.db, lambda: iso(engine.now())
    if note.ambiguous and engine.settings.uuid_lookup and engine.settings.attributes == "all":  # its kiosk_uuid went
        found = engine.client.find_by_client_uuid(note.uuid, NOTE_SERVICE)
        if found.kind == open311.FOUND:
            with write_transaction(db):
                county_notes.mark_sent(db, note.id, found.service_request_id, now(), NOTE_REQUEST)
            report.notes_sent += 1
            return True
        if found.kind != open311.NOT_FOUND:
            with write_transaction(db):
                county_notes.mark_retry(db, note.id, iso(engine.backoff(max(note.attempt, 1))), True, found.reason, now())
            return False
    fields = note_fields(note, county_id, engine.settings.kiosk_id, engine.settings.location)
    return _send(engine, report, note, lambda: engine.client.send_service_request(fields), NOTE_REQUEST,
                 f"a note about {county_id}")


def _send(engine: Sender, report: RunReport, note: county_notes.Note, post, sent_as: str, what: str) -> bool:
    """Send one note as ``sent_as`` (``post()`` makes the one POST) exactly once: ``in_flight`` committed
    durably first, then what the answer means recorded; False when the run's notes must stop."""
    db, now = engine.db, lambda: iso(engine.now())
    with write_transaction(db, durable=True):
        attempt = county_notes.mark_in_flight(db, note, now())
    outcome = post()
    with write_transaction(db):
        if outcome.kind == open311.ACCEPTED:
            county_notes.mark_sent(db, note.id, outcome.service_request_id or f"token:{outcome.token}", now(), sent_as)
            report.notes_sent += 1
            return True
        if outcome.kind == open311.REFUSED:
            county_notes.mark_refused(db, note.id, outcome.reason, now())
            report.errors.append(f"the county refused {what}: {outcome.reason}")
            return True
        ambiguous = outcome.kind == open311.AMBIGUOUS  # it may have arrived; unreachable or a refused key: it did not
        county_notes.mark_retry(db, note.id, iso(engine.backoff(attempt)), ambiguous, outcome.reason, now())
    if outcome.kind == open311.KEY_REFUSED:
        report.key_refused = True
    return ambiguous
