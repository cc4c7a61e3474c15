"""Residents waiting at a kiosk, for workers: the live list, the chime, and "I am going".

The list is polled by htmx every :data:`POLL_SECONDS` (a small partial; without JavaScript the page
has a Refresh link). Polling, not server-sent events: the kiosk is served by waitress with six
threads, and an event stream holds a thread for as long as a worker's page is open — twenty workers
would stall the residents' pages — while a poll costs a couple of milliseconds (bench/help_calls.py).
A new call plays the chime (static/js/worker.js) and says which kiosk, which service and which page.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Response, redirect, render_template, request, session, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import catalogue, help_calls
from core.actions import worker as actions

from . import bp, nav_item
from .auth import worker_required
from ..db import get_db
from ..i18n import current_locale
from engines.speech.chime import chime_wav

POLL_SECONDS = 2

#: Which page a resident was on, in words (a question's own text comes from the catalogue).
PAGES = {
    "resident.start": _l("the start page"),
    "resident.service": _l("a service's first page"),
    "resident.details": _l("About you"),
    "resident.details_address": _l("choosing where they live"),
    "resident.contact": _l("How should we contact you?"),
    "resident.check": _l("Check your answers"),
    "resident.receipt": _l("the receipt"),
    "resident.status_lookup": _l("Check progress"),
    "resident.status": _l("a request's progress"),
    "resident.help": _l("the help page"),
    "resident.resume": _l("continuing answers kept earlier"),
}


def described(call: help_calls.HelpCall, now: datetime) -> dict:
    """A call as a worker reads it: where, what for, on which page, how long ago."""
    service = catalogue.get_service(get_db(), call.service_code, current_locale(), include_hidden=True) if call.service_code else None
    endpoint, _sep, code = call.place.partition(":")
    page = None
    if endpoint == "resident.question" and service is not None:
        question = service.question(code)
        page = _("the question “%(question)s”", question=question.text) if question else None
    if page is None:
        page = str(PAGES.get(endpoint, _l("another page")))
    waited = now - datetime.fromisoformat(call.called_at)
    return {"id": call.id, "kiosk": call.kiosk_id, "service": service.name if service else None, "page": page,
            "waited": format_timedelta(waited, threshold=1.1, add_direction=False) if waited.total_seconds() >= 60 else _("under a minute"),
            "waiting": call.waiting, "rung_again": call.rings > 0}


def register_nav() -> None:
    nav_item("worker.calls", _l("Residents waiting"), "🙋")


def shown() -> dict:
    now = datetime.now(timezone.utc)
    waiting = help_calls.waiting(get_db())
    return {"calls": [described(c, now) for c in waiting], "call_ids": ",".join(c.token for c in waiting),
            "poll_seconds": POLL_SECONDS, "answered": session.pop("call_answered", None)}


@bp.get("/calls")
@worker_required
def calls():
    """Residents waiting at a kiosk for a person, the longest waiting first."""
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "help-calls":
        return render_template("worker/_calls.html", **shown())
    return render_template("worker/calls.html", **shown())


@bp.post("/calls/<int:call_id>/answered")
@worker_required
def answer_call(call_id: int):
    """"I am going": the call leaves every worker's list, and the resident's screen says so."""
    db = get_db()
    call = help_calls.get(db, call_id)
    if call is not None and actions.answer_call(db, current_user.worker.login, call_id):
        session["call_answered"] = {"kiosk": call.kiosk_id, "by_me": True}
    else:
        session["call_answered"] = {"kiosk": call.kiosk_id if call else "", "by_me": False}
    return redirect(url_for("worker.calls"))


@bp.get("/chime.wav")
@worker_required
def chime():
    response = Response(chime_wav(), mimetype="audio/wav")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
