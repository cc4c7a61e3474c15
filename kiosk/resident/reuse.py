"""Type once: a returning resident reuses their details from an earlier request (issue 12, item 3).

On "About you" and "How should we contact you?" a resident who has used the kiosk before may say so
and give the ticket number and check code of an earlier receipt — never a name to search by. The
kiosk then shows what it would reuse (partly hidden: the screen is shared) and asks, in plain words,
whether to use it; only a "yes" copies it into this request, and only what this service asks for
(:func:`core.personal.reusable`). Each reused field is recorded as ``reused`` when the request is
saved, unless it was changed afterwards (:func:`core.personal.sources`). A worker filling a request in
for a resident (代办) goes through the same pages, with the resident's receipt.

The look-up is behind the same guess limits as the status look-up (:func:`kiosk.limits.guess_limits`);
a request whose details were already purged (30 days after the county closed it) has nothing to reuse.
"""
from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from core import drafts, personal
from core.actions import resident as actions

from . import bp
from .flow import mask
from .lookup import draft_and_service, find_typed, start_again
from ..db import get_db
from ..limits import guess_limits

FROM = {"details": "resident.details", "contact": "resident.contact"}


def masked(details: dict) -> list[tuple[str, str]]:
    """What would be reused, hidden as :func:`mask` does, with the label of each."""
    shown = []
    if details.get("name"):
        shown.append((_("Your name"), mask("name", details["name"])))
    if details.get("address"):
        shown.append((_("Where you live"), mask("address", details["address"])))
    if details.get("contact") == "phone" and details.get("phone"):
        shown.append((_("Phone number"), mask("phone", details["phone"])))
    elif details.get("contact") == "centre":
        shown.append((_("How we contact you"), _("A worker will contact me here at the centre")))
    return shown


def _came_from() -> str:
    came = request.values.get("from", "details")
    return came if came in FROM else "details"


@bp.route("/request/reuse", methods=["GET", "POST"])
@guess_limits()  # per client and per ticket, as the status look-up; every method
def reuse():
    """The ticket and check code of an earlier receipt, to reuse the details given then."""
    found = draft_and_service()
    if not found:
        return start_again()
    draft, service = found
    came = _came_from()
    typed = {"ticket": request.form.get("ticket", ""), "code": request.form.get("code", "")}
    errors = []
    if request.method == "POST":
        earlier = find_typed(typed["ticket"].strip(), typed["code"].strip())
        if earlier is None:
            errors = [("ticket", _("We could not find that ticket. Please check the ticket number and the check code on your receipt."))]
        else:
            offer = personal.reusable(personal.load_for_request(get_db(), earlier.id), service.needs_name,
                                      service.needs_address, service.contact_options)
            if not offer:
                errors = [("ticket", _("The details of that request are no longer kept (they are deleted 30 days after "
                                       "it is finished), or it asked for none. Please type them this once."))]
            else:
                session["reuse_offer"] = {"request": earlier.id, "draft": draft.id}
                return redirect(url_for("resident.reuse_confirm", **{"from": came}))
    return render_template("resident/reuse.html", service=service, typed=typed, errors=errors, came=came,
                           back=url_for(FROM[came])), (422 if errors else 200)


@bp.route("/request/reuse/confirm", methods=["GET", "POST"])
def reuse_confirm():
    """Use these details? Only a yes copies them into this request."""
    found = draft_and_service()
    if not found:
        return start_again()
    draft, service = found
    came = _came_from()
    offer = session.get("reuse_offer") or {}
    if offer.get("draft") != draft.id:
        return redirect(url_for("resident.reuse", **{"from": came}))
    details = personal.reusable(personal.load_for_request(get_db(), offer["request"]), service.needs_name,
                                service.needs_address, service.contact_options)
    if request.method == "POST":
        session.pop("reuse_offer", None)
        if request.form.get("use") == "yes" and details:
            actions.reuse_details(get_db(), draft, details)
        return redirect(url_for(FROM[came]))
    rows = [{"key": key, "value": value} for key, value in masked(details)]
    return render_template("resident/reuse_confirm.html", service=service, rows=rows, came=came,
                           back=url_for("resident.reuse", **{"from": came}))
