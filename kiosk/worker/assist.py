"""Assisted filing (代办): a worker fills a request in for a resident, and the resident confirms it.

The worker starts a draft for a service, or continues one the resident left by its six-digit resume
code (the same wrong-guess limits as the resident's keypad), and the draft is marked as theirs
(:func:`core.drafts.assist`). They then answer the residents' own question pages — the same views
(``form_step``) and templates, under the same draft cookie — up to the check page, which for an
assisted draft offers the worker two ways to the resident's yes instead of "Confirm and save":

- **At the kiosk.** "Show on the kiosk for the resident to confirm" puts the draft on the kiosk's
  screen (:func:`core.drafts.ask_confirmation`); the screen's start page polls for it and opens it
  (:mod:`kiosk.resident.confirm`), where the resident taps one large "Yes, this is right — save it".
  On the kiosk's own screen the worker is taken straight there (hand over the screen); on a phone
  they wait on a page that says when the resident has confirmed, and the ticket.
- **Not there** (a phone call, a home visit): the worker reads it back, chooses how the resident said
  yes (by phone, at home, another way), and confirms that with a second tap.

Either way the request is saved once by :func:`core.submissions.save_request` (``filled_by="worker"``,
no name), and the audit log gets the worker and the resident's confirmation in the same transaction.
"""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import audit, catalogue, drafts, submissions
from core.actions import worker as actions
from core.wording import Centre

from . import bp, nav_item
from .auth import on_shared_screen, worker_required
from ..db import get_db
from ..i18n import current_locale
from ..limits import guess_limits, no_free_code, reclaim_times
from ..resident import flow, visit
from ..resident.visit import DRAFT_COOKIE

#: How a resident who is not at the kiosk said yes, in words (the key goes into the audit log).
VERBAL = {
    "phone": _l("By phone"),
    "home": _l("At their home"),
    "other": _l("Another way"),
}


def register_nav() -> None:
    nav_item("worker.assist", _l("Fill in for a resident"), "✍️")


def _mine() -> tuple[drafts.Draft, catalogue.Service] | None:
    """The assisted draft this worker has open, with its service, or None."""
    draft = visit.current_draft()
    if draft is None or draft.assisted_by != current_user.login:
        return None
    service = visit.service_of(draft)
    return (draft, service) if service else None


def _page(errors=None, entered: str = "", status: int = 200):
    groups = catalogue.list_groups(get_db(), current_locale())
    return render_template("worker/assist.html", groups=groups, errors=errors or [], entered=entered), status


@bp.get("/assist")
@worker_required
def assist():
    """Choose a service to fill in for a resident, or continue a draft they left by its code."""
    return _page()


@bp.post("/assist/start")
@worker_required
def assist_start():
    """A new draft for the chosen service, marked as filled in by this worker."""
    db = get_db()
    service = catalogue.get_service(db, request.form.get("service", ""), current_locale())
    if service is None:
        abort(404)
    try:  # a draft this browser had open stays kept, under its code
        token, _draft = actions.start_assisting(db, current_user.login, service.code, current_locale(),
                                                request.cookies.get(DRAFT_COOKIE), *reclaim_times())
    except drafts.NoFreeCode:
        return no_free_code()
    response = redirect(flow.url_of(flow.steps(service)[0]))
    response.set_cookie(DRAFT_COOKIE, token, httponly=True, samesite="Lax")
    return response


@bp.post("/assist/continue")
@worker_required
@guess_limits(by_ticket=False)
def assist_continue():
    """Continue a draft a resident left, by its six-digit code (wrong codes count as guesses)."""
    entered = "".join(c for c in request.form.get("entered", "") if c.isdigit())[:drafts.RESUME_DIGITS]
    db = get_db()
    found = actions.continue_assisting(db, current_user.login, entered, visit.resumable_since(),
                                       request.cookies.get(DRAFT_COOKIE))
    if not found:
        return _page([("entered", _("We could not find answers kept under that code. Please check the six digits."))],
                     entered, 422)
    token, draft = found
    response = redirect(visit.where_to_continue(draft))
    response.set_cookie(DRAFT_COOKIE, token, httponly=True, samesite="Lax")
    return response


