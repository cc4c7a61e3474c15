"""Every way out of a question page keeps what is in its field (a new user's walk, issue 23).

Back, Home, Ask a worker for help, the language and text-size buttons and Voice settings are, on a
question page, buttons of the question's own form (``form=`` and ``formaction=``, so without JavaScript
too): they send what she typed or wrote by hand, and a recording she stopped but did not keep, to the
question's address with ``?leave=<where>``. :func:`kiosk.resident.views.form_step` keeps it as the
draft (:meth:`kiosk.resident.forms.QuestionForm.keep_typed`) and then goes where she asked, as the
button would have done on any other page. Coming back shows the words in the field and the recording
kept. A visit that ends (Finish, walking away, Stop here → yes) still parks the draft and forgets the
screen, as before: nothing half-typed stays for the next person.
"""
from __future__ import annotations

from flask import redirect, request, session, url_for
from werkzeug.wrappers import Response

from . import help as helping, visit
from ..i18n import LOCALES
from ..security import from_this_box

#: ``?leave=`` values: where the button would have gone.
WAYS_OUT = ("back", "home", "help", "language", "size", "voice", "photos")
TEXT_SIZES = (0, 1, 2)  # normal, larger, largest (the text-size buttons)


def leave_to(way: str, here: str, back: str) -> Response:
    """Go where the button ``way`` leads, once what was in the field is kept. ``here``: this page (to
    come back to); ``back``: the page before it."""
    if way == "back":
        return redirect(back)
    if way == "home":
        return visit.home(came_from=here)
    if way == "help":
        return helping.call_or_show(here) if from_this_box() else redirect(url_for("resident.help", back=here))
    if way == "photos":  # 📷 Show it with a photo instead: the photo page, then on from this question
        return redirect(url_for("resident.photos", **{"for": request.view_args["code"]}))
    if way == "voice":
        return redirect(url_for("voice.settings", next=here))
    if way == "language" and request.form.get("locale") in LOCALES:
        session["locale"] = request.form["locale"]
    if way == "size":
        size = request.form.get("size", "0")
        session["text_size"] = int(size) if size.isdigit() and int(size) in TEXT_SIZES else 0
    response = redirect(here)
    if request.headers.get("HX-Request"):  # language and text size live on <html>: a whole page, not a swap
        response = Response("", 200, {"HX-Redirect": here})
    return response
