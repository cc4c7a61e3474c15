"""The worker's list for the day, today first: requests the county refused (with a way to correct the
refused field and send it again, once), county status changes to pass on to residents (with one-tap
outcomes), residents waiting at a kiosk, today's new requests, notes the county cannot take (to tell it
yourself) and unfinished drafts.

Each section is built from its owner's questions (:mod:`core.outbox`, :mod:`core.submissions`,
:mod:`core.follow_ups`, :mod:`core.drafts`, :mod:`core.help_calls` through :mod:`.calls`); the
templates get plain data. A correction is one action (:func:`core.actions.worker.correct_and_resend`):
the owner of what it changes, then :func:`core.outbox.requeue`, in one transaction with its audit
entries: the sync engine sends it once more, like ``flask sync retry``. Personal data (a phone number, a corrected name) is shown only here, behind the
worker login; the audit log gets field names, never values.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import format_date, format_time, format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import feedback, catalogue, clock, county_notes, drafts, follow_ups, media, outbox, personal, submissions
from core.actions import worker as actions
from core.wording import Centre
from sync import refusals
from sync.payload import kiosk_field, payload_key

from . import bp, calls, letters, writing
from .auth import worker_required
from .. import validation
from ..db import get_db
from ..i18n import LOCALES, centre_locale, current_locale, when
from ..resident.feedback import RATINGS
from ..resident.flow import contact_text

RATING_WORDS = dict(RATINGS)

# --- the county's reason, in plain words ------------------------------------------------------------

#: Why the county refused a request, by the reason code :mod:`sync.refusals` read from its answer
#: (``unknown`` has no words of ours: the county's own are shown).
REASONS = {
    "required": _l("The county needs an answer to this question."),
    "not_allowed": _l("The county does not accept this answer."),
    "one_value": _l("The county accepts only one answer here."),
    "too_long": _l("This is too long for the county."),
    "refused_text": _l("The county refused some words in this answer."),
    "no_service": _l("The county no longer offers this service. Please help the resident choose another one."),
    "conflict": _l("The county already holds a different request under the same number. Please ask the administrator."),
    "server_error": _l("The county's system failed every time this request was sent. It may need something the kiosk"
                       " did not send: check the answers and send it again, or ask the administrator."),
}


def _contains(value: object, text: str) -> bool:
    return any(text in str(v) for v in (value if isinstance(value, list) else [value]))


def refused_field(saved: submissions.SavedRequest, details: dict, service,
                  refusal: refusals.Refusal) -> tuple[str, str] | None:
    """Which stored value the county refused: ``("answer", question code)`` or ``("personal", field)``;
    None when the refusal names nothing of this request a worker can correct."""
    field = refusal.field
    if field and (field[0] == "personal" or (service and service.question(field[1]))):
        return field
    if refusal.text:
        for code in (q.code for q in service.questions) if service else ():
            if _contains(saved.answers.get(code), refusal.text):
                return "answer", code
        for name in ("name", "address", "phone"):
            if _contains(details.get(name, ""), refusal.text):
                return "personal", name
    return None


def correctable(details: dict, service, refusal: refusals.Refusal) -> list[tuple[str, str]]:
    """Every field a worker may correct when the county did not say which one it refused: each question
    of the service and each personal detail the request holds; none for a refusal no field can fix."""
    if refusal.code in refusals.NOT_A_FIELD:
        return []
    return ([("answer", q.code) for q in service.questions] if service else []) + \
        [("personal", name) for name in ("name", "address", "phone") if details.get(name)]


PERSONAL_LABELS = {"name": _l("Name"), "address": _l("Home address"), "phone": _l("Phone number")}


def _field_label(service, target: tuple[str, str]) -> str:
    kind, code = target
    if kind == "answer":
        question = service.question(code) if service else None
        return question.text if question else code
    return str(PERSONAL_LABELS[code])


# --- the sections ----------------------------------------------------------------------------------

def _service(db, code: str):
    return catalogue.get_service(db, code, current_locale(), include_hidden=True)


def _service_name(db, code: str) -> str:
    service = _service(db, code)
    return service.name if service else code


def quarantined(db) -> list[dict]:
    """Requests the county refused, with the reason in words and what to correct."""
    rows = []
    for row in outbox.changed_since(db, (outbox.QUARANTINED,), ""):  # every one, through the state index
        saved = submissions.get(db, row["request_id"])
        event = outbox.current_event(db, saved.id)
        refusal = refusals.recorded(event["data"])
        service = _service(db, saved.service_code)
        details = personal.load_for_request(db, saved.id)
        target = refused_field(saved, details, service, refusal)
        fixable = target is not None or bool(correctable(details, service, refusal))
        rows.append({"id": saved.id, "ticket": saved.ticket, "service": service.name if service else saved.service_code,
                     "when": when(event["at"]), "reason": str(REASONS[refusal.code]) if refusal.code in REASONS else None,
                     "county_text": refusal.words, "field": _field_label(service, target) if target else None,
                     "fix": url_for("worker.correct", request_id=saved.id) if fixable else None})
    return rows


STATE_WORDS = {outbox.IN_PROGRESS: _l("The county is handling it"), outbox.CLOSED: _l("The county has finished it")}


def to_pass_on(db) -> list[dict]:
    """County status changes the resident has not been told of, with how to reach them."""
    rows = []
    for pending in follow_ups.to_pass_on(db):
        saved = submissions.get(db, pending.request_id)
        details = personal.load_for_request(db, saved.id)
        event = outbox.current_event(db, saved.id)
        rows.append({"id": saved.id, "event": pending.event_id, "ticket": saved.ticket,
                     "service": _service_name(db, saved.service_code), "state": str(STATE_WORDS[pending.state]),
                     "ask": feedback.to_ask(db, saved.id) == pending.event_id,  # closed: ask whether it is really solved
                     "notes": str(event["data"].get("status_notes") or ""), "when": when(pending.at),
                     "contact": contact_text(details) if details else _("Not known (the details were deleted)"),
                     "phone": details.get("phone") if details.get("contact") == "phone" else None,
                     "tried": format_date(datetime.fromisoformat(pending.tried_at), "medium") if pending.tried_at else None})
    return rows


FOLLOW_UP_WORDS = {
    follow_ups.TOLD: _l("A worker told the resident the county's news."),
    follow_ups.CAME_IN: _l("The resident came in and was told the county's news."),
    follow_ups.NOT_REACHED: _l("A worker could not reach the resident; they will try again."),
}


def _note_says(db, note: county_notes.Note) -> str:
    """What a note tells the county, in the worker's language."""
    fields = note.fields
    if note.kind == county_notes.FOLLOW_UP:
        return str(FOLLOW_UP_WORDS.get(fields.get("outcome"), fields.get("outcome", "")))
    if note.kind == county_notes.ANSWER:
        return _("The resident says the problem is solved.") if fields.get("solved") == "yes" else \
            _("The resident says the problem is not solved (it was sent again as a new request).")
    if note.kind == county_notes.RATING:
        rating = int(fields.get("rating", 0) or 0)
        return _("The resident's rating: %(rating)s", rating=str(RATING_WORDS.get(rating, rating)))
    return _("The resident wrote: %(text)s", text=county_notes.text(db, note.id))


