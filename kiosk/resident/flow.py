"""The order of pages for one service: its questions, then "about you" if needed, contact, check —
and the answers as words, for the check page and the receipt.

Kept apart from the views so "what comes next" and "what came before" are plain functions that
tests can call, and so a worker's assisted mode can reuse the same order. Templates are handed the
rows these functions build, never this module.
"""
from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l

from core import addresses, media, personal
from core.catalogue import Service
from core.drafts import Draft
from core.submissions import SavedRequest
from core.wording import OTHER, other_words_key

from .keypad import phone_grouped
from ..db import get_db
from ..i18n import centre_locale, current_locale, when


def steps(service: Service) -> list[tuple[str, str | None]]:
    """``[(endpoint, question code or None), ...]`` in the order a resident meets them."""
    result: list[tuple[str, str | None]] = [("resident.question", q.code) for q in service.questions]
    if service.needs_details:
        result.append(("resident.details", None))
    if asks_home_public(service):  # may the county show her address (only where it wants it)
        result.append(HOME_PUBLIC)
    result += [("resident.contact", None), ("resident.check", None)]
    return result


#: May the county show her address on its public list (kiosk/resident/home.py): the step, and her two
#: answers as the page's buttons and the check page say them.
HOME_PUBLIC = ("resident.home_public", None)
HOME_ANSWERS = {"yes": _l("Yes, show my address"), "no": _l("No, keep it private")}


def asks_home_public(service: Service) -> bool:
    """Whether this service asks her about her home as its location: it asks where she lives, and the
    county locates home visits by address (``KIOSK_COUNTY_LOCATION=home``)."""
    return service.needs_address and current_app.config.get("COUNTY_LOCATION") == "home"


def url_of(step: tuple[str, str | None]) -> str:
    endpoint, code = step
    return url_for(endpoint, code=code) if code else url_for(endpoint)


def next_url(service: Service, current: tuple[str, str | None], returning: bool = False) -> str:
    """Where to go after answering ``current``: the check page when changing an answer from it."""
    if returning:
        return url_for("resident.check")
    order = steps(service)
    return url_of(order[order.index(current) + 1])


def back_url(service: Service, current: tuple[str, str | None]) -> str:
    """The page before ``current``: the previous step, or the service's own page before the first."""
    order = steps(service)
    index = order.index(current)
    return url_of(order[index - 1]) if index else url_for("resident.service", code=service.code)


def first_unanswered(service: Service, draft: Draft) -> tuple[str, str | None]:
    """The first step still missing an answer (to resume a draft, or to refuse a premature save). A
    question answered by a recording is answered, with or without typed words (kiosk/resident/attachments.py)."""
    spoken = None
    for q in service.questions:
        if q.required and not draft.answers.get(q.code):
            spoken = media.spoken_fields(get_db(), draft.id) if spoken is None else spoken
            if q.code in spoken or shown_instead(service, draft, q.code):
                continue
            return ("resident.question", q.code)
        if q.code not in draft.answers:
            return ("resident.question", q.code)
    if (service.needs_name and not draft.personal.get("name")) or (service.needs_address and not draft.personal.get("address")):
        return ("resident.details", None)
    if asks_home_public(service) and draft.personal.get(personal.ADDRESS_PUBLIC) not in HOME_ANSWERS:
        return HOME_PUBLIC
    if draft.personal.get("contact") not in service.contact_options:
        return ("resident.contact", None)
    return ("resident.check", None)


def answer_text(service: Service, code: str, value) -> str:
    """An answer as words in the page's language."""
    question = service.question(code)
    if question is None or value in (None, "", []):
        return _("Not answered")
    if question.datatype == "singlevaluelist":
        return question.option_name(value)
    if question.datatype == "multivaluelist":
        return _(", ").join(question.option_name(v) for v in value)
    if question.choose_from == "address_book" and isinstance(value, str):
        return place_text(value)
    return str(value)


def place_text(value: str) -> str:
    """A place as the page's language writes it: one chosen from the address book is stored in the
    centre's language (what the county gets, kiosk/resident/forms.py) and shown here in the page's;
    a written address as written."""
    return addresses.relabel(get_db(), value, centre_locale(), current_locale())


#: Services whose requests may carry photos: a repair, a subsidy (``KIOSK_PHOTO_GROUPS``: their groups).
def takes_photos(service: Service) -> bool:
    return service.group in current_app.config.get("PHOTO_GROUPS", ())


def shown_instead(service: Service, draft: Draft, code: str) -> bool:
    """Whether question ``code`` is answered by a photo: a written question of a service that takes photos,
    with no words, and a photo kept with the draft ("Show it with a photo instead", as a recording answers)."""
    question = service.question(code)
    if question is None or question.datatype not in ("string", "text") or not takes_photos(service):
        return False
    return any(m.kind == media.PHOTO for m in media.for_draft(get_db(), draft.id))


def minutes_seconds(seconds: float | None) -> str:
    """A recording's length as a clock shows it: 0:42, 1:58."""
    whole = int(round(seconds or 0))
    return f"{whole // 60}:{whole % 60:02d}"


def spoken_label(item: media.Item) -> str:
    """How a page names a spoken answer: "A spoken answer, 0:42"."""
    if item.seconds:
        return _("A spoken answer, %(length)s", length=minutes_seconds(item.seconds))
    return _("A spoken answer")


