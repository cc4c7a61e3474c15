"""What a saved request says to the county, fixed when it is saved (issue 21: what the resident confirmed is what is sent).

A request's *wording* — its description (the questions and the resident's answers, in the centre's
language), and the centre's place (address, latitude, longitude) — is composed once, in the transaction
that saves the request, and kept with it, sealed like its answers (``requests.wording``, owned by
:mod:`core.submissions`). Every send, first or tenth, sends exactly that (``sync/payload.py``): a
catalogue the county cuts later, or a centre whose settings change, cannot change or empty a saved
request. It is composed again only by an explicit human act: the resident's comment on a reopened request
that waits for it, and a worker's "Correct and send again".

The description ends with a line naming the centre's ticket and six characters of the request's UUID
(:data:`TICKET_LINE`, :func:`reference`: ``A0012-3F9C2A``): it makes every request's text unique —
the ticket alone is not, since every kiosk numbers its own tickets from A0001 and two centres of one
county can file the same words under the same ticket — so that a look-up at a county can tell this
request from any other (``sync/engine.py``), and a county's clerk can ring the centre about it. The
reference opens nothing: a resident's look-up also needs the check code.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from sqlite_utils import Database

from . import catalogue, personal

#: The line that opens a reopened request's description, in the centre's language: why it is back
#: (with the resident's own words when she gave them) and the county's id of the request it reopens.
REOPENED = {
    "zh_Hans_CN": ("重新提交：居民表示问题没有解决（原编号 {county_id}）。", "居民的原话：{comment}"),
    "zh_Hant_TW": ("重新提交：居民表示問題沒有解決（原編號 {county_id}）。", "居民的原話：{comment}"),
    "en": ("Reopened: the resident says it is not solved (was {county_id}).", "In the resident's words: {comment}"),
}
#: The line that ends every description: the centre's ticket for the request, with its UUID's tag (:func:`reference`).
TICKET_LINE = {
    "zh_Hans_CN": "社区服务中心受理号：{ticket}",
    "zh_Hant_TW": "社區服務中心受理號：{ticket}",
    "en": "Community centre ticket: {ticket}",
}
#: The line before the ticket when photos stay at the centre (a county that takes no media): the county
#: knows to ask for them. One line, with how many (English: one, or more).
PHOTOS_KEPT = {
    "zh_Hans_CN": ("另有 {count} 张照片保存在社区服务中心。",) * 2,
    "zh_Hant_TW": ("另有 {count} 張照片保存在社區服務中心。",) * 2,
    "en": ("1 photo is kept at the community centre.", "{count} photos are kept at the community centre."),
}
LIST_SEPARATOR = {"en": ", "}  # between the chosen options of a multivaluelist; 、 in Chinese
#: The option of a list that is "something else" (其他): she may write or say what it is.
OTHER = "other"


def other_words_key(code: str) -> str:
    """Where a draft's and a request's answers keep the words she wrote after choosing "other" on the list
    question ``code`` (sealed, purged and composed with the answers; not an Open311 attribute of its own:
    the description carries them, ``sync/payload.py``)."""
    return f"{code}:{OTHER}"


def is_other_words(key: str) -> bool:
    """Whether an answers key is the words written after "other" (:func:`other_words_key`), not a question's."""
    return key.endswith(f":{OTHER}")


def _in(table: dict, locale: str):
    return table.get(locale, table[catalogue.FALLBACK_LOCALE])


class Place(str):
    """The centre's place: its address (a ``str``: the Open311 ``address_string``, ``KIOSK_LOCATION``) with
    its coordinates (``lat``, ``long``: decimal degrees as the settings wrote them, or "" when not set).

    The centre's place is the location of every request, with one exception: where the county locates
    a home visit by the resident's address (:attr:`Centre.home`) *and* she said yes to that address being
    shown on the county's public list (``core.personal.home_is_public``), her address is the location
    instead (:func:`compose`), with no coordinates (nothing is geocoded; the centre's would point at the
    wrong place). Without her yes, the centre's: a home address otherwise travels only privately.
    """

    lat: str
    long: str

    def __new__(cls, address: str, lat: str = "", long: str = "") -> "Place":
        place = super().__new__(cls, address)
        place.lat, place.long = lat, long
        return place

    @classmethod
    def from_config(cls, config) -> "Place":
        """``KIOSK_LOCATION``, ``KIOSK_CENTRE_LAT`` and ``KIOSK_CENTRE_LONG`` (validated by ``core.config``)."""
        return cls(config["LOCATION"], config.get("CENTRE_LAT", ""), config.get("CENTRE_LONG", ""))

    @property
    def has_coordinates(self) -> bool:
        return bool(self.lat and self.long)