def notes_to_tell(db) -> list[dict]:
    """Notes the county cannot take (no update extension, no note service): a worker tells the county
    themselves, with its id of the request, and marks each told."""
    rows = []
    for note in county_notes.kept(db):
        saved = submissions.get(db, note.request_id)
        rows.append({"id": note.id, "ticket": saved.ticket, "service": _service_name(db, saved.service_code),
                     "county_id": outbox.county_id(db, note.request_id) or _("not known yet"),
                     "says": _note_says(db, note), "when": when(note.created_at)})
    return rows


COMMENTS_DAYS = 14


def residents_said(db) -> list[dict]:
    """What residents wrote when asked whether it was solved, in the last two weeks, newest first."""
    since = clock.iso(clock.now() - timedelta(days=COMMENTS_DAYS))
    rows = []
    for said in feedback.comments_since(db, since):
        saved = submissions.get(db, said["request_id"])
        again = submissions.get(db, said["reopened_as"]) if said["reopened_as"] else None
        rows.append({"ticket": saved.ticket, "service": _service_name(db, saved.service_code), "when": when(said["at"]),
                     "solved": bool(said["solved"]), "reopened": again.ticket if again else None,
                     "rating": str(RATING_WORDS[said["rating"]]) if said["rating"] else None, "comment": said["comment"]})
    return rows


