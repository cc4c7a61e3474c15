"""Receipts on paper (issue 24): the resident's receipt (*Print the receipt* on the receipt page), the
printer of this app, and its state on the health page (a worker's status letter is kiosk/worker/letters.py).

The words are this app's (translated, in the resident's language); :mod:`core.printing` makes them an
ESC/POS job and talks to the printer. Who may print what:

- a receipt: only the visit that owns it — the browser whose signed session holds the ticket, as for
  the receipt page itself — at the kiosk's own screen or on a phone on the centre's Wi-Fi (the
  printer stands at the kiosk, and the phone's owner is in the centre); a stranger on the Wi-Fi can
  print only receipts of her own visits, and never more than :data:`PHONE_PRINT_LIMIT` an hour;
- each receipt at most ``PRINT_LIMIT`` times (a child pressing the button, a resident unsure it
  worked), whoever asks;
- a status letter (kiosk/worker/letters.py): a logged-in worker, for any request.

Paper carries only the receipt's own words: ticket, check code, the service, what happens next, the
QR code of the status page, the centre's name and phone — never the resident's name, phone or address.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _

from core import catalogue, submissions
from core.printing import Block, Printer, job, keep_in
from core.printing import device as states

from . import limits, receipts
from .db import get_db
from .i18n import current_locale
from .security import from_this_box

bp = Blueprint("printing", __name__)

ANSWER_KEY = "receipt_printed"  # the session's note of the last print's outcome, shown once by the receipt page


def printer() -> Printer:
    """This app's printer (one per app: one job at a time)."""
    app = current_app._get_current_object()
    found = app.extensions.get("kiosk_printer")
    if found is None or str(found.connection) != app.config["PRINTER"]:
        keep_in(Path(app.instance_path) / "printer")  # python-escpos's parsed list of printers, kept across starts
        found = app.extensions["kiosk_printer"] = Printer(app.config["PRINTER"])
    return found


# --- what goes on paper ---------------------------------------------------------------------------


def big_columns() -> int:
    """Characters on one line of the ticket's big type (three times as wide as the paper's own)."""
    return 48 // 3 if current_app.config["PRINTER_PAPER_MM"] == 80 else 32 // 3


def spelled(ticket: str, columns: int) -> str:
    """The ticket with a space between its characters (A 0 4 2 7), when that fits on one line of big type."""
    spaced = " ".join(ticket)
    return spaced if len(spaced) <= columns else ticket


def centre_blocks() -> list[Block]:
    name = current_app.config["CENTRE_NAME"].strip()
    return [Block("heading", name, centre=True, bold=True), Block("rule")] if name else []


def phone_blocks() -> list[Block]:
    phone = current_app.config["CENTRE_PHONE"].strip()
    return [Block("rule"), Block("text", _("The centre's phone: %(phone)s", phone=phone), bold=True)] if phone else []


def receipt_slip(saved: submissions.SavedRequest) -> list[Block]:
    """The receipt on paper, in the page's language: what the screen's receipt says, in big type."""
    service = catalogue.get_service(get_db(), saved.service_code, current_locale(), include_hidden=True)
    columns = big_columns()
    code = saved.check_code
    return [
        *centre_blocks(),
        Block("heading", _("Your request is saved"), centre=True, bold=True),
        Block("text", _("Your ticket number"), centre=True),
        Block("big", spelled(saved.ticket, columns), centre=True, bold=True),
        Block("text", _("Check code"), centre=True),
        Block("heading", f"{code[:3]} {code[3:]}", centre=True, bold=True),
        Block("rule"),
        Block("heading", service.name if service else saved.service_code, bold=True),
        Block("text", _("What happens next"), bold=True),
        Block("text", service.next_steps if service else ""),
        Block("rule"),
        Block("text", _("Scan this with a phone to check progress, or come back and touch “Check progress”."), centre=True),
        Block("qr", receipts.status_url(saved.ticket), centre=True),
        *phone_blocks(),
    ]


# --- the answers on the page ----------------------------------------------------------------------