def with_spoken(text: str, item: media.Item | None, answered: bool) -> str:
    """An answer's words on the check page and the receipt, with its recording named after them."""
    if item is None:
        return text
    return f"{text} · 🎤 {spoken_label(item)}" if answered else f"🎤 {spoken_label(item)}"


def photos_text(count: int) -> str:
    return _("No photos") if not count else ngettext("%(num)d photo", "%(num)d photos", count)


def mask(field: str, value: str) -> str:
    """A reused detail as the shared screen may show it: enough to recognise, not to copy. Reused
    details stay hidden like this on every page of the request (forms, check page); the resident can
    change any of them, which shows an empty field."""
    if field == "name":
        return value[0] + "＊" * (len(value) - 1) if value else ""
    if field == "address":
        return value[:-4] + "＊＊＊＊" if len(value) > 6 else "＊" * len(value)
    if field == "phone":
        return value[:3] + "＊" * max(len(value) - 7, 0) + value[-4:] if len(value) > 7 else "＊" * len(value)
    return value


def shown_detail(details: dict, field: str) -> str:
    """A personal detail as this shared screen shows it: hidden in part when it was reused from an
    earlier request (kiosk/resident/reuse.py), as the resident typed it otherwise."""
    value = details.get(field, "")
    if personal.still_reused(details, field):
        return _("%(value)s (from your earlier receipt)", value=mask(field, value))
    return value


def contact_text(details: dict) -> str:
    contact = details.get("contact")
    if contact == "phone":
        reused = personal.still_reused(details, "phone")  # shown hidden in part: as masked
        phone = shown_detail(details, "phone") if reused else phone_grouped(details.get("phone", ""))
        return _("Phone me on %(phone)s", phone=phone)
    if contact == "none":
        return _("No need to contact me")
    return _("A worker will contact me here at the centre")


def check_rows(service: Service, draft: Draft) -> list[dict]:
    """Rows of the check-your-answers page: ``{key, value, href}`` with a Change link each."""
    back = {"return": "check"}
    kept = media.for_draft(get_db(), draft.id)
    spoken = {m.field: m for m in kept if m.kind == media.AUDIO}
    # An answer chosen from the address book is changed there (the chooser sends on to writing when there is no book).
    photo_answers = any(m.kind == media.PHOTO for m in kept) and takes_photos(service)
    rows = [
        {"key": q.text, "value": _answer_with_spoken(service, q.code, draft.answers, spoken.get(q.code),
                                                     photo_answers and q.datatype in ("string", "text")),
         "href": url_for("resident.question_address" if q.choose_from and q.code not in spoken else "resident.question",
                         code=q.code, **back),
         **({"audio": url_for("resident.media_file", media_id=spoken[q.code].id)} if q.code in spoken else {})}
        for q in service.questions
    ]
    if takes_photos(service):
        photos = [m for m in kept if m.kind == media.PHOTO]
        rows.append({"key": _("Photos"), "value": photos_text(len(photos)), "href": url_for("resident.photos", **back),
                     "change": _("Add or remove photos") if photos else _("Add a photo"),
                     "images": [url_for("resident.media_file", media_id=m.id) for m in photos]})
    if service.needs_name:
        rows.append({"key": _("Your name"), "value": shown_detail(draft.personal, "name"),
                     "href": url_for("resident.details", **back)})
    if service.needs_address:
        reused = personal.still_reused(draft.personal, "address")  # shown hidden in part: as masked
        rows.append({"key": _("Where you live"),
                     "value": shown_detail(draft.personal, "address") if reused else place_text(draft.personal.get("address", "")),
                     "href": url_for("resident.details_address", **back)})
    if asks_home_public(service):
        said = HOME_ANSWERS.get(draft.personal.get(personal.ADDRESS_PUBLIC, ""))
        rows.append({"key": _("Your address on the county's public list"), "value": str(said or _("Not answered")),
                     "href": url_for("resident.home_public", **back)})
    rows.append({"key": _("How we contact you"), "value": contact_text(draft.personal), "href": url_for("resident.contact", **back)})
    return rows


def receipt_rows(service: Service, saved: SavedRequest) -> list[dict]:
    """Rows of the receipt: the date, then each question and its answer (no Change links: it is saved)."""
    rows = [{"key": _("Date"), "value": when(saved.requested_at)}]
    kept = media.for_request(get_db(), saved.id)
    spoken = {m.field: m for m in kept if m.kind == media.AUDIO}
    rows += [{"key": q.text, "value": _answer_with_spoken(service, q.code, saved.answers, spoken.get(q.code))}
             for q in service.questions]
    photos = sum(m.kind == media.PHOTO for m in kept)
    if photos:
        rows.append({"key": _("Photos"), "value": photos_text(photos)})
    return rows


def _answer_with_spoken(service: Service, code: str, answers: dict, item: media.Item | None, photos: bool = False) -> str:
    value = answers.get(code)
    answered = value not in (None, "", [])
    if not answered and item is None and photos:
        return "📷 " + _("Shown in the photos")
    text = answer_text(service, code, value)
    if value == OTHER and answers.get(other_words_key(code)):  # 其他：水管漏水, as the county reads it
        text = _("%(option)s: %(words)s", option=text, words=answers[other_words_key(code)])
    return with_spoken(text, item, answered)
