"""The resident's yes to a request a worker filled in with them (assisted filing, kiosk/worker/assist.py).

How the confirmation reaches the kiosk's screen: the worker taps "Show on the kiosk" and the draft is
marked as waiting (:func:`core.drafts.ask_confirmation`; one at a time, for
:data:`core.drafts.CONFIRM_SECONDS`, 5 min).
The kiosk's screen rests on the start page between visits; there, and only on the kiosk's own screen
(a browser on loopback), htmx asks :func:`waiting` every :data:`POLL_SECONDS` — a 204 while nothing
waits — and opens :func:`confirm` when something does. That page reads the answers back in big
text (with Read aloud) and carries the draft's one-time confirmation key in its form: "Yes, this is
right — save it" saves only the draft shown under that key, once. Nothing here answers a phone or
any browser that is not the kiosk's own screen.
"""
from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from core import drafts, submissions
from core.actions import resident as actions
from core.wording import Centre
from core.clock import iso, now as real_now

from . import bp, flow, visit
from ..db import get_db
from ..shared_screen import on_shared_screen

POLL_SECONDS = 2


def _since() -> str:
    """The oldest moment a confirmation may have been asked and still be shown."""
    return iso(real_now() - timedelta(seconds=drafts.CONFIRM_SECONDS))


def _kiosk_screen_only() -> None:
    if not on_shared_screen():
        abort(404)


@bp.get("/confirm/waiting")
def waiting():
    """Polled by the kiosk's start page: 204 while nothing waits; else htmx is sent to the confirmation."""
    _kiosk_screen_only()
    response = current_app.response_class(status=204)
    if drafts.waiting_confirmation(get_db(), _since()):
        response.headers["HX-Redirect"] = url_for("resident.confirm")
    return response


@bp.route("/confirm", methods=["GET", "POST"])
def confirm():
    """The answers a worker recorded, read back big; one large button to say they are right and save."""
    _kiosk_screen_only()
    db = get_db()
    if request.method == "POST":
        draft = drafts.for_confirmation(db, request.form.get("key", ""), _since())
        if draft is None:  # never shown here, or saved already (a second tap, a replayed form)
            return render_template("resident/confirm_gone.html"), 409
        try:
            saved = actions.confirm_assisted_request(db, draft, current_app.config["KIOSK_ID"],
                                                     Centre.from_config(current_app.config))
        except submissions.AlreadySaved:
            return render_template("resident/confirm_gone.html"), 409
        except submissions.SaveFailed as exc:
            current_app.logger.error("assisted request not saved: %s", exc)
            return render_template("resident/confirm_gone.html", failed=True), 503
        session["receipt"] = saved.ticket
        return redirect(url_for("resident.receipt", ticket=saved.ticket))
    found = drafts.waiting_confirmation(db, _since())
    service = visit.service_of(found[0]) if found else None
    if service is None:
        return redirect(url_for("resident.start"))
    draft, key = found
    rows = [{"key": row["key"], "value": row["value"]} for row in flow.check_rows(service, draft)]
    return render_template("resident/confirm.html", service=service, rows=rows, key=key)


@bp.post("/confirm/not-right")
def not_right() -> Response:
    """"Something is wrong": the request leaves the screen, unsaved, for the worker to change."""
    _kiosk_screen_only()
    draft = drafts.for_confirmation(get_db(), request.form.get("key", ""), _since())
    if draft is not None:
        actions.say_not_right(get_db(), draft.id)
    return render_template("resident/confirm_not_right.html")