def _ready() -> tuple[drafts.Draft, catalogue.Service] | None:
    """This worker's assisted draft, if every answer is in (else None: the check page sends on)."""
    found = _mine()
    if found and flow.first_unanswered(found[1], found[0]) == ("resident.check", None):
        return found
    return None


@bp.post("/assist/show")
@worker_required
def assist_show():
    """Put the draft on the kiosk's screen for the resident to confirm (the worker's phone waits)."""
    found = _ready()
    if not found:
        return redirect(url_for("resident.check"))
    draft, _service = found
    actions.show_on_kiosk(get_db(), current_user.login, draft)
    session["assist_ref"] = drafts.ref(draft)
    if on_shared_screen():  # the worker is at the kiosk: hand the screen over to the resident
        return redirect(url_for("resident.confirm"))
    return redirect(url_for("worker.assist_waiting"))


@bp.post("/assist/withdraw")
@worker_required
def assist_withdraw():
    """Take the draft off the kiosk's screen (the resident went away, or something is to change)."""
    found = _mine()
    if found:
        actions.take_off_kiosk(get_db(), found[0].id)
    return redirect(url_for("resident.check"))


def _saved_by_ref(ref: str) -> submissions.SavedRequest | None:
    """The request this worker filled in under ``ref``, once saved (found through the audit log)."""
    entries, _more = audit.page(get_db(), 1, actor=current_user.actor, size=20)
    for entry in entries:
        if entry.action == "request.filed_for_resident" and entry.detail.get("ref") == ref and entry.request_id:
            return submissions.get(get_db(), entry.request_id)
    return None


@bp.get("/assist/waiting")
@worker_required
def assist_waiting():
    """Waiting for the resident's yes on the kiosk's screen; polled, it says when and the ticket."""
    ref = session.get("assist_ref", "")
    saved = _saved_by_ref(ref) if ref else None
    found = _mine()
    waiting = bool(found) and drafts.confirmation_asked(get_db(), found[0])
    context = {"saved": saved, "waiting": waiting, "service": found[1] if found else None}
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "assist-waiting":
        response = current_app.make_response(render_template("worker/_assist_waiting.html", **context))
    else:
        response = current_app.make_response(render_template("worker/assist_waiting.html", **context))
    if saved:
        response.delete_cookie(DRAFT_COOKIE)
    return response


@bp.route("/assist/verbal", methods=["GET", "POST"])
@worker_required
def assist_verbal():
    """The resident is not here: read it back to them, record how they said yes, and (a second tap) save."""
    found = _ready()
    if not found:
        if request.method == "POST" and visit.current_draft() is None:  # saved already: a second tap, a replay
            return render_template("worker/assist_gone.html"), 409
        return redirect(url_for("resident.check"))
    draft, service = found
    how = request.form.get("how", "")
    if request.method == "POST" and how not in VERBAL:
        how = ""
    if request.method == "POST" and how and request.form.get("sure") == "yes":
        try:
            saved = actions.file_for_resident(get_db(), current_user.login, draft, current_app.config["KIOSK_ID"], how,
                                              Centre.from_config(current_app.config))
        except submissions.AlreadySaved:
            return render_template("worker/assist_gone.html"), 409
        except submissions.SaveFailed as exc:
            current_app.logger.error("assisted request not saved: %s", exc)
            return render_template("resident/not_saved.html", service=service), 503
        session["receipt"] = saved.ticket
        response = redirect(url_for("resident.receipt", ticket=saved.ticket))
        response.delete_cookie(DRAFT_COOKIE)
        return response
    rows = [{"key": row["key"], "value": row["value"]} for row in flow.check_rows(service, draft)]
    return render_template("worker/assist_verbal.html", service=service, rows=rows, how=how,
                           how_text=VERBAL.get(how), ways=VERBAL)
