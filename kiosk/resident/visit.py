"""One resident's visit at the shared screen: how it ends, and how answers left behind are picked up.

The next person at the screen is a stranger. So a visit ends — the draft is parked, the receipt
forgotten, the draft cookie dropped — when the resident taps Home, taps Finish, walks away, or comes
back to the start page by any other way (a page's ← link, the help page's "Back to the start", a typed
address: :func:`left_open`, on the kiosk's own screen). Walking away: after ``IDLE_SECONDS`` without a
touch the page asks "还需要继续吗？" (big, spoken), and after ``IDLE_WARNING_SECONDS`` more it ends the
visit by itself (``static/js/kiosk.js``). Nothing entered is lost: a parked draft opens again with its
six-digit resume code, which only the leaving page after Home shows (the resident is there, she tapped
it); the idle question never shows or speaks it, since nobody may be answering.
"""
from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from core import catalogue, clock, drafts, media
from core.actions import resident as actions

from . import bp, flow, keypad
from ..db import get_db
from ..i18n import current_locale
from ..limits import guess_limits
from ..security import csrf, from_this_box, local_path, renew_form_cookie, session_less_form
from ..shared_screen import kept_by_visit_end

DRAFT_COOKIE = "kiosk_draft"  # an opaque token: the draft itself stays in the database (core.drafts)
PREFERENCES = ("locale", "text_size", "speech", "speed", "always_read")  # kept by Home, dropped by a reset
#: What a session may hold at the start page without a visit being open: the preferences, the form
#: token, the visit's speech key. Not a help call: the next person must not inherit it (her screen
#: would say at once that nobody has answered her); the call stays on the workers' lists.
NOTHING_OF_A_VISIT = (*PREFERENCES, "csrf_token", "voice_owner")


def current_draft() -> drafts.Draft | None:
    """This visit's draft, if it has one (loaded once per request: kept in the request's environ,
    since ``g`` lives as long as the app context, which a test may hold open across requests)."""
    if "kiosk.draft" not in request.environ:
        request.environ["kiosk.draft"] = drafts.load(get_db(), request.cookies.get(DRAFT_COOKIE))
    return request.environ["kiosk.draft"]


def service_of(draft: drafts.Draft) -> catalogue.Service | None:
    """The service a draft is for, in the page's language (None if the catalogue no longer offers it)."""
    return catalogue.get_service(get_db(), draft.service_code, current_locale())


def where_to_continue(draft: drafts.Draft) -> str:
    """The first page of a draft still missing an answer (the check page when none is)."""
    service = service_of(draft)
    return flow.url_of(flow.first_unanswered(service, draft)) if service else url_for("resident.start")


def end(keep_preferences: bool) -> Response:
    """End the visit: park the draft, forget the receipt (and, unless kept, the preferences). On the
    kiosk's own screen a worker logged in there is logged out too; on a worker's phone they stay."""
    actions.park_draft(get_db(), request.cookies.get(DRAFT_COOKIE))
    kept = {k: session[k] for k in PREFERENCES if k in session} if keep_preferences else {}
    kept.update(kept_by_visit_end())  # a worker's login ends with the visit on the kiosk's own screen
    session.clear()
    if hasattr(session, "renew"):
        session.renew()  # a new id for what is kept: the old one opens nothing
    session.update(kept)
    renew_form_cookie()  # a form shown to this visit is refused to the next
    response = redirect(url_for("resident.start"))
    response.delete_cookie(DRAFT_COOKIE)
    return response


def left_open() -> bool:
    """Whether the kiosk's own screen comes to the start page with a visit still open (a draft, a
    receipt, a look-up, a worker logged in there): the start page then ends it as Home does.

    Only on the kiosk's own screen, where the next person is a stranger. A phone is its owner's: a
    resident's answers stay open on it (a resume code opens nothing on a phone), and a worker filling
    in for a resident keeps their draft and login whatever page they pass through.
    """
    if not from_this_box():
        return False
    return DRAFT_COOKIE in request.cookies or any(key not in NOTHING_OF_A_VISIT for key in session)


