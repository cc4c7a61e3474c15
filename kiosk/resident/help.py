"""Getting a person: "Ask a worker for help", on every resident page.

On the box's own screen the button is a form that calls a worker to this kiosk (:mod:`core.help_calls`:
which kiosk, which page, which service — nothing about the resident). The page then says, shown and
spoken, what is true at the moment: "we have called a worker" until one answers; then that the worker
is on the way, by their display name (nothing else about them). It learns the answer by itself: with
JavaScript a small fragment of the page asks every :data:`POLL_SECONDS` (htmx, ``/help/state``) and
stops once answered; without it the page refreshes itself every :data:`REFRESH_SECONDS` (a ``<meta>``
refresh, only while waiting).
If nobody answers within :data:`core.help_calls.RING_AGAIN_AFTER` the call is rung again (every
worker's list chimes again) and the page says so, kindly, with what else the resident can do. What
the page says is true for this resident: a call still waiting from someone before her at this kiosk is
the same call, rung again at her tap, and her waiting starts then (the session keeps the call's id and
``since``, when it was last rung at her tap). While waiting the kiosk does not reset.

Phones on the Wi-Fi are not at a kiosk: their button opens the same page without a call (go to the
service desk). The call's form carries no token, as Home does: a first look at a page makes no
session, and a forged call costs a worker a walk (a second call from the kiosk while one waits is the
same call).
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from core import clock, help_calls, workers
from core.actions import resident as actions

from . import bp
from .visit import current_draft
from ..db import get_db
from ..security import csrf, from_this_box, local_path
from ..voice_views import PLACEHOLDER, audio_element

QUESTION = "resident.question"
POLL_SECONDS = 1  # how often the waiting page's fragment asks whether a worker has answered (a 204 costs little)
REFRESH_SECONDS = 2  # without JavaScript the whole page is loaded again: not every second, it would flicker
STATES = ("waiting", "again", "answered")


def place_of(path: str) -> str:
    """Which page ``path`` is, as a worker would want it: its endpoint, and the question's code."""
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(path.split("?")[0], method="GET")
    except HTTPException:
        return "unknown"
    return f"{endpoint}:{args['code']}" if endpoint == QUESTION and "code" in args else endpoint


def _now() -> datetime:
    return current_app.config.get("CLOCK", clock.now)()


@bp.post("/help/call", endpoint="call_help")
@csrf.exempt
def call_help():
    """Call a worker to this kiosk, then show that a worker has been called."""
    back = local_path(request.form.get("from"), url_for("resident.start"))
    if not from_this_box():
        return redirect(url_for("resident.help", back=back))
    return call_or_show(back)


def call_or_show(back: str):
    """Call a worker to this kiosk (the same call again if one is waiting), then the page that says so."""
    draft = current_draft()
    ours = session.get("help_call") or {}
    called = actions.call_for_help(get_db(), current_app.config["KIOSK_ID"], place_of(back),
                                   draft.service_code if draft else None, now=_now(), ours=ours.get("id"))
    if called.id != ours.get("id"):  # her waiting starts now, whoever called from this kiosk before her
        session["help_call"] = {"id": called.id, "since": help_calls.last_rung(called)}
    return redirect(url_for("resident.help", back=back))


def _this_visits_call() -> tuple[help_calls.HelpCall | None, str | None]:
    """The call this visit made and what to say about it (one of :data:`STATES`), for this resident:
    "nobody has answered yet" only once it has been rung again since her tap. A call nobody has
    answered for :data:`~core.help_calls.RING_AGAIN_AFTER` is rung again first (at most
    :data:`~core.help_calls.RINGS_AT_MOST` times)."""
    ours = session.get("help_call") or {}
    db = get_db()
    called = help_calls.get(db, ours["id"]) if ours.get("id") else None
    if called is None:
        return None, None
    if help_calls.due_again(called, _now(), ours["since"]):
        called = actions.ring_again(db, called.id, _now()) or called
    if not called.waiting:
        return called, "answered"
    return called, "again" if help_calls.last_rung(called) > ours["since"] else "waiting"


def _state_context(called: help_calls.HelpCall | None, state: str | None, back: str) -> dict:
    coming = None
    if state == "answered":  # the worker's display name, nothing else about them
        worker = workers.by_login(get_db(), called.answered_by or "")
        coming = worker.display_name if worker else None
    title = {"waiting": _("We have called a worker"), "again": _("Nobody has answered yet"),
             "answered": _("%(name)s is on the way", name=coming) if coming else _("A worker is on the way")
             }.get(state, _("Ask a worker for help"))
    return {"call": called, "state": state, "coming": coming, "help_title": title, "back": back,
            "polling": state in ("waiting", "again"), "poll_seconds": POLL_SECONDS, "refresh_seconds": REFRESH_SECONDS,
            "centre_phone": current_app.config["CENTRE_PHONE"].strip()}


def _back() -> str:
    back = local_path(request.args.get("back"), "")
    return back if back.split("?")[0] != url_for("resident.help") else ""


@bp.get("/help", endpoint="help")
def help_page():
    """How to get a person: always available, from every page; after a call, whether one is coming."""
    called, state = _this_visits_call()
    context = _state_context(called, state, _back())
    extra = {"idle": None} if context["polling"] else {}  # waiting for a person is not walking away
    return render_template("resident/help.html", **context, **extra)


@bp.get("/help/state", endpoint="help_state")
def help_state():
    """The waiting page's changing part, asked for every few seconds by htmx: nothing new (204) while
    it says what it showed (``shown``); else the new part, and the page's Read aloud for its new words.
    Once answered the part asks no more."""
    called, state = _this_visits_call()
    if state is None:  # this visit has no call (it ended): the whole page again
        return "", 204, {"HX-Refresh": "true"}
    if request.args.get("shown") == state:
        return "", 204
    context = _state_context(called, state, _back())
    help_url = url_for("resident.help", back=context["back"] or None)
    page = render_template("resident/help.html", **context, idle=None)
    panel = render_template("resident/_speech_panel.html", speech_here=help_url)
    panel = panel.replace(PLACEHOLDER.decode(), audio_element(page), 1)
    return render_template("resident/_help_state.html", **context, speech_panel=Markup(panel), swap_title=True)
