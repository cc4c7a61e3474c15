"""The worker's home page, and the audit log for administrators (a page, and a CSV export)."""
from __future__ import annotations

import csv
import io

from flask import Response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import audit, submissions
from core.actions import worker as actions

from . import assist, bp, calls, nav_item, worklist
from .auth import admin_required, worker_required
from ..csv_cells import cell
from ..db import get_db
from ..i18n import when

nav_item("worker.home", _l("Worker home"), "🏠")
nav_item("worker.worklist", _l("Today's list"), "📋")
calls.register_nav()
assist.register_nav()
nav_item("worker.audit_log", _l("Audit log"), "📜", admin_only=True)


#: What each action in the log means, in the page's language (an action without one is shown as named).
ACTIONS = {
    "login.succeeded": _l("Logged in"),
    "login.failed": _l("Login refused"),
    "logout": _l("Logged out"),
    "session.expired": _l("Logged out after a quiet spell or many hours"),
    "worker.added": _l("Worker account added"),
    "worker.disabled": _l("Worker account disabled"),
    "worker.enabled": _l("Worker account enabled"),
    "worker.password_reset": _l("Worker's password reset"),
    "audit.exported": _l("Audit log downloaded"),
    "request.corrected": _l("Refused request corrected"),
    "request.requeued": _l("Request queued to be sent again"),
    "request.county_number_chosen": _l("Recorded which county number the county keeps for a request"),
    "follow_up.told": _l("Resident told of the county's news"),
    "follow_up.not_reached": _l("Could not reach the resident"),
    "follow_up.came_in": _l("Resident came in for the county's news"),
    "answer.recorded": _l("Recorded whether the resident says it is solved"),
    "answer.rated": _l("Recorded how satisfied the resident is"),
    "note.told_county": _l("Told the county a note it could not take"),
    "outcomes.exported": _l("Outcomes downloaded"),
    "assist.started": _l("Began filling in a request for a resident"),
    "assist.continued": _l("Continued a resident's answers by their code"),
    "assist.shown_on_kiosk": _l("Showed a request on the kiosk for the resident to confirm"),
    "request.filed_for_resident": _l("Filled in a request with a resident"),
    "request.confirmed_by_resident": _l("The resident confirmed it on the kiosk"),
    "request.confirmed_verbally": _l("The worker recorded the resident's spoken yes"),
    "request.worded": _l("Worded for the county from today's catalogue (saved before wordings were kept)"),
}


def actor_label(actor: str) -> str:
    """Who an actor is, in the page's language (a worker by their login name)."""
    if actor.startswith("worker:"):
        return actor.split(":", 1)[1]
    return str({"system": _l("the kiosk itself"), "cli": _l("a command on the box"),
                "resident": _l("a resident at the kiosk")}.get(actor, actor))


def _row(entry: audit.Entry) -> dict:
    return {"when": when(entry.at), "who": actor_label(entry.actor), "what": str(ACTIONS.get(entry.action, entry.action)),
            "request": entry.ticket or entry.request_id or "",
            "detail": ", ".join(f"{k}={v}" for k, v in sorted(entry.detail.items()))}


@bp.get("/")
@worker_required
def home():
    """Who is logged in, residents waiting at a kiosk (live), today's list in short, and the pages they can open."""
    return render_template("worker/home.html", **calls.shown(), worklist=worklist.summary(get_db()))


def _filters() -> tuple[str, str, int | None, bool]:
    """The audit filters from the query: (actor, request as typed, its id, whether it was found)."""
    actor = request.args.get("actor", "").strip()[:48]
    typed = request.args.get("request", "").strip()[:16]
    request_id, found = None, True
    if typed:
        saved = submissions.find_for_operator(get_db(), typed)
        request_id, found = (saved.id, True) if saved else (-1, False)  # -1 matches nothing
    return actor, typed, request_id, found


@bp.get("/audit")
@admin_required
def audit_log():
    """The audit log, newest first, a page at a time; by actor or by request."""
    actor, typed, request_id, found = _filters()
    try:
        number = max(1, min(int(request.args.get("page", "1")), 100000))
    except ValueError:
        number = 1
    entries, more = audit.page(get_db(), number, actor or None, request_id)
    errors = [] if found else [("request", _l("There is no request with that ticket. Check the ticket, or leave it empty to see every request."))]
    args = {k: v for k, v in (("actor", actor), ("request", typed)) if v}
    return render_template(
        "worker/audit.html", entries=[_row(e) for e in entries], actor=actor, typed=typed,
        actors=[(name, actor_label(name)) for name in audit.actors(get_db())],
        errors=errors, number=number, more=more, args=args,
        newer=url_for("worker.audit_log", page=number - 1, **args) if number > 1 else None,
        older=url_for("worker.audit_log", page=number + 1, **args) if more else None,
        export=url_for("worker.audit_export", **args),
    ), (422 if errors else 200)


@bp.get("/audit.csv")
@admin_required
def audit_export():
    """The audit log (with the page's filters) as CSV, newest first, for an administrator to keep."""
    actor, _, request_id, _ = _filters()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "actor", "action", "request_id", "ticket", "detail"])
    for entry in audit.every(get_db(), actor or None, request_id):
        writer.writerow([cell(v) for v in (entry.id, entry.at, entry.actor, entry.action, entry.request_id,
                                             entry.ticket, " ".join(f"{k}={v}" for k, v in sorted(entry.detail.items())))])
    actions.note_audit_export(get_db(), current_user.login)
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=kiosk-audit.csv"})