def idle_settings() -> dict | None:
    """What the page's walk-away timer needs, or None when there is nothing of this visit to forget."""
    if not session and DRAFT_COOKIE not in request.cookies:
        return None
    return {"seconds": current_app.config["IDLE_SECONDS"], "warning": current_app.config["IDLE_WARNING_SECONDS"]}


@bp.post("/visit/end", endpoint="end_visit")
@csrf.exempt  # ending a visit must work even when its session is gone (restart, eviction); it harms no one
def end_visit():
    """Home (keeps language and text size), Finish and the idle reset (forget everything)."""
    why = request.form.get("why")
    if why == "home":
        return home()
    return end(keep_preferences=why in ("home", "stop"))


def home(came_from: str = "") -> Response:
    """Home: "Stop here?" when something was entered (words or a recording), with "No" going back to
    ``came_from`` (the page she left); else the visit ends at once, keeping language and text size."""
    draft = current_draft()
    if draft and (draft.started or media.for_draft(get_db(), draft.id)):
        return redirect(url_for("resident.leave", back=came_from or None))
    return end(keep_preferences=True)


@bp.get("/visit/leave", endpoint="leave")
def leave():
    """Stop in the middle of a request? The answers are kept under a code a worker can use."""
    draft = current_draft()
    if draft is None:
        return redirect(url_for("resident.start"))
    back = local_path(request.args.get("back"), "") or where_to_continue(draft)
    return render_template("resident/leave.html", draft=draft, back=back)


def may_resume() -> bool:
    """Whether this browser may open kept answers by their code: the kiosk's own screen, or a logged-in
    worker. A code opens someone's name and address; a phone on the Wi-Fi is a stranger's as likely."""
    from flask_login import current_user

    return from_this_box() or current_user.is_authenticated


def resumable_since() -> str:
    """The oldest last change a kept draft may have and still open: ``DRAFT_HOURS`` ago (the nightly
    purge deletes what is older; until it runs, such a draft opens no more than a wrong code does)."""
    return clock.iso(clock.now() - timedelta(hours=current_app.config["DRAFT_HOURS"]))


@bp.route("/visit/resume", methods=["GET", "POST"], endpoint="resume")
@session_less_form("entered")
@guess_limits(by_ticket=False)
def resume():
    """Continue answers left earlier, by their six-digit code (with a worker, at the kiosk)."""
    if not may_resume():  # the same polite page whatever was typed: nothing says whether a code exists
        return render_template("resident/resume_elsewhere.html"), 403
    entered = "".join(c for c in request.form.get("entered", "") if c.isdigit())[:drafts.RESUME_DIGITS]
    errors = []
    if request.method == "POST":
        key = request.form.get("key")
        if key:
            entered = keypad.press(entered, key, "0123456789", drafts.RESUME_DIGITS)
            partial = keypad.entry_only("code-entry", "resident/_code_entry.html", entered)
            if partial is not None:
                return partial
        else:
            found = actions.resume_draft(get_db(), entered, resumable_since(),
                                         request.cookies.get(DRAFT_COOKIE))  # parks the draft this screen had open
            if found:
                token, draft = found
                response = redirect(where_to_continue(draft))
                response.set_cookie(DRAFT_COOKIE, token, httponly=True, samesite="Lax")
                return response
            errors = [("entered", _("We could not find answers kept under that code. Please check the six digits, or ask a worker."))]
    return render_template("resident/resume.html", entered=entered, errors=errors), (422 if errors else 200)


@bp.get("/visit/idle-audio", endpoint="idle_audio")
def idle_audio():
    """The idle question spoken, for this visit only, kept nowhere. Never the resume code: nobody may be
    answering, and the code opens the resident's name and address."""
    from ..voice_views import speak_once

    settings = idle_settings()
    if settings is None:
        abort(404)
    words = [_("Do you need more time?"),
             _("If nobody touches the screen, the kiosk goes back to the start in %(seconds)d seconds.",
               seconds=settings["warning"])]
    return speak_once(" ".join(words))