def today_bounds(now: datetime | None = None) -> tuple[str, str]:
    """Today in the kiosk's time zone (``TIMEZONE``), as UTC ISO times: ``[start, end)``."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    local = (now or clock.now()).astimezone(zone)
    start = datetime.combine(local.date(), time(0), zone)
    return clock.iso(start), clock.iso(start + timedelta(days=1))


STATE_NAMES = {
    outbox.QUEUED: _l("Waiting to be sent"), outbox.IN_FLIGHT: _l("Being sent"),
    outbox.RETRY_WAIT: _l("Waiting to be sent"), outbox.QUARANTINED: _l("Refused by the county"),
    outbox.ACCEPTED: _l("Received by the county"), outbox.IN_PROGRESS: _l("Being handled"),
    outbox.CLOSED: _l("Finished"),
}


def new_today(db, twice: dict[int, str] | None = None) -> list[dict]:
    start, end = today_bounds()
    return [{"ticket": r["ticket"], "service": _service_name(db, r["service_code"]),
             "time": format_time(datetime.fromisoformat(r["requested_at"]), "short"),
             "state": str(STATE_NAMES.get(outbox.current_state(db, r["id"]), "")), "twice": (twice or {}).get(r["id"]),
             "page": url_for("worker.request_page", ticket=r["ticket"])}  # what was sent, what she said and showed
            for r in submissions.saved_between(db, start, end)]


def unfinished(db) -> list[dict]:
    now = clock.now()
    rows = []
    for draft in drafts.parked(db):
        age = now - datetime.fromisoformat(draft["created_at"])
        rows.append({"service": _service_name(db, draft["service_code"]),
                     "age": format_timedelta(age, threshold=1.1, add_direction=False) if age.total_seconds() >= 60
                     else _("under a minute")})
    return rows


TWICE_DAYS = 14


def joined(numbers: list[str]) -> str:
    """County numbers in a sentence: joined with 、 on a Chinese page, with commas in English."""
    return ("、" if current_locale().startswith("zh") else ", ").join(numbers)


def check_words(numbers: list[str]) -> str:
    return _("May have reached the county more than once: county numbers %(numbers)s. Please check with the county.",
             numbers=joined(numbers))


def twice(db) -> dict[int, str]:
    """Requests saved in the last two weeks that may have reached the county more than once (its reply was
    lost and the county could not say whether it held them), and not settled by a worker since: request
    id → what to check, in words."""
    start = clock.iso(clock.now() - timedelta(days=TWICE_DAYS))
    ids = [r["id"] for r in submissions.saved_between(db, start, clock.iso(clock.now() + timedelta(days=1)))]
    return {request_id: check_words(numbers)
            for request_id, numbers in outbox.possible_duplicates(outbox.histories(db, ids)).items()}


def maybe_twice(db, found: dict[int, str]) -> list[dict]:
    return [{"ticket": saved.ticket, "service": _service_name(db, saved.service_code), "check": check,
             "page": url_for("worker.request_page", ticket=saved.ticket)}
            for saved, check in ((submissions.get(db, i), check) for i, check in sorted(found.items()))]


def sections(db) -> dict:
    waiting = calls.shown()
    found = twice(db)
    return {"quarantined": quarantined(db), "twice": maybe_twice(db, found), "pass_on": to_pass_on(db), "waiting": waiting,
            "said": residents_said(db), "new_today": new_today(db, found), "drafts": unfinished(db), "to_tell": notes_to_tell(db),
            "to_write": writing.to_write(db)}


def summary(db) -> list[dict]:
    """How many are in each section, for the home page (sections with none left out)."""
    counts = [
        (_("Refused by the county, to correct"), len(outbox.changed_since(db, (outbox.QUARANTINED,), ""))),
        (_("Spoken answers to write down"), len(media.to_write_down(db))),
        (_("Status changes to pass on"), len(follow_ups.to_pass_on(db))),
        (_("Notes to tell the county yourself"), county_notes.kept_count(db)),
        (_("New requests today"), len(submissions.saved_between(db, *today_bounds()))),
        (_("Unfinished drafts"), len(drafts.parked(db))),
    ]
    return [{"key": label, "value": str(n)} for label, n in counts if n]


@bp.get("/worklist")
@worker_required
def worklist():
    """Today's list: what needs a worker, most urgent first."""
    return render_template("worker/worklist.html", **sections(get_db()), done=session.pop("worklist_done", None))


