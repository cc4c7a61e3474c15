"""*To write down*: a worker plays a resident's spoken answer and types once what was said (issue 23).

The words become the answer the county receives (:func:`core.actions.worker.write_down`); a request
waits, unsent, until each of its spoken answers is written down (:data:`core.submissions.UNTIL_WRITTEN_DOWN`).
The recording itself never leaves the box. Recordings and photos are played and shown to workers only,
here, behind the login (the resident's own pages have theirs: kiosk/resident/attachments.py).
"""
from __future__ import annotations

from flask import abort, current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import catalogue, media, submissions
from core.actions import worker as actions
from core.wording import Centre

from . import bp
from .auth import worker_required
from .. import validation
from ..db import get_db
from ..i18n import current_locale, when
from ..resident.flow import minutes_seconds, spoken_label


def _question(db, saved: submissions.SavedRequest, code: str):
    service = catalogue.get_service(db, saved.service_code, current_locale(), include_hidden=True)
    return service, (service.question(code) if service else None)


def to_write(db) -> list[dict]:
    """Spoken answers still to be written down, oldest first, for *Today's list*."""
    items = []
    for item in media.to_write_down(db):
        saved = submissions.get(db, item.request_id)
        service, question = _question(db, saved, item.field)
        items.append({"id": item.id, "ticket": saved.ticket, "service": service.name if service else saved.service_code,
                      "question": question.text if question else item.field, "length": spoken_label(item),
                      "saved": when(saved.requested_at), "href": url_for("worker.write_down", media_id=item.id)})
    return items


@bp.route("/write-down/<int:media_id>", methods=["GET", "POST"])
@worker_required
def write_down(media_id: int):
    """Play a spoken answer; type once what was said; it goes to the county as the answer."""
    db = get_db()
    item = media.item(db, media_id)
    if item is None or item.kind != media.AUDIO or item.request_id is None:
        abort(404)
    saved = submissions.get(db, item.request_id)
    service, question = _question(db, saved, item.field)
    typed = saved.answers.get(item.field)
    # the words are held to the question's own limit (a list's "other": a short answer's)
    kind = "text" if question and question.datatype == "text" else "string"
    errors, value = [], ""
    if item.written_down:
        session["worklist_done"] = _("A colleague has already written this down.")
        return redirect(url_for("worker.worklist"))
    if request.method == "POST":
        value = validation.clean_text(request.form.get("said"))
        error = (_("Please write down what the resident said.") if not value
                 else validation.check_length(value, validation.MAX_LENGTH[kind]))
        if error:
            errors = [("said", error)]
            value = validation.typed_back(request.form.get("said"), kind)
        else:
            try:
                actions.write_down(db, current_user.login, media_id, value, Centre.from_config(current_app.config))
            except media.AlreadyWritten:
                session["worklist_done"] = _("A colleague has already written this down.")
            else:
                session["worklist_done"] = _("Written down for %(ticket)s. The request goes to the county with the next sync.",
                                             ticket=saved.ticket)
            return redirect(url_for("worker.worklist"))
    shown_typed = question.option_name(typed) if question and isinstance(typed, str) and typed else (typed or "")
    return render_template(
        "worker/write_down.html", ticket=saved.ticket, service=service.name if service else saved.service_code,
        question=question.text if question else item.field, typed=shown_typed, length=minutes_seconds(item.seconds),
        label=spoken_label(item), audio=url_for("worker.media_file", media_id=media_id), value=value, errors=errors,
        media_id=media_id,
        limit=validation.MAX_LENGTH[kind], saved=when(saved.requested_at)), (422 if errors else 200)


@bp.get("/media/<int:media_id>")
@worker_required
def media_file(media_id: int):
    """A saved request's recording or photo, for a worker."""
    db = get_db()
    item = media.item(db, media_id)
    if item is None or item.request_id is None:
        abort(404)
    response = make_response(media.content(db, media_id))
    response.headers["Content-Type"] = item.mime
    response.headers["Cache-Control"] = "no-store"
    return response


def request_media(db, request_id: int) -> dict:
    """A request's recordings and photos for the worker's page of it."""
    kept = media.for_request(db, request_id)
    return {"recordings": [{"label": spoken_label(m), "src": url_for("worker.media_file", media_id=m.id),
                            "written": m.written_down, "href": url_for("worker.write_down", media_id=m.id)}
                           for m in kept if m.kind == media.AUDIO],
            "photos": [url_for("worker.media_file", media_id=m.id) for m in kept if m.kind == media.PHOTO]}
