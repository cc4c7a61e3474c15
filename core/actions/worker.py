"""What a community worker does: logs in and out, files a request for a resident, corrects and resends
one the county refused, records a follow-up and a resident's answer, answers a help call, exports
(see :mod:`core.actions` for the rule). ``login`` is the worker's login name; every action writes its
audit entries in its own transaction."""
from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from .. import audit, catalogue, county_notes, drafts, feedback, follow_ups, help_calls, media, outbox, submissions, workers
from ..db import write_transaction
from ..wording import Centre
from .resident import save_filled_in


def log_in(db: Database, login: str, password: str, screen: str) -> workers.Outcome:
    """Check a login (:func:`core.workers.authenticate`, outside any transaction: hashing is slow) and
    record it: ``login.succeeded`` (``screen``: ``kiosk`` or ``own``) or ``login.failed`` (under the
    account's name, or ``system`` for a name that does not exist). A hash made with old parameters is
    stored anew in the same transaction."""
    outcome = workers.authenticate(db, login, password)
    with write_transaction(db):
        if outcome.worker is None:
            if outcome.known:
                audit.record(db, outcome.known.actor, "login.failed", detail={"why": outcome.reason})
            else:
                audit.record(db, "system", "login.failed", detail={"why": "unknown_name"})
            return outcome
        outcome = workers.keep_new_hash(db, outcome)
        audit.record(db, outcome.worker.actor, "login.succeeded", detail={"screen": screen})
    return outcome


def log_out(db: Database, login: str, why: str | None = None) -> None:
    """The worker logged out (``why``: ``visit_ended`` when the end of a visit on the kiosk's own
    screen logged them out)."""
    with write_transaction(db):
        audit.record(db, audit.worker_actor(login), "logout", detail={"why": why} if why else None)


def start_assisting(db: Database, login: str, service_code: str, locale: str, open_token: str | None = None,
                    expired_before: str | None = None, empty_before: str | None = None) -> tuple[str, drafts.Draft]:
    """A new draft for ``service_code``, filled in by this worker for a resident; the draft this
    browser had open (``open_token``) is parked, kept under its code. Raises :class:`core.drafts.NoFreeCode`."""
    with write_transaction(db):
        drafts.park(db, open_token)
        token, draft = drafts.start(db, service_code, locale, expired_before, empty_before)
        drafts.assist(db, draft, login)
        audit.record(db, audit.worker_actor(login), "assist.started", detail={"service": service_code})
    return token, draft


def continue_assisting(db: Database, login: str, code: str, untouched_since: str = "",
                       open_token: str | None = None) -> tuple[str, drafts.Draft] | None:
    """Continue, for a resident, the draft they left under ``code``; None (nothing changed) if none."""
    with write_transaction(db):
        found = drafts.resume(db, code, untouched_since)
        if not found:
            return None
        token, draft = found
        drafts.park(db, open_token)
        drafts.assist(db, draft, login)
        audit.record(db, audit.worker_actor(login), "assist.continued", detail={"service": draft.service_code})
    return token, draft


def show_on_kiosk(db: Database, login: str, draft: drafts.Draft) -> str:
    """Put the filled-in draft on the kiosk's screen for its resident to confirm; the one-time key."""
    with write_transaction(db):
        key = drafts.ask_confirmation(db, draft)
        audit.record(db, audit.worker_actor(login), "assist.shown_on_kiosk", detail={"service": draft.service_code})
    return key


def take_off_kiosk(db: Database, draft_id: str) -> None:
    """Take the draft off the kiosk's screen (the resident went away, or something is to change)."""
    with write_transaction(db):
        drafts.withdraw_confirmation(db, draft_id)


def file_for_resident(db: Database, login: str, draft: drafts.Draft, kiosk_id: str, how: str,
                      centre: Centre = Centre()) -> submissions.SavedRequest:
    """Save the request this worker filled in, on the resident's yes given to them (``how``: in
    person, by phone…), with both audit entries, in one durable transaction. Raises
    :class:`core.submissions.AlreadySaved`, :class:`core.submissions.SaveFailed`."""
    return save_filled_in(db, draft, kiosk_id, login, audit.worker_actor(login), how, centre)


