"""Getting a person: "Ask a worker for help", on every resident page.

On the box's own screen the button is a form that calls a worker to this kiosk (:mod:`core.help_calls`:
which kiosk, which page, which service — nothing about the resident) and then says, shown and
spoken, that someone is coming, with a way back to where the resident was. Without JavaScript it is
the same form. Phones on the Wi-Fi are not at a kiosk: their button opens the same page without a
call (go to the service desk). The call's form carries no token, as Home does: a first look at a page
makes no session, and a forged call costs a worker a walk (a second call from the kiosk while one waits
is the same call).
"""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from core import help_calls

from . import bp
from .visit import current_draft
from ..db import get_db
from ..security import csrf, from_this_box, local_path

QUESTION = "resident.question"


def place_of(path: str) -> str:
    """Which page ``path`` is, as a worker would want it: its endpoint, and the question's code."""
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(path.split("?")[0], method="GET")
    except HTTPException:
        return "unknown"
    return f"{endpoint}:{args['code']}" if endpoint == QUESTION and "code" in args else endpoint


@bp.post("/help/call", endpoint="call_help")
@csrf.exempt
def call_help():
    """Call a worker to this kiosk, then show that someone is coming."""
    back = local_path(request.form.get("from"), url_for("resident.start"))
    if not from_this_box():
        return redirect(url_for("resident.help", back=back))
    draft = current_draft()
    called = help_calls.call(get_db(), current_app.config["KIOSK_ID"], place_of(back),
                             draft.service_code if draft else None)
    session["help_call"] = called.id
    return redirect(url_for("resident.help", back=back))


@bp.get("/help", endpoint="help")
def help_page():
    """How to get a person: always available, from every page; after a call, that someone is coming."""
    back = local_path(request.args.get("back"), "")
    called = help_calls.get(get_db(), session["help_call"]) if session.get("help_call") else None
    extra = {"idle": None} if called and called.waiting else {}  # waiting for a person is not walking away
    return render_template("resident/help.html", call=called, back=back if back != url_for("resident.help") else "", **extra)
