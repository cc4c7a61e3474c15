"""Resident views: start → service → one page per question → about you → contact → check → receipt.

Plain forms with POST-redirect-GET, so every page works without JavaScript; htmx (boosted links and
forms, plus a partial for the keypad) only makes it smoother. Invalid answers re-render the same
page with a 422, the typed text kept and the errors at the top and at the field.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import (abort, current_app, g, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from core import catalogue, drafts, media, outbox, submissions, tickets
from core.actions import resident as actions
from core.wording import Centre

from . import feedback, bp, confirm, flow, keypad, leaving, visit
from .home import HomePublicForm
from .lookup import draft_and_service, find_typed, start_again
from .forms import AddressChooser, ContactForm, DetailsForm, QuestionForm, StepForm
from .visit import DRAFT_COOKIE
from .. import limits, printing, receipts
from ..db import get_db
from ..i18n import LOCALES, current_locale
from ..limits import guess_limits
from ..security import csrf, local_path, session_less_form
from ..status import ladder, not_taken_yet
from ..shared_screen import on_shared_screen

TEXT_SIZES = leaving.TEXT_SIZES


@bp.app_context_processor
def page_context() -> dict:
    return {"locale": current_locale(), "text_size": session.get("text_size", 0), "idle": visit.idle_settings(),
            "retention_days": round(current_app.config["CLOSED_RETENTION_DAYS"])}


def _safe_next(default: str = "/") -> str:
    """A local path to return to after a preference change (never another site)."""
    return local_path(request.form.get("next") or request.args.get("next"), default)


# --- preferences ------------------------------------------------------------------------------


@bp.post("/language")
@csrf.exempt  # no harm can be forged here, and a token would give every first look a session
def language():
    """Switch the page language for this visit."""
    chosen = request.form.get("locale")
    if chosen in LOCALES:
        session["locale"] = chosen
    return redirect(_safe_next())


@bp.post("/text-size")
@csrf.exempt
def text_size():
    """Make text larger or smaller for this visit."""
    try:
        size = int(request.form.get("size", "0"))
    except ValueError:
        size = 0
    session["text_size"] = size if size in TEXT_SIZES else 0
    return redirect(_safe_next())


# --- start and service -----------------------------------------------------------------------


@bp.get("/")
def start():
    """Tiles for every service, by group (rendered once per language and catalogue version).

    Coming back here on the kiosk's own screen by any way but Home (a ← link, a typed address) ends
    the visit as Home does, then shows a clean start page: the next person is a stranger."""
    if visit.left_open():
        return visit.end(keep_preferences=True)
    db, locale = get_db(), current_locale()
    tiles = catalogue.cached(db, ("start-page tiles", locale, request.script_root), lambda: Markup(
        render_template("resident/_service_tiles.html", groups=catalogue.list_groups(db, locale))))
    return render_template("resident/start.html", service_tiles=tiles,
                           confirm_poll=url_for("resident.waiting") if on_shared_screen() else None,
                           confirm_poll_seconds=confirm.POLL_SECONDS)


@bp.route("/services/<code>", methods=["GET", "POST"])
@session_less_form()  # a first look at a service makes no session
def service(code: str):
    """What the service is, what to bring, how long it takes; Start creates (or resumes) a draft."""
    db = get_db()
    svc = catalogue.get_service(db, code, current_locale())
    if svc is None:
        abort(404)
    if request.method != "POST":  # a HEAD is a look too: it starts nothing
        return render_template("resident/service.html", service=svc)
    existing = visit.current_draft()
    if existing and existing.service_code == svc.code:
        return redirect(flow.url_of(flow.first_unanswered(svc, existing)))
    refused = limits.draft_start_refused()
    if refused:
        return refused
    try:
        token, draft = actions.start_draft(db, svc.code, current_locale(), *limits.reclaim_times())
    except drafts.NoFreeCode:
        return limits.no_free_code()
    response = redirect(flow.url_of(flow.steps(svc)[0]))
    response.set_cookie(DRAFT_COOKIE, token, httponly=True, samesite="Lax")
    return response


# --- the form pages: one path for all of them ---------------------------------------------------


def form_step(make: Callable[[catalogue.Service, drafts.Draft], StepForm]):
    """Run one form page: load the draft, show the page; on POST check, keep, save and go on —
    or show the page again with the typed values and the errors (422). A POST that is not a whole
    answer yet (a level of the address chooser) goes on to what is still to ask, saving nothing."""
    found = draft_and_service()
    if not found:
        return start_again()
    draft, svc = found
    form = make(svc, draft)
    skipped = form.skip()
    if skipped is not None:
        return skipped
    returning = request.values.get("return") == "check"
    way_out = request.args.get("leave") if request.method == "POST" and form.keeps_typed else None
    if way_out in leaving.WAYS_OUT:  # Back, Home, Help, language…: keep what is in the field, then go
        form.keep_typed(request.form)
        return leaving.leave_to(way_out, form.here_url(returning), form.back_url(returning))
    errors: list[tuple[str, str]] = []
    if request.method != "POST":
        shown = form.shown()
        if g.get("body_refused"):  # a body over the cap (kiosk/views_errors.py): the earlier answer, and why
            errors = [(form.field, _("That was more than the kiosk can take in at once, so it was not saved. "
                                     "Your earlier answer is shown here: please write it more briefly."))]
    else:
        values, errors = form.check(request.form)
        if not errors:
            later = form.pending(values, returning)
            if later:
                return redirect(later)
            form.keep(values)
            actions.save_answers(get_db(), draft)
            return redirect(form.next_url(returning))
        shown = form.typed(request.form, values)
    steps = flow.steps(svc)
    return render_template(
        form.template, service=svc, errors=errors, returning=returning, back=form.back_url(returning),
        step_number=steps.index(form.step) + 1, step_count=len(steps), **shown,
        leave_via=request.path if form.keeps_typed else None,
    ), (422 if errors else 200)


@bp.route("/request/questions/<code>", methods=["GET", "POST"])
def question(code: str):
    """One question per page."""
    return form_step(lambda svc, draft: QuestionForm(svc, draft, code))


@bp.route("/request/questions/<code>/address", methods=["GET", "POST"])
def question_address(code: str):
    """A question's answer chosen from the centre's address book, one level per page."""
    return form_step(lambda svc, draft: AddressChooser.for_question(svc, draft, code))


@bp.route("/request/about-you", methods=["GET", "POST"])
def details():
    """Name and/or address, only for services that need them."""
    return form_step(DetailsForm)


@bp.route("/request/about-you/address", methods=["GET", "POST"])
def details_address():
    """Where the resident lives, chosen from the centre's address book, one level per page."""
    return form_step(AddressChooser.for_details)


