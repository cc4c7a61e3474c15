"""Her home as the request's location: asked only where the county wants it, and only with her yes.

Where the county locates a home visit by the resident's address (``KIOSK_COUNTY_LOCATION=home``), a
service that asks where she lives (its catalogue ``needs.address``) asks her next, on a page of its
own, whether the county may show that address on its public list of requests, so the worker who comes
can find her home. "Yes" and "No" are the same big buttons and neither is chosen for her; "No" changes
nothing else: the centre's place is sent, as for every other request. Her answer is kept with her
personal details (:data:`core.personal.ADDRESS_PUBLIC`, sealed) and read once, when the request's
wording is frozen (:meth:`core.wording.Centre.place_for`). A worker filling a request in for her
(kiosk/worker/assist.py) meets the same page, in the same order (:func:`kiosk.resident.flow.steps`).
"""
from __future__ import annotations

from flask import current_app, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import personal
from core.catalogue import Service

from . import bp
from .addresses import DETAILS, book_in_use
from .forms import StepForm

STEP = ("resident.home_public", None)
#: Her two answers, as the page's buttons and the check page's row say them.
ANSWERS = {"yes": _l("Yes, show my address"), "no": _l("No, keep it private")}


def asked(service: Service) -> bool:
    """Whether this service asks her about her home as its location: it asks where she lives, and the
    county locates home visits by address."""
    return service.needs_address and current_app.config.get("COUNTY_LOCATION") == "home"


def answered(details: dict) -> bool:
    return details.get(personal.ADDRESS_PUBLIC) in ANSWERS


def answer_text(details: dict) -> str:
    return str(ANSWERS.get(details.get(personal.ADDRESS_PUBLIC, ""), _("Not answered")))


class HomePublicForm(StepForm):
    """May the county show her address on its public list of requests? Yes or no, one tap."""

    template = "resident/home_public.html"
    step = STEP
    field = "address-public"

    def skip(self):
        if not asked(self.service):
            return redirect(url_for("resident.contact"))
        return None

    def shown(self):
        return {"options": list(ANSWERS.items()), "value": self.draft.personal.get(personal.ADDRESS_PUBLIC)}

    def check(self, form):
        choice = form.get("answer")
        if choice not in ANSWERS:
            return {}, [(self.field, _("Please choose yes or no."))]
        return {"answer": choice}, []

    def keep(self, values):
        self.draft.personal[personal.ADDRESS_PUBLIC] = values["answer"]

    def typed(self, form, values):
        return self.shown()

    def back_url(self, returning):
        if returning:
            return url_for("resident.check")
        return DETAILS.chooser_url() if book_in_use() else url_for("resident.details")


@bp.route("/request/about-you/address/public", methods=["GET", "POST"])
def home_public():
    """Whether the county may show her address as the request's location (only where it wants it)."""
    from .views import form_step  # the one runner of every form page
    return form_step(HomePublicForm)