#: The resident's details a worker may be shown as kept on this kiosk (the county was not sent them).
KEPT_LABELS = {"name": _l("Name"), "address": _l("Home address"), "phone": _l("Phone number")}


def _request_page(db, saved: submissions.SavedRequest, refused: str | None = None):
    history = outbox.histories(db, [saved.id])
    numbers = outbox.possible_duplicates(history).get(saved.id)
    wording = submissions.wording_of(db, saved.id)
    # Personal data, behind the worker login only (docs/security.md): what the county was not sent, for
    # the worker who arranges a visit; nothing once the details are purged.
    details = personal.load_for_request(db, saved.id)
    kept = [{"key": str(KEPT_LABELS[f]), "value": details[f]}
            for f in outbox.kept_on_kiosk(history[saved.id]) if details.get(f)]
    return render_template(
        "worker/request.html", ticket=saved.ticket, service=_service_name(db, saved.service_code),
        saved_at=when(saved.requested_at), state=str(STATE_NAMES.get(outbox.current_state(db, saved.id), "")),
        county_id=outbox.county_ids(history)[saved.id], numbers=numbers or [],
        twice=check_words(numbers) if numbers else None, kept=kept, refused=refused,
        done=session.pop("request_done", None), letter=letters.letter_answer(),
        sent=wording.description if wording else None, **writing.request_media(db, saved.id),
        sent_lang=LOCALES.get(wording.locale if wording else "", LOCALES[centre_locale()])["lang"]), 422 if refused else 200


@bp.get("/request/<ticket>")
@worker_required
def request_page(ticket: str):
    """One request for a worker: its state, the county's numbers (all of them, where it may have reached
    the county more than once, each with a button to record which one the county keeps), the words the
    county was sent, to check with the county, and the resident's details kept on this kiosk."""
    db = get_db()
    saved = submissions.by_ticket(db, ticket)
    if saved is None:
        abort(404)
    return _request_page(db, saved)


@bp.post("/request/<ticket>/county-number")
@worker_required
def choose_county_number(ticket: str):
    """The worker checked with the county: record which of the numbers shown it keeps for this request
    (one number and no look-alike: "checked with the county"). Once only; a number not shown is refused."""
    db = get_db()
    saved = submissions.by_ticket(db, ticket)
    if saved is None:
        abort(404)
    number = request.form.get("number", "").strip()
    done = actions.choose_county_number(db, current_user.worker.login, saved.id, number)
    if done == actions.NOT_SHOWN:
        return _request_page(db, saved, refused=_("That is not one of the county numbers shown for this request."
                                                  " Nothing was changed: please choose one of the numbers below."))
    session["request_done"] = (_("Recorded: the kiosk now follows county number %(number)s.", number=number)
                               if done == actions.CHOSEN else _("Someone has already recorded this. Nothing was changed."))
    return redirect(url_for("worker.request_page", ticket=saved.ticket))


# --- one-tap outcomes ------------------------------------------------------------------------------

DONE = {
    follow_ups.TOLD: _l("Recorded: the resident was told."),
    follow_ups.NOT_REACHED: _l("Recorded: could not reach the resident. It stays on the list for tomorrow."),
    follow_ups.CAME_IN: _l("Recorded: the resident came in."),
}


