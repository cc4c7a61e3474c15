"""The form pages of a request — a question, about you, contact, and choosing an address from the
centre's address book — as small classes.

Each says which step it is, what its page shows from the draft, how a POST is checked, what is kept,
and what to show again when something is wrong. :func:`kiosk.resident.views.form_step` runs every one
of them the same way (load the draft, validate, save, go on — or show the page again with a 422), so
a worker's assisted mode can run them too.
"""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from core import addresses, personal
from core.actions import resident as actions
from core.catalogue import Service
from core.drafts import Draft
from core.wording import OTHER, other_words_key

from . import attachments, flow
from .flow import mask
from .. import validation
from ..db import get_db
from ..i18n import centre_locale, current_locale
from .addresses import (DETAILS, Target, book_in_use, given_path, given_spot, path_params, question_target,
                        written_instead, written_spot)

LIST_TYPES = ("singlevaluelist", "multivaluelist")


def only_errors(pairs: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """Keep only real errors, as ``(field id, message)`` for the error summary and the fields."""
    return [(field, message) for field, message in pairs if message]


class StepForm:
    """One form page of a request. Subclasses set ``template`` and ``step`` and fill in the hooks."""

    template: str
    step: tuple[str, str | None]  # this page's place in :func:`kiosk.resident.flow.steps`
    field = "main"  # the field a message about the whole page links to (a body over the cap)
    keeps_typed = False  # its ways out (Back, Home, Help…) send its form first (kiosk/resident/leaving.py)

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

    def pending(self, values: dict, returning: bool) -> str | None:
        """Where to go instead of keeping ``values``, when they are not a whole answer yet (an
        address chosen to its building, with its flat still to choose); None to keep them."""
        return None

    def next_url(self, returning: bool) -> str:
        """Where to go once the answer is kept."""
        return flow.next_url(self.service, self.step, returning)

    def back_url(self, returning: bool) -> str:
        """Where this page's Back link goes."""
        return url_for("resident.check") if returning else flow.back_url(self.service, self.step)

    def here_url(self, returning: bool) -> str:
        """This page again, as it was asked for (to come back to after Help, a language…)."""
        endpoint, code = self.step
        return url_for(endpoint, **({"code": code} if code else {}), **({"return": "check"} if returning else {}))

    def keep_typed(self, form: MultiDict) -> None:
        """On a way out of the page: keep what is in its fields as the draft, without asking more."""


def _carried(writing: bool, path: list[str], spot: str = "", other: bool = False) -> list[tuple[str, str]]:
    """Hidden fields that keep "write it instead" and the levels chosen across a page shown again."""
    if not writing:
        return []
    return [("write", "1"), *path_params(path).items(), *((("spot", spot),) if spot else ()), *((("other", "1"),) if other else ())]


class QuestionForm(StepForm):
    """One question per page."""

    template = "resident/question.html"
    keeps_typed = True

    def __init__(self, service: Service, draft: Draft, code: str):
        super().__init__(service, draft)
        self.question = service.question(code)
        if self.question is None:
            abort(404)
        self.step = ("resident.question", code)
        self.field = f"answer-{code}"
        self.target = question_target(code)
        self.choosing = self.question.choose_from == "address_book" and book_in_use()
        self.writing, self.chosen = written_instead()
        self.spot = written_spot(self.chosen) if self.choosing and self.writing and self.chosen else ""
        # "其他" on the spot page: a place the book does not name, written after the place chosen
        self.other = self.choosing and self.writing and bool(self.chosen) and request.values.get("other") == "1"
        # 🎤 on every written question, and under a list that has "other" (kiosk/resident/attachments.py)
        self.speaks = (self.question.datatype in ("string", "text")
                       or self.question.datatype == "singlevaluelist" and OTHER in dict(self.question.options))
        # ✍ and beside 🎤: under a list that has "other", a field to write what it is (on the keyboard or by hand)
        self.writes_other = self.question.datatype == "singlevaluelist" and OTHER in dict(self.question.options)
        self.staying = False  # "Keep this recording" / "Delete this recording": the same page again

    def skip(self):
        # Only showing the page goes to the chooser: a typed answer posted here is always taken.
        if self.choosing and not self.writing and request.method == "GET":
            return redirect(self.target.chooser_url(returning=request.values.get("return") == "check"))
        return None

    def shown(self) -> dict:
        empty = [] if self.question.datatype == "multivaluelist" else ""
        value = self.draft.answers.get(self.question.code, empty)
        if self.choosing and self.writing and self.chosen:  # write only what was not listed
            value = addresses.label_for(get_db(), self.chosen, current_locale(), self.spot) + (" " if self.other else "")
        return {"question": self.question, "value": value, "carry": self._carry(), **self._other_hint(), **self._spoken(),
                **self._written_other(self.draft.answers.get(other_words_key(self.question.code), "")),
                "just_kept": request.args.get("kept") == "1"}

    def _written_other(self, words: str) -> dict:
        return {"writes_other": self.writes_other, "other_words": words} if self.writes_other else {}

    def _other_words(self, form: MultiDict, value) -> tuple[dict, tuple[str, str | None]]:
        """The words written beside "other" (kept only with "other"; "" takes them away), and their error."""
        if not self.writes_other:
            return {}, ("", None)
        words = validation.clean_text(form.get("other_words")) if value == OTHER else ""
        field = f"other-{self.question.code}"
        if value == OTHER and form.get("written_other") and not words:  # "Send what I wrote" with nothing written
            return {"other_words": ""}, (field, _("Please write what it is, then press Send what I wrote."))
        return {"other_words": words}, (field, validation.check_length(words, validation.MAX_LENGTH["string"]))

    def _spoken(self) -> dict:
        shows = self.question.datatype in ("string", "text") and flow.takes_photos(self.service)  # 📷 instead
        return {"speaks": self.speaks, "shows": shows,
                **(attachments.spoken_shown(self.draft, self.question.code) if self.speaks else {})}

    def _carry(self) -> list[tuple[str, str]]:
        return _carried(self.choosing and self.writing, self.chosen, self.spot, self.other)

    def _other_hint(self) -> dict:
        return {"hint": _("Write what it is after the place, for example: water tank")} if self.other else {}

    def back_url(self, returning):
        if self.choosing and self.writing:
            return self.target.chooser_url(self.chosen, returning, self.spot or None)
        return super().back_url(returning)

    def check(self, form):
        spoken_error = attachments.take_spoken(self.draft, self.question.code) if self.speaks else None
        self.staying = self.speaks and bool(form.get("spoken_keep") or form.get("spoken_remove"))
        if self.speaks and form.get("spoken_other") and self.question.datatype == "singlevaluelist":
            # "Send what I said" under a list answers 其他 with her recording, and only with one: pressed
            # before anything was recorded it would send the county a bare "其他"
            if spoken_error is None and not self._spoken().get("spoken"):
                spoken_error = _("Nothing has been recorded yet. Press Record, say it, then Send what I said.")
            value, error = validation.check_answer(self.question, [OTHER])
            words, words_error = self._other_words(form, value)
            return {"value": value, **words}, only_errors([(f"spoken-{self.question.code}", spoken_error), words_error])
        # "Send what I wrote" (or Enter in its field: no option tapped, words written): 其他, with the words beside it
        if self.writes_other and (form.get("written_other")
                                  or not form.getlist("answer") and validation.clean_text(form.get("other_words"))):
            value, error = validation.check_answer(self.question, [OTHER])
            words, words_error = self._other_words(form, value)
            return {"value": value, **words}, only_errors([(f"spoken-{self.question.code}", spoken_error), words_error])
        value, error = validation.check_answer(self.question, form.getlist("answer"))
        words, words_error = self._other_words(form, value)
        if error and value in ("", []) and (self.staying or self._spoken().get("spoken")
                                            or flow.shown_instead(self.service, self.draft, self.question.code)):
            error = None  # answered by what she said or showed (or only keeping a recording for now)
        return {"value": value, **words}, only_errors([(f"spoken-{self.question.code}", spoken_error),
                                                       (f"answer-{self.question.code}", error), words_error])

    def pending(self, values, returning):
        if not self.staying:
            return None
        if values["value"] not in ("", []) or self.question.code in self.draft.answers:
            self.keep(values)  # what was typed stays with the recording
            actions.save_answers(get_db(), self.draft)
        # Kept: the page again, with "✓ Kept" at its top, focused (it was 2,000 px down: a new user's walk)
        kept = {"kept": "1"} if request.form.get("spoken_keep") and self._spoken().get("spoken") else {}
        return url_for("resident.question", code=self.question.code, **({"return": "check"} if returning else {}),
                       **dict(self._carry()), **kept, **({"_anchor": "just-kept"} if kept else {}))

    def here_url(self, returning):
        return url_for("resident.question", code=self.question.code, **({"return": "check"} if returning else {}),
                       **dict(self._carry()))

    def keep_typed(self, form):
        """Back, Home, Help, a language…: keep the recording the form brought, and the words in the field
        when they are an answer the request could carry (an empty field changes nothing; a text over
        the limit or a number that is not one is not kept: Continue says why)."""
        if self.speaks:
            attachments.take_spoken(self.draft, self.question.code)
        value, error = validation.check_answer(self.question, form.getlist("answer"))
        written_for_her = self.shown()["value"] if self.choosing and self.writing and self.chosen else ""
        if not error and value not in ("", []) and value != written_for_her.strip():  # not the place put there for her
            self.keep({"value": value})
            actions.save_answers(get_db(), self.draft)
        words = validation.clean_text(form.get("other_words")) if self.writes_other else ""
        if words and not validation.check_length(words, validation.MAX_LENGTH["string"]):  # written beside "other"
            self.draft.answers[other_words_key(self.question.code)] = words
            actions.save_answers(get_db(), self.draft)

    def keep(self, values):
        self.draft.answers[self.question.code] = values["value"]
        if "other_words" in values:  # kept with "other" only: another answer takes them away
            if values["other_words"]:
                self.draft.answers[other_words_key(self.question.code)] = values["other_words"]
            else:
                self.draft.answers.pop(other_words_key(self.question.code), None)
        self.draft.locale = current_locale()  # the resident's language; the county gets the centre's (sync/payload.py)

    def typed(self, form, values):
        carry = self._carry()
        if self.question.datatype in LIST_TYPES:
            return {"question": self.question, "value": values["value"], "carry": carry, **self._spoken(),
                    **self._written_other(validation.typed_back(form.get("other_words"), "string"))}
        raw = form.getlist("answer")
        return {"question": self.question, "value": validation.typed_back(raw[0] if raw else "", self.question.datatype),
                "carry": carry, **self._other_hint(), **self._spoken()}


class DetailsForm(StepForm):
    """Name and/or address, only for services that need them."""

    template = "resident/details.html"
    step = ("resident.details", None)

    def __init__(self, service: Service, draft: Draft):
        super().__init__(service, draft)
        # With an address book, this page asks only the name and the address is chosen on the next pages,
        # unless the resident chose to write it ("not listed"), or a posted form brings one written.
        self.choosing = service.needs_address and book_in_use()
        self.writing, self.chosen = written_instead()
        self.asks_address = service.needs_address and (not self.choosing or self.writing or "address" in request.form)
        self.field = "name" if service.needs_name else "address"

    def skip(self):
        if not self.service.needs_details:
            return redirect(url_for("resident.contact"))
        if not self.asks_address and not self.service.needs_name and request.method == "GET":
            return redirect(DETAILS.chooser_url(returning=request.values.get("return") == "check"))
        return None

    def shown(self):
        address = self.draft.personal.get("address", "")
        if self.choosing and self.writing and self.chosen:
            address = addresses.label_for(get_db(), self.chosen, current_locale())  # write only what was not listed
        return {"values": {"name": self.draft.personal.get("name", ""), "address": address},
                "asks_address": self.asks_address, "carry": _carried(self.choosing and self.writing, self.chosen),
                "reused": bool(self.draft.personal.get(personal.REUSED)), "hidden": self.hidden()}

    def hidden(self) -> dict[str, str]:
        """Reused details shown hidden in part (kiosk/resident/reuse.py), unless the resident asked to change one."""
        changing = request.values.get("change")
        return {f: mask(f, self.draft.personal[f]) for f in ("name", "address")
                if f != changing and personal.still_reused(self.draft.personal, f)}

    def check(self, form):
        values, checks = {}, []
        kept = lambda f: f not in form and personal.still_reused(self.draft.personal, f)  # noqa: E731  (shown hidden)
        if self.service.needs_name and not kept("name"):
            values["name"], error = validation.check_name(form.get("name"))
            checks.append(("name", error))
        if self.asks_address and not kept("address"):
            values["address"], error = validation.check_address(form.get("address"))
            checks.append(("address", error))
        return values, only_errors(checks)

    def keep(self, values):
        self.draft.personal.update({k: v for k, v in values.items() if v})

    def typed(self, form, values):
        return {"values": {k: validation.typed_back(form.get(k), k) for k in ("name", "address")},
                "asks_address": self.asks_address, "carry": _carried(self.choosing and self.writing, self.chosen),
                "reused": bool(self.draft.personal.get(personal.REUSED)),
                "hidden": {f: v for f, v in self.hidden().items() if f not in form}}

    def next_url(self, returning):
        reused = personal.still_reused(self.draft.personal, "address")
        if self.choosing and not self.asks_address and not reused and not (returning and self.draft.personal.get("address")):
            return DETAILS.chooser_url(returning=returning)  # the name is kept: now where they live
        return super().next_url(returning)

    def back_url(self, returning):
        if self.choosing and self.writing:
            return DETAILS.chooser_url(self.chosen, returning)
        return super().back_url(returning)


class ContactForm(StepForm):
    """How a worker should get back to the resident: at the centre, by phone, or not at all."""

    template = "resident/contact.html"
    step = ("resident.contact", None)
    field = "phone"

    def shown(self):
        return {"phone": self.draft.personal.get("phone", ""), "reused": bool(self.draft.personal.get(personal.REUSED)),
                "hidden_phone": self.hidden_phone()}

    def hidden_phone(self) -> str:
        if request.values.get("change") == "phone" or not personal.still_reused(self.draft.personal, "phone"):
            return ""
        return mask("phone", self.draft.personal["phone"])

    def check(self, form):
        choice = form.get("contact")
        if choice not in self.service.contact_options:
            return {}, [("phone", _("Please choose how we should contact you."))]
        if choice != "phone":
            return {"contact": choice}, []
        if "phone" not in form and personal.still_reused(self.draft.personal, "phone"):  # shown hidden: kept
            return {"contact": choice, "phone": self.draft.personal["phone"]}, []
        phone, error = validation.check_phone(form.get("phone"))
        return {"contact": choice, "phone": phone}, only_errors([("phone", error)])

    def keep(self, values):
        self.draft.personal["contact"] = values["contact"]
        if values["contact"] == "phone":
            self.draft.personal["phone"] = values["phone"]
        else:
            self.draft.personal.pop("phone", None)  # only keep a number the resident asked us to use

    def typed(self, form, values):
        return {"phone": validation.typed_back(form.get("phone")), "hidden_phone": ""}


class AddressChooser(StepForm):
    """One level of choosing an address from the centre's address book: estate, building, unit or flat.

    Belongs to the step of the page it answers (a question, or about you), so it is that step's
    page number; a tap on a level that is not the last goes on to the next level (POST, then a
    redirect), the last one keeps the address as the words a resident writes, where the ordinary
    page would keep it. Levels with one choice are passed without asking (:func:`core.addresses.walk`).
    """

    template = "resident/address.html"

    def __init__(self, service: Service, draft: Draft, target: Target, depth: str, heading: str, before: str | None):
        super().__init__(service, draft)
        self.target, self.depth, self.heading, self.before = target, depth, heading, before
        self.step = ("resident.question", target.code) if target.code else ("resident.details", None)
        self.db, self.locale = get_db(), current_locale()
        # a question (where is it broken?) goes on to the place's shared spots; where you live does not
        self.walk = addresses.walk(self.db, given_path(request.values), depth, *given_spot(request.values),
                                   with_spots=target.code is not None)

    @classmethod
    def for_question(cls, service: Service, draft: Draft, code: str) -> "AddressChooser":
        question = service.question(code)
        if question is None:
            abort(404)
        return cls(service, draft, question_target(code), question.choose_down_to, question.text, None)

    @classmethod
    def for_details(cls, service: Service, draft: Draft) -> "AddressChooser":
        before = url_for("resident.details") if service.needs_name else None  # the name comes first, on its own page
        return cls(service, draft, DETAILS, "flat", _("Where you live"), before)

    def _current(self) -> str:
        if self.target.code:
            value = self.draft.answers.get(self.target.code, "")
            return value if isinstance(value, str) else ""
        return self.draft.personal.get("address", "")

    def skip(self):
        returning = request.values.get("return") == "check"
        question = self.service.question(self.target.code) if self.target.code else None
        opted_in = question.choose_from == "address_book" if question else self.service.needs_address
        if not opted_in or not book_in_use():
            return redirect(self.target.write_url(returning=returning) if opted_in else flow.url_of(self.step))
        if request.method == "GET" and (self.walk.invalid or self.walk.complete):
            # a link to a level the book does not have (or past the last one): the nearest level it has
            walk = self.walk
            if walk.spot or walk.invalid == "spot":  # the spot page, or its floors
                with_floor = walk.invalid == "floor" or (walk.floor and not walk.invalid)
                return redirect(self.target.chooser_url(walk.path, returning, walk.spot if with_floor else None))
            path = walk.path if walk.invalid else walk.path[:walk.asked[-1] if walk.asked else 0]
            return redirect(self.target.chooser_url(path, returning))
        return None

    def _page(self) -> dict:
        walk, current = self.walk, self._current()
        returning = request.values.get("return") == "check"
        english = self.locale.startswith("en")
        items = []
        for value in walk.choices:
            if walk.level == "estate":
                text = addresses.part("estate", value, self.locale, addresses.latin_name(self.db, value))
            elif walk.level == "spot":
                text = addresses.part("spot", value, self.locale, addresses.spot_latin(self.db, walk.path, value) if english else "")
            else:
                text = addresses.part(walk.level, value, self.locale)
            # A place from the book is kept in the centre's language (see keep): her earlier choice is
            # recognised in that language, whatever the screen shows now.
            centre = centre_locale()
            if walk.level in addresses.SPOT_LEVELS:
                spot, floor = (value, "") if walk.level == "spot" else (walk.spot, value)
                chosen = addresses.label_for(self.db, walk.path, centre, spot, floor)
                if centre.startswith("en"):
                    kept_text = addresses.part(walk.level, value, centre,
                                               addresses.spot_latin(self.db, walk.path, value) if walk.level == "spot" else "")
                    selected = current == chosen or current.startswith(kept_text + ", ")
                else:
                    selected = current == chosen or current.startswith(chosen + " ")
            else:
                chosen = addresses.label_for(self.db, (*walk.path, value), centre)
                selected = addresses.is_part_of(chosen, current, centre)
            items.append({"value": value, "text": text, "selected": selected})
        prompts = {"estate": _("Choose the estate."), "building": _("Choose the building."),
                   "unit": _("Choose the entrance."), "flat": _("Choose the flat."),
                   "spot": _("Which shared place is it?"), "floor": _("Which floor?")}
        so_far = addresses.label_for(self.db, walk.path, self.locale, walk.spot)
        if walk.level == "spot":
            other = {"href": self.target.write_url(walk.path, returning, other=True),
                     "text": _("Other — write what it is"), "icon": "✍"}
        else:
            other = {"href": self.target.write_url(walk.path, returning, walk.spot or None),
                     "text": _("Not listed — write it instead"), "icon": "✍"}
        return {
            "heading": self.heading, "prompt": prompts[walk.level], "level": walk.level, "items": items,
            "compact": len(items) > 6 and max(len(i["text"]) for i in items) <= 10,
            "so_far": _("You chose: %(address)s", address=so_far) if so_far else "",
            "carry": list(path_params(walk.path).items()) + ([("spot", walk.spot)] if walk.level == "floor" else []),
            "action": url_for(self.target.chooser, **({"code": self.target.code} if self.target.code else {})),
            "other": other,
            "privacy": self.target.code is None,
        }

    def shown(self):
        return self._page()

    def check(self, form):
        if self.walk.invalid:
            return {}, [("address-choice", _("Please choose from the list, or write it instead."))]
        return {"path": self.walk.path, "spot": self.walk.spot, "floor": self.walk.floor}, []

    def typed(self, form, values):
        return self._page()  # the level whose value was not in the book, asked again

    def pending(self, values, returning):
        if self.walk.complete:
            return None
        return self.target.chooser_url(values["path"], returning, values["spot"] or None)

    def keep(self, values):
        # A place from the book is kept in the centre's language, whatever the screen shows: it is
        # sent to the county as kept, and the county reads one language (a written address is sent as written).
        address = addresses.label_for(self.db, values["path"], centre_locale(), values["spot"], values["floor"])
        if self.target.code:
            self.draft.answers[self.target.code] = address
            self.draft.locale = current_locale()
        else:
            self.draft.personal["address"] = address

    def back_url(self, returning):
        if self.walk.level == "floor":
            return self.target.chooser_url(self.walk.path, returning)  # the spot page
        if self.walk.asked:
            return self.target.chooser_url(self.walk.path[:self.walk.asked[-1]], returning)
        if returning:
            return url_for("resident.check")
        return self.before or flow.back_url(self.service, self.step)
