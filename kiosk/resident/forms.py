"""The form pages of a request — a question, about you, contact — as three small classes.

Each says which step it is, what its page shows from the draft, how a POST is checked, what is kept,
and what to show again when something is wrong. :func:`kiosk.resident.views.form_step` runs every one
of them the same way (load the draft, validate, save, go on — or show the page again with a 422), so
a worker's assisted mode can run them too.
"""
from __future__ import annotations

from flask import abort, redirect, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from core.catalogue import Service
from core.drafts import Draft

from .. import validation
from ..i18n import current_locale

LIST_TYPES = ("singlevaluelist", "multivaluelist")


def only_errors(pairs: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """Keep only real errors, as ``(field id, message)`` for the error summary and the fields."""
    return [(field, message) for field, message in pairs if message]


class StepForm:
    """One form page of a request. Subclasses set ``template`` and ``step`` and fill in the hooks."""

    template: str
    step: tuple[str, str | None]  # this page's place in :func:`kiosk.resident.flow.steps`

    def __init__(self, service: Service, draft: Draft):
        self.service, self.draft = service, draft

    def skip(self) -> Response | None:
        """A response instead of this page, when the page does not apply to the service."""
        return None

    def shown(self) -> dict:
        """What the page shows now, from the draft (template variables)."""
        raise NotImplementedError

    def check(self, form: MultiDict) -> tuple[dict, list[tuple[str, str]]]:
        """``(clean values, errors)`` from a POST."""
        raise NotImplementedError

    def keep(self, values: dict) -> None:
        """Put clean values into the draft (the caller saves it)."""
        raise NotImplementedError

    def typed(self, form: MultiDict, values: dict) -> dict:
        """What the page shows again after an error: what was typed, so nothing is lost."""
        raise NotImplementedError


class QuestionForm(StepForm):
    """One question per page."""

    template = "resident/question.html"

    def __init__(self, service: Service, draft: Draft, code: str):
        super().__init__(service, draft)
        self.question = service.question(code)
        if self.question is None:
            abort(404)
        self.step = ("resident.question", code)

    def shown(self) -> dict:
        empty = [] if self.question.datatype == "multivaluelist" else ""
        return {"question": self.question, "value": self.draft.answers.get(self.question.code, empty)}

    def check(self, form):
        value, error = validation.check_answer(self.question, form.getlist("answer"))
        return {"value": value}, only_errors([(f"answer-{self.question.code}", error)])

    def keep(self, values):
        self.draft.answers[self.question.code] = values["value"]
        self.draft.locale = current_locale()  # the request goes to the county in the language of its answers

    def typed(self, form, values):
        if self.question.datatype in LIST_TYPES:
            return {"question": self.question, "value": values["value"]}
        raw = form.getlist("answer")
        return {"question": self.question, "value": validation.typed_back(raw[0] if raw else "", self.question.datatype)}


class DetailsForm(StepForm):
    """Name and/or address, only for services that need them."""

    template = "resident/details.html"
    step = ("resident.details", None)

    def skip(self):
        return None if self.service.needs_details else redirect(url_for("resident.contact"))

    def shown(self):
        return {"values": {"name": self.draft.personal.get("name", ""), "address": self.draft.personal.get("address", "")}}

    def check(self, form):
        values, checks = {}, []
        if self.service.needs_name:
            values["name"], error = validation.check_name(form.get("name"))
            checks.append(("name", error))
        if self.service.needs_address:
            values["address"], error = validation.check_address(form.get("address"))
            checks.append(("address", error))
        return values, only_errors(checks)

    def keep(self, values):
        self.draft.personal.update({k: v for k, v in values.items() if v})

    def typed(self, form, values):
        return {"values": {k: validation.typed_back(form.get(k), k) for k in ("name", "address")}}


class ContactForm(StepForm):
    """How a worker should get back to the resident: at the centre, by phone, or not at all."""

    template = "resident/contact.html"
    step = ("resident.contact", None)

    def shown(self):
        return {"phone": self.draft.personal.get("phone", "")}

    def check(self, form):
        choice = form.get("contact")
        if choice not in self.service.contact_options:
            return {}, [("phone", _("Please choose how we should contact you."))]
        if choice != "phone":
            return {"contact": choice}, []
        phone, error = validation.check_phone(form.get("phone"))
        return {"contact": choice, "phone": phone}, only_errors([("phone", error)])

    def keep(self, values):
        self.draft.personal["contact"] = values["contact"]
        if values["contact"] == "phone":
            self.draft.personal["phone"] = values["phone"]
        else:
            self.draft.personal.pop("phone", None)  # only keep a number the resident asked us to use

    def typed(self, form, values):
        return {"phone": validation.typed_back(form.get("phone"))}