def answer(key: str | None, at_kiosk: bool = True) -> dict | None:
    """The receipt page's words after a print: ``{printed, text}``."""
    if not key:
        return None
    if key == "printed":
        return {"printed": True, "text": _("Printed. Take your receipt from the slot below.") if at_kiosk else
                _("Printed at the kiosk's printer. Collect your receipt there.")}
    what_to_do = _("Your request is saved. Please write down your ticket number and check code, or ask a worker"
                   " to help.")
    text = {
        states.NONE: _("This kiosk has no printer."),
        states.PAPER_OUT: _("The printer has run out of paper."),
        "limit": _("This receipt has been printed several times already. A worker can print another copy."),
    }.get(key, _("The printer is not working just now."))
    return {"printed": False, "text": f"{text} {what_to_do}"}


# --- the two prints -------------------------------------------------------------------------------


def _limit(name: str) -> limits.Limit:
    return limits.parse(current_app.config[name])


@bp.post("/receipt/<ticket>/print")
def receipt(ticket: str):
    """*Print the receipt*: print this visit's receipt, then back to the receipt with the outcome."""
    if session.get("receipt") != ticket:  # only the visit whose receipt it is
        abort(404)
    saved = submissions.by_ticket(get_db(), ticket)
    if saved is None:
        abort(404)
    store = current_app.extensions["kiosk_limits"]
    allowed = store.hit(_limit("PRINT_LIMIT"), "print", ticket)
    if allowed and not from_this_box():
        allowed = store.hit(_limit("PHONE_PRINT_LIMIT"), "print-phone", limits.client_address())
    if not allowed:
        key = "limit"
    else:
        outcome = printer().print(job(receipt_slip(saved), current_app.config["PRINTER_PAPER_MM"]))
        key = "printed" if outcome.printed else outcome.state
        current_app.logger.info("receipt %s to the printer: %s in %.3f s %s", ticket, outcome.state, outcome.seconds,
                                outcome.why)
    session[ANSWER_KEY] = key
    # the same page, not scrolled: the ticket and the buttons where they were, the answer right under them
    # (a status message: a screen reader says it)
    return redirect(url_for("resident.receipt", ticket=ticket))


def receipt_answer() -> dict | None:
    """The outcome of this visit's last print, once (the receipt page shows it)."""
    return answer(session.pop(ANSWER_KEY, None), at_kiosk=from_this_box())


# --- the health page ------------------------------------------------------------------------------


def state_words(state: str) -> str:
    return {
        states.NONE: _("No printer is set up (KIOSK_PRINTER)."),
        states.READY: _("Ready."),
        states.PAPER_LOW: _("Paper is running low: put in a new roll soon."),
        states.PAPER_OUT: _("Out of paper: put in a new roll."),
        states.OFFLINE: _("Off line: is its cover open?"),
        states.NOT_ANSWERING: _("Not answering: is it switched on?"),
        states.NOT_CONNECTED: _("Not connected: check its cable and that it is switched on."),
        states.BUSY: _("Busy printing."),
        states.SENT: _("Connected (this connection cannot tell whether it has paper)."),
    }.get(state, state)


def health_item() -> dict:
    """The printer as one figure of the health page (``components/health_figures``)."""
    from sync import health

    outcome = printer().state()
    verdict = health.GREEN if outcome.state in (states.NONE, states.READY, states.SENT) else health.AMBER
    value = {states.NONE: _("None"), states.READY: _("Ready"), states.PAPER_LOW: _("Paper low"),
             states.PAPER_OUT: _("Out of paper"), states.OFFLINE: _("Off line"),
             states.NOT_ANSWERING: _("Not answering"), states.NOT_CONNECTED: _("Not connected"),
             states.BUSY: _("Busy"), states.SENT: _("Connected")}.get(outcome.state, outcome.state)
    return {"key": "printer", "label": _("Receipt printer"), "value": value, "verdict": verdict,
            "text": state_words(outcome.state), "detail": outcome.why, "detail_lang": "en", "lines": [],
            "state": outcome.state}