@bp.route("/request/about-you/address/public", methods=["GET", "POST"])
def home_public():
    """May the county show her address on its public list: only where it wants it (kiosk/resident/home.py)."""
    return form_step(HomePublicForm)


@bp.route("/request/contact", methods=["GET", "POST"])
def contact():
    """How a worker should get back to the resident: at the centre, by phone, or not at all."""
    return form_step(ContactForm)


@bp.route("/request/check", methods=["GET", "POST"])
def check():
    """Every answer with a Change link; Confirm saves the request for good. A draft a worker is
    filling in for a resident (assisted filing) is not saved here: the worker gets the two ways to
    the resident's yes instead."""
    found = draft_and_service()
    if not found:
        return start_again()
    draft, svc = found
    missing = flow.first_unanswered(svc, draft)
    if missing != ("resident.check", None):
        return redirect(flow.url_of(missing))
    if draft.assisted_by:  # a worker filled it in: the resident's yes comes through kiosk/worker/assist.py
        if request.method == "POST":
            return render_template("resident/confirm_gone.html"), 409
        return render_template(
            "resident/check.html", service=svc, rows=flow.check_rows(svc, draft), assisted=True,
            by_me=current_user.is_authenticated and current_user.login == draft.assisted_by,
            back=flow.back_url(svc, ("resident.check", None)),
        )
    if request.method == "POST":
        try:
            saved = actions.save_request(get_db(), draft, current_app.config["KIOSK_ID"], Centre.from_config(current_app.config))
        except submissions.AlreadySaved:
            return start_again()
        except submissions.SaveFailed as exc:
            current_app.logger.error("request not saved: %s", exc)
            return render_template("resident/not_saved.html", service=svc), 503
        session["receipt"] = saved.ticket  # the signed session says whose receipt it is: no code in the cookie
        response = redirect(url_for("resident.receipt", ticket=saved.ticket))
        response.delete_cookie(DRAFT_COOKIE)
        return response
    return render_template(
        "resident/check.html", service=svc, rows=flow.check_rows(svc, draft),
        back=flow.back_url(svc, ("resident.check", None)),
    )