def correct_and_resend(db: Database, login: str, request_id: int, target: tuple[str, str], value: object,
                       event_id: int, centre: Centre = Centre()) -> bool:
    """Correct the field the county refused (``target``: ``("answer", code)`` or ``("personal", field)``),
    word the request again (an explicit human correction: :func:`core.submissions.compose_now`, in
    ``centre``'s language and place) and queue it again, with ``request.corrected`` and ``request.requeued``, in one durable
    transaction; False (nothing changed) when it is no longer quarantined (a colleague was quicker)."""
    actor = audit.worker_actor(login)
    with write_transaction(db, durable=True):
        if outbox.current_state(db, request_id) != outbox.QUARANTINED:
            return False
        if target[0] == "answer":
            submissions.correct_answer(db, request_id, target[1], value)
        else:
            submissions.correct_personal(db, request_id, target[1], value)
        corrected = submissions.get(db, request_id)
        comment = feedback.reopen_comment(db, request_id) if corrected.reopens else ""
        submissions.freeze(db, request_id, submissions.compose_now(db, corrected, centre, comment))
        outbox.requeue(db, request_id, by=actor)
        audit.record(db, actor, "request.corrected", request_id, {"field": target[1]})
        audit.record(db, actor, "request.requeued", request_id, {"event": event_id})
    return True


def write_down(db: Database, login: str, media_id: int, text: str, centre: Centre = Centre()) -> submissions.SavedRequest:
    """A worker listened to a spoken answer and wrote down what was said: the words become the answer
    (after anything the resident typed herself; for a list's "other", its words in the description),
    the request is worded again and, once nothing spoken waits any more, let go to the county, with
    ``request.written_down`` (never the words), in one durable transaction.
    Raises :class:`core.media.AlreadyWritten` (nothing changed) when a colleague was quicker."""
    actor = audit.worker_actor(login)
    with write_transaction(db, durable=True):
        done = media.write_down(db, media_id, text, login)
        request = submissions.get(db, done.request_id)
        service = catalogue.get_service(db, request.service_code, centre.locale, include_hidden=True)
        question = service.question(done.field) if service else None
        if question is None or question.datatype not in ("singlevaluelist", "multivaluelist"):
            typed = request.answers.get(done.field) or ""
            submissions.write_spoken_answer(db, request.id, done.field, f"{typed}\n{text}" if typed else text)
        request = submissions.get(db, request.id)
        submissions.freeze(db, request.id, submissions.compose_now(db, request, centre))
        audit.record(db, actor, "request.written_down", request.id, {"media": media_id})
        if not media.unwritten(db, request.id):
            outbox.release(db, request.id, why="written_down")
    return request


def record_follow_up(db: Database, login: str, request_id: int, event_id: int, outcome: str,
                     at: datetime | None = None) -> bool:
    """What was done to pass a status change on (told, could not reach, came in), with its audit
    entry, in one transaction; False (nothing recorded) when it was settled already or is no longer current."""
    with write_transaction(db):
        if not follow_ups.record(db, request_id, event_id, outcome, login, at=at):
            return False
        audit.record(db, audit.worker_actor(login), f"follow_up.{outcome}", request_id, {"event": event_id})
    return True


