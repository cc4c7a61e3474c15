"""Closing the loop with the resident: "问题真的解决了吗？", a rating, a comment (issue 12; :mod:`core.feedback`).

Asked on the status page once the county has closed a request, wherever the resident opens it: at
the kiosk after a look-up by ticket and check code, or on a phone from the receipt's QR code. One
question a page: solved? → how satisfied? → anything to add? (optional) → thank you. A "no" reopens
the request at once (a new ticket, the same check code), so the resident never tells it again.

Every page here is reached only with what opened the status page — the receipt's signed token
(``t``), the visit's own look-up (``visit``), or the check code (``c``, behind the same guess limits
as the look-up) — carried in the query string of each link and form. That proof is also what a
forged form from elsewhere lacks, so these forms carry no CSRF token (a token would give a phone's
first look a session); the session cookie is SameSite=Lax, so a cross-site POST does not carry the
visit's look-up either.
"""
from __future__ import annotations

import functools
import re

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import _, lazy_gettext as _l

from core import feedback, catalogue, submissions
from core.actions import resident as actions
from core.wording import Centre

from . import bp
from .lookup import find_typed
from ..db import get_db
from ..i18n import current_locale
from ..limits import guess_limits
from ..receipts import opens, status_token
from ..security import csrf, from_this_box

ALREADY = _l("This question was answered already. Thank you: nothing more is needed.")
DIGITS = re.compile(r"[0-9]{1,9}")  # str.isdigit() takes "²", which int() refuses
SOLVED = (("yes", _l("Yes, it is solved")), ("no", _l("No, it is not solved")))
RATINGS = ((5, _l("Very satisfied")), (4, _l("Satisfied")), (3, _l("Fairly satisfied")),
           (2, _l("Dissatisfied")), (1, _l("Very dissatisfied")))
ICONS = {"yes": "👍", "no": "👎", 5: "😄", 4: "🙂", 3: "😐", 2: "🙁", 1: "😞"}


def opened(ticket: str) -> tuple[submissions.SavedRequest | None, dict]:
    """The request ``ticket`` names, if this browser may see it, and the proof to carry on (query args)."""
    token, code = request.args.get("t", ""), request.args.get("c", "")
    if token:
        return (submissions.by_ticket(get_db(), ticket) if opens(ticket, token) else None), {"t": token}
    if request.args.get("visit"):
        return (submissions.by_ticket(get_db(), ticket) if ticket in looked_up() else None), {"visit": 1}
    saved = find_typed(ticket, code)
    return saved, {"c": code}


def looked_up() -> list[str]:
    """The tickets this visit may see without a code (looked up on the keypad, or reopened just now)."""
    kept = session.get("looked_up")
    return [kept] if isinstance(kept, str) else list(kept or [])


def remember_looked_up(ticket: str) -> None:
    session["looked_up"] = [*[t for t in looked_up() if t != ticket], ticket][-5:]


def question(saved: submissions.SavedRequest) -> dict:
    """What the status page shows of the loop: the close to ask about, or the answer given, and links."""
    db = get_db()
    given = feedback.latest(db, saved.id)
    reopened = submissions.get(db, given.reopened_as) if given and given.reopened_as else None
    reopens = submissions.get(db, saved.reopens) if saved.reopens else None
    return {"ask": feedback.to_ask(db, saved.id), "given": given, "reopened": reopened, "reopens": reopens,
            "solved_options": SOLVED, "icons": ICONS}


def _refused(saved, proof, message: str, status: int):
    return render_template("resident/answer_refused.html", saved=saved, proof=proof, message=message), status


def _via() -> str:
    return "kiosk" if from_this_box() else "phone"


@bp.post("/status/<ticket>/solved")
@csrf.exempt
@guess_limits()
def answer_solved(ticket: str):
    """The answer to "is it really solved?": recorded at once; a "no" reopens the request."""
    saved, proof = opened(ticket)
    if saved is None:
        return render_template("resident/status_not_found.html"), 404
    solved = request.form.get("solved")
    event = request.form.get("event", "")
    if solved not in ("yes", "no") or not DIGITS.fullmatch(event):
        abort(400)
    db = get_db()
    try:
        given = actions.answer_solved(db, saved.id, int(event), solved == "yes", _via(), current_app.config["KIOSK_ID"],
                                       Centre.from_config(current_app.config))
    except feedback.AlreadyAnswered:
        return _refused(saved, proof, str(ALREADY), 409)
    except feedback.NotAsked:
        return _refused(saved, proof, _("There is nothing to confirm for this ticket now: the county has not finished it."), 409)
    session["answer"] = given.id  # this browser may go on to rate and comment on this answer
    return redirect(url_for("resident.answer_rating", ticket=ticket, **proof))


