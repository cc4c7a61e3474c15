"""A resident's status letter on paper, printed by a worker from the request's page (issue 24): for a
resident without a phone, what her request's status page says — where it is now on the ladder, the
county's words about it, her ticket, the status page's QR code and the centre's phone — in the language
she asked in. Only a logged-in worker prints one; nothing personal goes on it (kiosk/printing.py).
"""
from __future__ import annotations

from flask import abort, current_app, redirect, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from core import catalogue, outbox, submissions
from core.printing import Block, job

from . import bp
from .auth import worker_required
from .. import printing, receipts
from ..db import get_db
from ..status import ladder


def letter_slip(saved: submissions.SavedRequest) -> list[Block]:
    """A resident's status letter, in the language she asked in: where her request is now, and the
    county's words about it."""
    db = get_db()
    service = catalogue.get_service(db, saved.service_code, saved.locale, include_hidden=True)
    name = service.name if service else saved.service_code
    steps = ladder(outbox.events(db, saved.id))
    now = next((step for step in steps if step.current), steps[0])
    headline = (_("Your request “%(service)s” is finished.", service=name) if now.key == "closed" else
                _("Your request “%(service)s”: %(step)s.", service=name, step=now.label))
    said = [step.detail for step in steps if step.done and step.detail and step.key in ("in_progress", "closed")]
    return [
        *printing.centre_blocks(),
        Block("heading", _("About your request"), centre=True, bold=True),
        Block("text", _("Your ticket number"), centre=True),
        Block("big", printing.spelled(saved.ticket, printing.big_columns()), centre=True, bold=True),
        Block("rule"),
        Block("heading", headline, bold=True),
        *([Block("text", _("The county says: %(words)s", words=said[-1]))] if said else []),
        Block("rule"),
        *[Block("text", ("√ " if step.done else "- ") + step.label, bold=step.current) for step in steps],
        Block("rule"),
        Block("text", _("Scan this with a phone to check progress, or come back and touch “Check progress”."), centre=True),
        Block("qr", receipts.status_url(saved.ticket), centre=True),
        *printing.phone_blocks(),
    ]


LETTER_KEY = "letter_printed"


@bp.post("/request/<ticket>/print-letter")
@worker_required
def print_letter(ticket: str):
    """A worker prints a resident's status letter, in the language she asked in."""
    saved = submissions.by_ticket(get_db(), ticket)
    if saved is None:
        abort(404)
    with force_locale(saved.locale):
        slip = letter_slip(saved)
    outcome = printing.printer().print(job(slip, current_app.config["PRINTER_PAPER_MM"]))
    current_app.logger.info("status letter %s to the printer: %s in %.3f s %s", ticket, outcome.state,
                            outcome.seconds, outcome.why)
    key = "printed" if outcome.printed else outcome.state
    if request.form.get("back") == "worklist":  # from Today's list: its own notice says what happened
        session["worklist_done"] = answer(key)["text"]
        return redirect(url_for("worker.worklist"))
    session[LETTER_KEY] = key
    return redirect(url_for("worker.request_page", ticket=ticket))


def letter_answer() -> dict | None:
    """What the last status letter came to, once (the request's page shows it)."""
    return answer(session.pop(LETTER_KEY, None))


def answer(key: str | None) -> dict | None:
    if not key:
        return None
    if key == "printed":
        return {"printed": True, "text": _("The status letter is printed. Give it to the resident.")}
    return {"printed": False, "text": _("The status letter was not printed: %(state)s", state=printing.state_words(key))}