# --- receipt and status ----------------------------------------------------------------------


@bp.get("/receipt/<ticket>")
def receipt(ticket: str):
    """The ticket in very large type, its QR code and what happens next (this browser only)."""
    if session.get("receipt") != ticket:
        abort(404)
    saved = submissions.by_ticket(get_db(), ticket)
    if saved is None:
        abort(404)
    svc = catalogue.get_service(get_db(), saved.service_code, current_locale(), include_hidden=True)
    url = receipts.status_url(saved.ticket)
    return render_template(
        "resident/receipt.html", saved=saved, service=svc, rows=flow.receipt_rows(svc, saved),
        to_write_down=media.unwritten(get_db(), saved.id),  # it waits for a worker, not for the network
        qr=receipts.qr_svg(url, _("QR code: scan it with a phone to check progress")),
        print_answer=printing.receipt_answer(),  # what the printer did, once, after *Print the receipt*
        has_printer=printing.printer().configured,  # speech mode prints at once where there is one (speech_mode.js)
    )


@bp.post("/receipt/done")
def receipt_done():
    """Finish: forget this resident's receipt and preferences so the next person starts clean."""
    return visit.end(keep_preferences=False)


@bp.route("/status", methods=["GET", "POST"])
@session_less_form("entered")
@guess_limits()
def status_lookup():
    """A big keypad (and plain text fields on phones) to look a ticket up."""
    entered = tickets.normalise(request.form.get("entered", ""))[:12]
    errors = []
    if request.method == "POST":
        key = request.form.get("key")
        if key:
            entered = keypad.press(entered, key, "0123456789" + tickets.LETTERS, 12)
            partial = keypad.entry_only("ticket-entry", "resident/_ticket_entry.html", entered)
            if partial is not None:
                return partial
        else:
            saved = find_typed(entered)
            if saved:
                feedback.remember_looked_up(saved.ticket)  # this visit may see it; Back after the visit may not
                return redirect(url_for("resident.status", ticket=saved.ticket, visit=1))
            errors = [("entered", _("We could not find that ticket. Please check the ticket number and the check code on your receipt."))]
    return render_template("resident/status_lookup.html", entered=entered, errors=errors,
                           letters=tickets.LETTERS), (422 if errors else 200)


@bp.get("/status/<ticket>")
@guess_limits()
def status(ticket: str):
    """The status ladder of one request (the receipt's QR code points here, with a signed token)."""
    saved, proof = feedback.opened(ticket)
    if saved is None:
        return render_template("resident/status_not_found.html"), 404
    svc = catalogue.get_service(get_db(), saved.service_code, current_locale(), include_hidden=True)
    events = outbox.events(get_db(), saved.id)
    return render_template("resident/status.html", saved=saved, service=svc, steps=ladder(events), proof=proof,
                           closing=feedback.question(saved), not_taken_yet=not_taken_yet(events),
                           to_write_down=media.unwritten(get_db(), saved.id),
                           centre_phone=current_app.config["CENTRE_PHONE"].strip())