def _own_answer(saved) -> feedback.Answer | None:
    """The answer this browser just gave about ``saved``, if it is still the latest."""
    given = feedback.latest(get_db(), saved.id)
    return given if given and session.get("answer") == given.id else None


def _after_answer(view):
    """A page that follows the resident's answer: called with the request this browser may see, the
    proof that opened it and the answer it gave; else the not-found page, or back to the status page."""
    @functools.wraps(view)
    def wrapped(ticket: str):
        saved, proof = opened(ticket)
        if saved is None:
            return render_template("resident/status_not_found.html"), 404
        given = _own_answer(saved)
        if given is None:
            return redirect(url_for("resident.status", ticket=ticket, **proof))
        return view(ticket, saved, proof, given)
    return wrapped


@bp.route("/status/<ticket>/rating", methods=["GET", "POST"])
@csrf.exempt
@guess_limits()
@_after_answer
def answer_rating(ticket: str, saved, proof: dict, given: feedback.Answer):
    """How satisfied are you? Five big buttons, 好差评's five levels."""
    error = None
    if request.method == "POST":
        chosen = request.form.get("rating", "")
        if request.form.get("skip"):  # no rating: the comment and the thanks (with a new ticket) still follow
            return redirect(url_for("resident.answer_comment", ticket=ticket, **proof))
        if DIGITS.fullmatch(chosen) and int(chosen) in feedback.RATINGS:
            try:
                actions.rate(get_db(), given.id, int(chosen))
            except feedback.AlreadyAnswered:
                return _refused(saved, proof, str(ALREADY), 409)
            return redirect(url_for("resident.answer_comment", ticket=ticket, **proof))
        error = _("Please choose one of the five answers.")
    return render_template("resident/answer_rating.html", saved=saved, proof=proof, given=given, ratings=RATINGS,
                           icons=ICONS, error=error), (422 if error else 200)


@bp.route("/status/<ticket>/comment", methods=["GET", "POST"])
@csrf.exempt
@guess_limits()
@_after_answer
def answer_comment(ticket: str, saved, proof: dict, given: feedback.Answer):
    """Anything to add? Optional: written by hand, on the keys, or skipped with one tap."""
    text, error = "", None
    if request.method == "POST":
        text = request.form.get("comment", "")
        if request.form.get("skip") or not text.strip():
            actions.skip_comment(get_db(), given.id)  # nothing to add: a reopened request need not wait for it
            return redirect(url_for("resident.answer_thanks", ticket=ticket, **proof))
        if len(text.strip()) > feedback.COMMENT_LIMIT:
            error = _("Please keep it to %(limit)d characters. A worker can write down more with you.", limit=feedback.COMMENT_LIMIT)
        else:
            try:
                actions.add_comment(get_db(), given.id, text)
            except feedback.AlreadyAnswered:
                return _refused(saved, proof, str(ALREADY), 409)
            return redirect(url_for("resident.answer_thanks", ticket=ticket, **proof))
    service = catalogue.get_service(get_db(), saved.service_code, current_locale(), include_hidden=True)
    return render_template("resident/answer_comment.html", saved=saved, proof=proof, given=given, text=text, error=error,
                           service=service, limit=feedback.COMMENT_LIMIT), (422 if error else 200)


@bp.get("/status/<ticket>/thanks")
@guess_limits()
@_after_answer
def answer_thanks(ticket: str, saved, proof: dict, given: feedback.Answer):
    reopened = submissions.get(get_db(), given.reopened_as) if given.reopened_as else None
    link = None
    if reopened and from_this_box():  # the shared screen: for this visit only, as a look-up is (never a lasting link)
        remember_looked_up(reopened.ticket)
        link = url_for("resident.status", ticket=reopened.ticket, visit=1)
    elif reopened:  # the resident's own phone: the link a receipt's QR code would carry
        link = url_for("resident.status", ticket=reopened.ticket, t=status_token(reopened.ticket))
    return render_template("resident/answer_thanks.html", saved=saved, proof=proof, given=given, reopened=reopened,
                           reopened_link=link)
