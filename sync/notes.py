"""Sending the centre's notes about a request up to the county, each exactly once (``core/county_notes.py``).

GeoReport v2 has no call to add a note to a request. Within the spec, a note is a request of its own
for a service the county lists for the purpose, :data:`NOTE_SERVICE` (``kiosk_note``), whose
attributes say which request it is about (``note_of``, the county's own id) and what happened
(``kind``, ``outcome``, ``status``, ``noted_at``). The reference county files such a request under the
one it names and closes it at once (county/api.py); a county that does not list the service gets no
notes, and they wait here, harmless (no personal data), until it does. ``docs/open311.md`` has the
attributes.

Exactly once, as for requests (:mod:`sync.engine`): a note is committed ``in_flight`` durably before
its POST; if a send may have reached the county (in flight when the sync service died, a timeout, a dropped
connection, a 5xx), the county is asked by the note's UUID first and the note is not sent again if it
is there. Refusals are final (``refused``, with the county's words): a note is never worth a worker's
correction. The note service is never offered to residents (:mod:`sync.catalogue` skips it).
"""
from __future__ import annotations

import hashlib
import json

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


def county_takes_notes(engine: Sender) -> bool:
    """Whether the county lists the note service (asked once per run, only when a note waits)."""
    return engine.client.get_service_definition(NOTE_SERVICE).kind == open311.OK


def push_notes(engine: Sender, report: RunReport, ignore_backoff: bool = False) -> None:
    """Send every due note whose request the county holds; stop the run's notes at the first unreachable county."""
    db, now = engine.db, lambda: iso(engine.now())
    due = county_notes.due(db, now(), engine.settings.batch_size, ignore_backoff)
    if not due:
        return
    if not county_takes_notes(engine):
        report.notes_waiting = len(due)
        return
    for note in due:
        county_id = outbox.county_id(db, note.request_id)
        if not county_id:  # its request is not at the county yet (a token not resolved): the next run
            continue
        if not _push_one(engine, report, note, county_id):
            return


def _push_one(engine: Sender, report: RunReport, note: county_notes.Note, county_id: str) -> bool:
    db, now = engine.db, lambda: iso(engine.now())
    if note.ambiguous and engine.settings.uuid_lookup:
        found = engine.client.find_by_client_uuid(note.uuid)
        if found.kind == open311.FOUND:
            with write_transaction(db):
                county_notes.mark_sent(db, note.id, found.service_request_id, now())
            report.notes_sent += 1
            return True
        if found.kind != open311.NOT_FOUND:
            with write_transaction(db):
                county_notes.mark_retry(db, note.id, iso(engine.backoff(max(note.attempt, 1))), True, found.reason, now())
            return False
    with write_transaction(db, durable=True):
        attempt = county_notes.mark_in_flight(db, note, now())
    outcome = engine.client.send_service_request(note_fields(note, county_id, engine.settings.kiosk_id, engine.settings.location))
    with write_transaction(db):
        if outcome.kind == open311.ACCEPTED:
            county_notes.mark_sent(db, note.id, outcome.service_request_id or f"token:{outcome.token}", now())
            report.notes_sent += 1
            return True
        if outcome.kind == open311.REFUSED:
            county_notes.mark_refused(db, note.id, outcome.reason, now())
            report.errors.append(f"the county refused a note about {county_id}: {outcome.reason}")
            return True
        ambiguous = outcome.kind == open311.AMBIGUOUS  # it may have arrived; unreachable or a refused key: it did not
        county_notes.mark_retry(db, note.id, iso(engine.backoff(attempt)), ambiguous, outcome.reason, now())
    if outcome.kind == open311.KEY_REFUSED:
        report.key_refused = True
    return ambiguous