def record_resident_answer(db: Database, login: str, request_id: int, event_id: int, solved: bool,
                           kiosk_id: str, centre: Centre = Centre()) -> feedback.Answer:
    """The resident's answer to "is it really solved?", as they told this worker: it settles the
    follow-up (they were told), and a "no" reopens the request; one durable transaction with the
    audit entries. Raises :class:`core.feedback.NotAsked`, :class:`core.feedback.AlreadyAnswered`."""
    actor = audit.worker_actor(login)
    with write_transaction(db, durable=True):
        given = feedback.answer(db, request_id, event_id, solved, "worker", kiosk_id, by_worker=login, centre=centre)
        if follow_ups.record(db, request_id, event_id, follow_ups.TOLD, login):
            audit.record(db, actor, "follow_up.told", request_id, {"event": event_id})
        audit.record(db, actor, "answer.recorded", request_id,
                     {"event": event_id, "solved": "yes" if solved else "no",
                      **({"reopened_as": given.reopened_as} if given.reopened_as else {})})
    return given


def record_resident_rating(db: Database, login: str, answer_id: int, rating: int) -> feedback.Answer:
    """The resident's rating, as they told this worker. Raises :class:`core.feedback.AlreadyAnswered`."""
    with write_transaction(db):
        given = feedback.rate(db, answer_id, rating)
        audit.record(db, audit.worker_actor(login), "answer.rated", given.request_id, {"answer": given.id})
    return given


#: What :func:`choose_county_number` did.
CHOSEN, SETTLED_ALREADY, NOT_SHOWN = "chosen", "settled_already", "not_shown"


def choose_county_number(db: Database, login: str, request_id: int, number: str) -> str:
    """The worker checked with the county which of a possible duplicate's county numbers it keeps for this
    request (for a request with no look-alike, its own number: "checked with the county"): from now on the
    kiosk follows that number (:func:`core.outbox.settle`), with ``request.county_number_chosen`` (the
    number, and the one followed before where it changed), in one durable transaction. Returns
    :data:`CHOSEN`, :data:`SETTLED_ALREADY` (nothing recorded: a second tap, a colleague's, a replayed
    form) or :data:`NOT_SHOWN` (nothing recorded: not a number the worker was shown)."""
    actor = audit.worker_actor(login)
    with write_transaction(db, durable=True):
        try:
            data = outbox.settle(db, request_id, number, actor)
        except outbox.NotShown:
            return NOT_SHOWN
        if data is None:
            return SETTLED_ALREADY
        said = {"number": number, "followed_before": data.get("followed_before") or ""}  # ids, where the log can hold them
        audit.record(db, actor, "request.county_number_chosen", request_id,
                     {"shown": len(data["shown"]), **{k: v for k, v in said.items() if v and audit.DETAIL_TEXT.match(v)}})
    return CHOSEN


def note_told_county(db: Database, login: str, note_id: int) -> bool:
    """The worker told the county themselves what a note it could not take says (``note.told_county``);
    False (nothing recorded) when it was not on the list any more (a colleague was quicker)."""
    with write_transaction(db):
        note = county_notes.get(db, note_id)
        if note is None or not county_notes.mark_told(db, note_id, login):
            return False
        audit.record(db, audit.worker_actor(login), "note.told_county", note.request_id, {"note": note_id, "kind": note.kind})
    return True


def answer_call(db: Database, login: str, call_id: int) -> bool:
    """"I am going": the help call is answered by this worker (``help_call.answered``); False when it
    was answered already (or never existed)."""
    with write_transaction(db):
        call = help_calls.get(db, call_id)
        if call is None or not help_calls.answer(db, call_id, login):
            return False
        audit.record(db, audit.worker_actor(login), "help_call.answered", detail={"call": call_id, "kiosk": call.kiosk_id})
    return True


def note_audit_export(db: Database, login: str) -> None:
    """An administrator took the audit log away as a file: the log says so."""
    with write_transaction(db):
        audit.record(db, audit.worker_actor(login), "audit.exported")


def note_outcomes_export(db: Database, login: str, kind: str, rows: int, with_personal: bool) -> None:
    """A worker took the outcomes away as a file (``kind``: csv or json): how many rows, and whether
    with personal details."""
    with write_transaction(db):
        audit.record(db, audit.worker_actor(login), "outcomes.exported", None,
                     {"format": kind, "rows": rows, "personal": int(with_personal)})