@bp.post("/worklist/follow-up/<int:request_id>/<int:event_id>")
@worker_required
def follow_up(request_id: int, event_id: int):
    """Record what was done to pass a status change on (told, could not reach, came in)."""
    outcome = request.form.get("outcome", "")
    if outcome not in follow_ups.OUTCOMES:
        abort(400)
    if actions.record_follow_up(get_db(), current_user.worker.login, request_id, event_id, outcome):
        session["worklist_done"] = str(DONE[outcome])
    else:
        session["worklist_done"] = _("Someone has already recorded this. Nothing was changed.")
    return redirect(url_for("worker.worklist"))


@bp.post("/worklist/note-told/<int:note_id>")
@worker_required
def note_told(note_id: int):
    """The worker told the county themselves what a note it could not take says."""
    if actions.note_told_county(get_db(), current_user.worker.login, note_id):
        session["worklist_done"] = _("Recorded: you told the county.")
    else:
        session["worklist_done"] = _("Someone has already recorded this. Nothing was changed.")
    return redirect(url_for("worker.worklist"))


# --- correcting what the county refused -------------------------------------------------------------

def _check(service, target: tuple[str, str], form) -> tuple[object, str | None, object]:
    """``(clean value, error, what to show again)`` for the corrected field, as the resident pages check it."""
    kind, code = target
    if kind == "answer":
        question = service.question(code)
        raw = form.getlist("answer")
        value, error = validation.check_answer(question, raw)
        shown = value if question.datatype.endswith("valuelist") else validation.typed_back(raw[0] if raw else "", question.datatype)
        return value, error, shown
    raw = form.get("answer", "")
    value, error = {"name": validation.check_name, "address": validation.check_address,
                    "phone": validation.check_phone}[code](raw)
    return value, error, validation.typed_back(raw, code if code in validation.MAX_LENGTH else "string")


@bp.route("/worklist/correct/<int:request_id>", methods=["GET", "POST"])
@worker_required
def correct(request_id: int):
    """Correct the one field the county refused, and send the request again, once."""
    db = get_db()
    saved = submissions.get(db, request_id)
    if saved is None:
        abort(404)
    event = outbox.current_event(db, request_id)
    posted_event = request.form.get("event", type=int) if request.method == "POST" else None
    if event["state"] != outbox.QUARANTINED or (posted_event is not None and posted_event != event["event_id"]):
        return render_template("worker/correct_done.html", ticket=saved.ticket)
    service = _service(db, saved.service_code)
    details = personal.load_for_request(db, request_id)
    refusal = refusals.recorded(event["data"])
    reason = str(REASONS[refusal.code]) if refusal.code in REASONS else None
    target = refused_field(saved, details, service, refusal)
    chosen = None
    if target is None:  # the county did not say which field: the worker chooses among all of them
        choices = correctable(details, service, refusal)
        if not choices:
            abort(404)
        target = kiosk_field(request.values.get("field", ""))
        if target not in choices:
            return render_template(
                "worker/correct.html", ticket=saved.ticket, service=service.name if service else saved.service_code,
                reason=reason, county_text=refusal.words, target=None, event=event["event_id"], errors=[],
                choices=[(_field_label(service, c), url_for("worker.correct", request_id=request_id, field=payload_key(c)))
                         for c in choices])
        chosen = payload_key(target)
    current = saved.answers.get(target[1]) if target[0] == "answer" else details.get(target[1], "")
    errors = []
    if request.method == "POST":
        value, error, current = _check(service, target, request.form)
        if error:
            errors = [("answer-" + target[1], error)]
        else:
            if not actions.correct_and_resend(db, current_user.worker.login, request_id, target, value, event["event_id"],
                                          Centre.from_config(current_app.config)):
                return render_template("worker/correct_done.html", ticket=saved.ticket)  # a colleague was quicker
            session["worklist_done"] = _("Corrected. Request %(ticket)s will be sent to the county again at the next sync.",
                                         ticket=saved.ticket)
            return redirect(url_for("worker.worklist"))
    question = service.question(target[1]) if target[0] == "answer" else None
    return render_template(
        "worker/correct.html", ticket=saved.ticket, service=service.name if service else saved.service_code,
        reason=reason, county_text=refusal.words, target=target, chosen=chosen, question=question,
        label=_field_label(service, target), value=current, event=event["event_id"], errors=errors,
    ), (422 if errors else 200)
