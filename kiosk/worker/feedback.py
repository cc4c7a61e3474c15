"""What a resident told a worker about a request the county closed: solved or not, and a rating (issue 12).

A worker calling a resident back from *Today's list* asks the same questions the status page asks
(:mod:`kiosk.resident.feedback`), one a page, and records the answers as said *via a worker*
(:mod:`core.feedback`, ``via="worker"`` with the worker's login). Recording the answer also records
that the resident was told of the close (:mod:`core.follow_ups`), in the same transaction
(:func:`core.actions.worker.record_resident_answer`). A "not
solved" reopens the request at once, as at the kiosk.
"""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import feedback, submissions
from core.actions import worker as actions
from core.wording import Centre

from . import bp
from .auth import worker_required
from ..db import get_db
from ..resident.feedback import DIGITS, ICONS, RATINGS, SOLVED


@bp.route("/worklist/answer/<int:request_id>/<int:event_id>", methods=["GET", "POST"])
@worker_required
def answer_solved(request_id: int, event_id: int):
    """Is it really solved? — as the resident said it to the worker."""
    db = get_db()
    saved = submissions.get(db, request_id)
    if saved is None:
        abort(404)
    if feedback.to_ask(db, request_id) != event_id:
        session["worklist_done"] = _("Someone has already recorded this. Nothing was changed.")
        return redirect(url_for("worker.worklist"))
    if request.method == "POST":
        solved = request.form.get("solved")
        if solved not in ("yes", "no"):
            abort(400)
        try:
            given = actions.record_resident_answer(db, current_user.worker.login, request_id, event_id, solved == "yes",
                                                   current_app.config["KIOSK_ID"], Centre.from_config(current_app.config))
        except (feedback.AlreadyAnswered, feedback.NotAsked):
            session["worklist_done"] = _("Someone has already recorded this. Nothing was changed.")
            return redirect(url_for("worker.worklist"))
        return redirect(url_for("worker.answer_rating", answer_id=given.id))
    return render_template("worker/answer_solved.html", saved=saved, event_id=event_id, options=SOLVED, icons=ICONS)


@bp.route("/worklist/rating/<int:answer_id>", methods=["GET", "POST"])
@worker_required
def answer_rating(answer_id: int):
    """How satisfied is the resident? Five levels; or no rating if they would not say."""
    db = get_db()
    given = feedback.get(db, answer_id)
    if given is None or given.by_worker != current_user.worker.login:
        abort(404)
    saved = submissions.get(db, given.request_id)
    reopened = submissions.get(db, given.reopened_as) if given.reopened_as else None
    error = None
    if request.method == "POST":
        chosen = request.form.get("rating", "")
        if request.form.get("skip"):
            return _back(saved, reopened)
        if DIGITS.fullmatch(chosen) and int(chosen) in feedback.RATINGS:
            try:
                actions.record_resident_rating(db, current_user.worker.login, given.id, int(chosen))
            except feedback.AlreadyAnswered:
                session["worklist_done"] = _("Someone has already recorded this. Nothing was changed.")
                return redirect(url_for("worker.worklist"))
            return _back(saved, reopened)
        error = _("Please choose one of the five answers.")
    return render_template("worker/answer_rating.html", saved=saved, given=given, ratings=RATINGS, icons=ICONS,
                           reopened=reopened, error=error), (422 if error else 200)


def _back(saved, reopened):
    session["worklist_done"] = (_("Recorded. Request %(ticket)s went back to the county as %(new)s.", ticket=saved.ticket,
                                  new=reopened.ticket) if reopened else
                                _("Recorded: the resident says request %(ticket)s is solved.", ticket=saved.ticket))
    return redirect(url_for("worker.worklist"))