@dataclass(frozen=True)
class Centre:
    """Where and in what language this kiosk's requests are worded: what the actions that save a request
    need of the settings (built from them by the kiosk and the sync service, as ``KIOSK_ID`` is passed)."""

    place: Place = field(default_factory=lambda: Place("社区服务中心"))
    locale: str = catalogue.FALLBACK_LOCALE
    #: The county locates a home visit by the resident's address (``KIOSK_COUNTY_LOCATION=home``): a
    #: resident who agreed has her address sent as the request's location.
    home: bool = False
    #: The county fetches a request's photo (``KIOSK_COUNTY_MEDIA=media_url``); else photos stay at the centre.
    media: bool = False

    @classmethod
    def from_config(cls, config) -> "Centre":
        return cls(Place.from_config(config), config.get("DEFAULT_LOCALE") or catalogue.FALLBACK_LOCALE,
                   config.get("COUNTY_LOCATION") == "home", config.get("COUNTY_MEDIA") == "media_url")

    def place_for(self, details: dict | None) -> Place:
        """Where a request with these personal details is located: her home, as she wrote or chose it
        and without coordinates, where the county wants it and she agreed; else the centre's place."""
        if self.home and details and personal.home_is_public(details):
            return Place(details["address"])
        return self.place


@dataclass(frozen=True)
class Wording:
    """A request's frozen text: what every send of it carries."""

    description: str
    address: str
    lat: str = ""
    long: str = ""
    locale: str = catalogue.FALLBACK_LOCALE

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Wording":
        data = json.loads(text)
        return cls(**{k: str(data.get(k) or "") for k in ("description", "address", "lat", "long", "locale")})


def reference(ticket: str, uuid: str) -> str:
    """The ticket as the county reads it: ``A0012-3F9C2A`` (the ticket, and the first six hex digits of the
    request's UUID: one in 16.7 million that two requests of the same words and ticket share it)."""
    return f"{ticket}-{uuid.replace('-', '')[:6].upper()}"


def compose(db: Database, centre: Centre, *, service_code: str, answers: dict, ticket: str, uuid: str,
            reopens_county_id: str | None = None, comment: str = "", details: dict | None = None,
            said: dict[str, str] | None = None, photos: int = 0) -> Wording:
    """The wording of a request, from the catalogue as it is now.

    The description is composed in the centre's language (``KIOSK_DEFAULT_LOCALE``), whatever language the
    resident's screen showed, in the order the pages asked: a chosen option as its label, a place from the
    address book as the book's words (kept so when chosen, ``kiosk/resident/forms.py``), what the resident
    wrote as written. A request that reopens another opens with why it is back (:data:`REOPENED`), with the
    resident's comment when she wrote one. It ends with the centre's ticket (:data:`TICKET_LINE`).
    The place is the centre's, or her home where the county wants it and she agreed (``details``, her
    personal details: :meth:`Centre.place_for`). ``said``: what workers wrote down from the resident's spoken
    answers, by question (:mod:`core.media`); a chosen option (her "other") is followed by those words, and
    "other" by the words she wrote beside it (:func:`other_words_key`; a written question's words are its
    answer already). ``photos``: how many the request carries; where the
    county takes no media a line says they are kept at the centre (:data:`PHOTOS_KEPT`).
    """
    locale = centre.locale
    service = catalogue.get_service(db, service_code, locale, include_hidden=True)
    lines = []
    if reopens_county_id is not None:
        why, in_her_words = _in(REOPENED, locale)
        lines.append(why.format(county_id=reopens_county_id))
        if comment:
            lines.append(in_her_words.format(comment=comment))
    for question in service.questions if service else ():
        value = answers.get(question.code)
        if isinstance(value, list):
            if not value:
                continue
            shown = LIST_SEPARATOR.get(locale, "、").join(question.option_name(v) for v in value)
        elif value not in (None, ""):
            shown = question.option_name(value)
        else:
            continue
        if question.options:  # her "other", in the words she wrote or a worker wrote down from what she said
            words = [w for w in (answers.get(other_words_key(question.code)) if value == OTHER else "",
                                 (said or {}).get(question.code)) if w]
            if words:
                shown = f"{shown}：{' '.join(words)}"
        lines.append(f"{question.text} {shown}")
    if photos and not centre.media:
        lines.append(_in(PHOTOS_KEPT, locale)[photos > 1].format(count=photos))
    lines.append(_in(TICKET_LINE, locale).format(ticket=reference(ticket, uuid)))
    place = centre.place_for(details)
    return Wording("\n".join(lines), str(place), getattr(place, "lat", ""), getattr(place, "long", ""), locale)


def with_comment(wording: Wording, comment: str) -> Wording:
    """A reopened request's wording with the resident's comment after its first line (the comment came
    while the request waited for it; nothing else is composed again)."""
    if not comment:
        return wording
    _, said = _in(REOPENED, wording.locale)
    first, _, rest = wording.description.partition("\n")
    return Wording("\n".join([first, said.format(comment=comment), rest]), wording.address, wording.lat,
                   wording.long, wording.locale)
