"""Her home as the request's location: asked only where the county wants it, and only with her yes.

Where the county locates a home visit by the resident's address (``KIOSK_COUNTY_LOCATION=home``), a
service that asks where she lives (its catalogue ``needs.address``) asks her next, on a page of its
own, whether the county may show that address on its public list of requests, so the worker who comes
can find her home. "Yes" and "No" are the same big buttons and neither is chosen for her; "No" changes
nothing else: the centre's place is sent, as for every other request. Her answer is kept with her
personal details (:data:`core.personal.ADDRESS_PUBLIC`, sealed) and read once, when the request's
wording is frozen (:meth:`core.wording.Centre.place_for`). A worker filling a request in for her
(kiosk/worker/assist.py) meets the same page, in the same order (:func:`kiosk.resident.flow.steps`).
The route is in :mod:`kiosk.resident.views`, with every form page's.
"""
from __future__ import annotations

from flask import redirect, url_for
from flask_babel import gettext as _

from core import personal

from .addresses import DETAILS, book_in_use
from .flow import HOME_ANSWERS, HOME_PUBLIC, asks_home_public
from .forms import StepForm


class HomePublicForm(StepForm):
    """May the county show her address on its public list of requests? Yes or no, one tap."""

    template = "resident/home_public.html"
    step = HOME_PUBLIC
    field = "address-public"

    def skip(self):
        if not asks_home_public(self.service):
            return redirect(url_for("resident.contact"))
        return None

    def shown(self):
        return {"options": list(HOME_ANSWERS.items()), "value": self.draft.personal.get(personal.ADDRESS_PUBLIC)}

    def check(self, form):
        choice = form.get("answer")
        if choice not in HOME_ANSWERS:
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
