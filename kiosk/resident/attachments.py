"""Saying an answer instead of writing it, and showing a photo instead of describing it (issue 23).

- **A spoken answer** (🎤 *Say it to us*) on every written question, and under a list's "other": on the
  kiosk's own screen ``static/js/recorder.js`` records with the microphone (MediaRecorder, at most two
  minutes; Chromium's policy allows the microphone to the kiosk's own address only) and puts the
  recording into the form's file field; on a phone (no microphone for a page over plain HTTP) that same
  field, ``accept="audio/*" capture``, opens the phone's own recorder. Without JavaScript the field is all
  there is, and *Keep this recording* sends it. It goes with the question's form (one multipart POST,
  :class:`kiosk.resident.forms.QuestionForm`), is checked by its bytes (:func:`core.media.check_audio`)
  and kept, sealed, even when the typed words are refused, so nothing is lost.
- **Photos** (up to three, services of ``KIOSK_PHOTO_GROUPS``): ``/request/photos``, reached from the
  check page's *Add a photo*; one photo a POST, shrunk on the box (:func:`core.media.shrink_photo`). A
  phone's file field opens its camera (``capture="environment"``); on the kiosk's own screen, whose
  Chromium opens no file dialog (its policy), ``static/js/recorder.js`` shows what a camera on the box
  (a USB document camera) sees, *Take the photo* puts a JPEG of it into that field; with no camera the
  screen says a worker can add it from a phone.
- Each is played or shown only to the browser of the draft that holds it (``/request/media/<id>``); the
  worker's pages have their own address behind the login (kiosk/worker/writing.py).
"""
from __future__ import annotations

from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from core import media
from core.actions import resident as actions
from core.drafts import Draft

from . import bp, flow
from .lookup import draft_and_service, start_again
from ..db import get_db
from ..shared_screen import on_shared_screen

#: The pages whose form may carry a recording or a photo: a bigger body than the kiosk's other forms.
UPLOAD_PAGES = {"resident.question", "resident.photos"}
UPLOAD_BODY = media.MAX_PHOTO_UPLOAD + 256 * 1024

REFUSED = {
    "empty": _l("The recording was empty. Please record again."),
    "too_large": _l("That recording is too big for the kiosk. Please record again, at most two minutes."),
    "not_audio": _l("That file is not a recording the kiosk can keep. Please record again with the microphone button or your phone's recorder."),
    "too_long": _l("That recording is longer than two minutes. Please record again, a little shorter."),
}
PHOTO_REFUSED = {
    "empty": _l("No photo came through. Please take the photo again."),
    "too_large": _l("That photo is too big for the kiosk. Please take it again, or choose a smaller one."),
    "not_photo": _l("That file is not a photo the kiosk can keep. Please take a photo with the camera."),
    "too_many": _l("A request can carry three photos. Please remove one before adding another."),
}


@bp.url_value_preprocessor
def larger_bodies_for_uploads(endpoint, values) -> None:
    """Let a question's form and the photo page bring a recording or a photo. Runs before the app's
    form-token check reads the body (url value preprocessors run before ``before_request``)."""
    if endpoint in UPLOAD_PAGES and request.method == "POST" and request.mimetype == "multipart/form-data":
        request.max_content_length = UPLOAD_BODY
        # The words typed beside it stay small in memory (Werkzeug counts its read buffer, 64 KiB at a time,
        # against this); their own limit is the field's (kiosk/validation.py: an error, all of it kept).
        request.max_form_memory_size = 4 * max(current_app.config["MAX_CONTENT_LENGTH"], 64 * 1024)


def take_spoken(draft: Draft, code: str) -> str | None:
    """Keep the recording a question's form brought (or remove the kept one, when asked); the polite
    error when it cannot be kept, else None."""
    removing = request.form.get("spoken_remove", "")
    if removing.isdigit():
        actions.remove_media(get_db(), draft, int(removing))
        return None
    upload = request.files.get("spoken")
    if upload is None or not upload.filename and not upload.content_length:
        return None
    data = upload.read(media.MAX_AUDIO_BYTES + 1)
    if not data and not upload.filename:
        return None
    try:
        declared = float(request.form.get("spoken_seconds") or "nan")
    except ValueError:
        declared = float("nan")
    try:
        mime, seconds = media.check_audio(data, declared if declared == declared else None)
    except media.MediaRefused as refused:
        return str(REFUSED.get(refused.reason, REFUSED["not_audio"]))
    actions.keep_spoken(get_db(), draft, code, data, mime, seconds)
    return None


def spoken_shown(draft: Draft, code: str) -> dict:
    """What a question's page shows of its kept recording."""
    item = media.spoken_fields(get_db(), draft.id).get(code)
    if item is None:
        return {"spoken": None}
    return {"spoken": item, "spoken_label": flow.spoken_label(item),
            "spoken_url": url_for("resident.media_file", media_id=item.id)}


@bp.get("/request/media/<int:media_id>")
def media_file(media_id: int):
    """A recording or photo of this browser's draft, to play back or show (no one else's)."""
    found = draft_and_service()
    item = media.item(get_db(), media_id)
    if not found or item is None or item.draft_id != found[0].id:
        abort(404)
    response = make_response(media.content(get_db(), media_id))
    response.headers["Content-Type"] = item.mime
    response.headers["Cache-Control"] = "no-store"  # a shared screen: the next person is a stranger
    return response


@bp.get("/media/<token>")
def shared_photo(token: str):
    """A saved request's photo, for the county it was sent to as ``media_url`` (``KIOSK_COUNTY_MEDIA``):
    the address is a long random token only that send carries; nothing here once the request is purged,
    nor on a kiosk whose county takes no media."""
    if current_app.config.get("COUNTY_MEDIA") != "media_url":
        abort(404)
    item = media.by_share(get_db(), token)
    if item is None:
        abort(404)
    response = make_response(media.content(get_db(), item.id))
    response.headers["Content-Type"] = item.mime
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/request/photos", methods=["GET", "POST"])
def photos():
    """Up to three photos of what is wrong: a phone's camera (``capture``), or a file on the kiosk."""
    found = draft_and_service()
    if not found:
        return start_again()
    draft, svc = found
    if not flow.takes_photos(svc):
        abort(404)
    instead = svc.question(request.values.get("for", ""))  # 📷 instead of writing: back to it, then on from it
    done = flow.next_url(svc, ("resident.question", instead.code)) if instead else url_for("resident.check")
    error = None
    if request.method == "POST":
        removing = request.form.get("remove", "")
        if removing.isdigit():
            actions.remove_media(get_db(), draft, int(removing))
            return redirect(url_for("resident.photos", **_carried()))
        going_on = request.form.get("then") == "done"  # Done is a button of this form: a photo chosen is not lost
        upload = request.files.get("photo")
        data = upload.read(media.MAX_PHOTO_UPLOAD + 1) if upload else b""
        if going_on and not data:
            return redirect(done)
        try:
            jpeg, width, height = media.shrink_photo(data)
            actions.add_photo(get_db(), draft, jpeg, width, height)
        except media.MediaRefused as refused:
            error = str(PHOTO_REFUSED.get(refused.reason, PHOTO_REFUSED["not_photo"]))
        else:
            return redirect(done if going_on else url_for("resident.photos", **_carried()))
    kept = [m for m in media.for_draft(get_db(), draft.id) if m.kind == media.PHOTO]
    back = url_for("resident.question", code=instead.code) if instead else done
    return render_template(
        "resident/photos.html", service=svc, photos=[(m, url_for("resident.media_file", media_id=m.id)) for m in kept],
        room=len(kept) < media.MAX_PHOTOS, errors=[("photo", error)] if error else [],
        done=done, back=back, carried=_carried(), on_screen=on_shared_screen(),
    ), (422 if error else 200)


def _carried() -> dict:
    if request.values.get("for"):
        return {"for": request.values["for"]}
    return {"return": "check"} if request.values.get("return") == "check" else {}
