"""What a saved request looks like on the wire to the county (Open311 ``POST /requests.json`` fields).

Open311 servers publish some fields of a request to anyone who lists requests (``address_string`` as
``address``, ``description``) and keep others for their staff (``first_name``, ``last_name``,
``phone``, and every ``attribute[…]``: GeoReport v2 lists no attributes). So the resident's name and
phone go in the fields Open311 keeps private, their home address in a private attribute, and the
public location is always the centre's: a request must never put a resident's flat on a public map.
The table of what is public and why is in ``docs/open311.md``.
"""
from __future__ import annotations

from sqlite_utils import Database

from core import feedback, catalogue, outbox, personal
from core.submissions import SavedRequest

#: The line that opens a reopened request's description, in the centre's language: why it is back
#: (with the resident's own words when she gave them) and the county's id of the request it reopens.
REOPENED = {
    "zh_Hans_CN": ("重新提交：居民表示问题没有解决（原编号 {county_id}）。", "居民的原话：{comment}"),
    "zh_Hant_TW": ("重新提交：居民表示問題沒有解決（原編號 {county_id}）。", "居民的原話：{comment}"),
    "en": ("Reopened: the resident says it is not solved (was {county_id}).", "In the resident's words: {comment}"),
}
LIST_SEPARATOR = {"en": ", "}  # between the chosen options of a multivaluelist; 、 in Chinese

#: The resident's personal details (``core.personal``) and the Open311 field each travels in: name and
#: phone in the fields Open311 keeps private, the home address in a private attribute.
PERSONAL_FIELDS = {"name": "last_name", "phone": "phone", "address": "attribute[home_address]"}
#: Attributes the kiosk adds itself (no resident or worker typed them: nothing to correct).
KIOSK_ATTRIBUTES = ("kiosk_uuid", "kiosk_hash", "kiosk_id", "kiosk_requested_at", "kiosk_reopens", "contact")


class Place(str):
    """The centre's place: its address (a ``str``: the Open311 ``address_string``, ``KIOSK_LOCATION``) with
    its coordinates (``lat``, ``long``: decimal degrees as the settings wrote them, or "" when not set).

    A ``str`` so that whatever passes the location on (``sync.run.Settings.location``, the notes) keeps
    working unchanged, and :func:`open311_fields` adds ``lat``/``long`` where they are set.

    Only the centre's place is ever sent. A resident's home could go as the public location only where
    the county wants it *and* the resident agreed to it being public; the kiosk asks no such consent
    today (``core.personal`` keeps a home address for the clerk who arranges a visit, nothing more), so
    her address travels only as the private ``attribute[home_address]``, and the location is always the
    centre's.
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


def payload_key(target: tuple[str, str]) -> str:
    """The Open311 field a kiosk value travels in: ``("answer", code)`` as ``attribute[code]``,
    ``("personal", "name")`` as ``last_name`` (:data:`PERSONAL_FIELDS`)."""
    kind, code = target
    return PERSONAL_FIELDS[code] if kind == "personal" else f"attribute[{code}]"


def kiosk_field(key: str) -> tuple[str, str] | None:
    """The kiosk value an Open311 field carries, the other way round from :func:`payload_key`:
    ``attribute[where]`` (or ``attribute[where][]``) → ``("answer", "where")``, ``phone`` →
    ``("personal", "phone")``; None for what the kiosk fills itself (``address_string`` is the
    centre's, ``description`` is composed, ``service_code``, the ``kiosk_…`` attributes)."""
    key = key.removesuffix("[]")
    for name, field in PERSONAL_FIELDS.items():
        if key == field:
            return "personal", name
    if key.startswith("attribute[") and key.endswith("]") and len(key) > len("attribute[]"):
        code = key[len("attribute["):-1]
        return None if code in KIOSK_ATTRIBUTES else ("answer", code)
    return None


def open311_fields(db: Database, request: SavedRequest, location: str, locale: str = catalogue.FALLBACK_LOCALE) -> dict:
    """The form fields for one request.

    Answers travel as ``attribute[code]`` (lists as ``attribute[code][]``): an option as its key, what
    the resident wrote as written. A readable description is composed from the questions and answers
    in the centre's language (``locale``: ``KIOSK_DEFAULT_LOCALE``), whatever language the resident's
    screen showed, in the order the pages asked them: a chosen option as its label in that language,
    a place from the address book as the book's words in it (kept so when chosen,
    ``kiosk/resident/forms.py``), what the resident wrote as written. The kiosk's UUID, content hash,
    kiosk id and its own save time travel as attributes too, so a county can de-duplicate, and
    ``requested_datetime`` is never re-stamped at send time.

    A request that reopens another (the resident said it was not solved, :mod:`core.feedback`) names the
    county's id of the one it reopens in ``attribute[kiosk_reopens]``, and its description opens with
    why it is back, with the resident's comment when she wrote one (:data:`REOPENED`).

    :param location: the centre's address (``KIOSK_LOCATION``): the public ``address_string`` of
        every request; a :class:`Place` adds the centre's ``lat`` and ``long`` where they are set. The resident's own address, where a service asked for it, travels only as
        the private ``attribute[home_address]``; name (``last_name``) and phone only where given.
    """
    service = catalogue.get_service(db, request.service_code, locale, include_hidden=True)
    details = personal.load_for_request(db, request.id)
    lines, fields = [], {"service_code": request.service_code}
    if request.reopens:  # the resident said the county's close did not solve it: the county's id of that request
        fields["attribute[kiosk_reopens]"] = outbox.county_id(db, request.reopens)
        why, said = REOPENED.get(locale, REOPENED[catalogue.FALLBACK_LOCALE])
        lines.append(why.format(county_id=fields["attribute[kiosk_reopens]"]))
        comment = feedback.reopen_comment(db, request.id)
        if comment:
            lines.append(said.format(comment=comment))
    for question in service.questions if service else ():
        value = request.answers.get(question.code)
        key = payload_key(("answer", question.code))
        if isinstance(value, list):
            fields[key + "[]"] = value
            shown = LIST_SEPARATOR.get(locale, "、").join(question.option_name(v) for v in value)
        elif value not in (None, ""):
            fields[key] = value
            shown = question.option_name(value)
        else:
            continue
        lines.append(f"{question.text} {shown}")
    fields["description"] = "\n".join(lines)
    fields["address_string"] = str(location)  # public: where the request was made, never where the resident lives
    if isinstance(location, Place) and location.has_coordinates:  # the centre's point, for a county that maps requests
        fields["lat"], fields["long"] = location.lat, location.long
    if details.get("name"):  # a Chinese full name, family name first, in one field
        fields[PERSONAL_FIELDS["name"]] = details["name"]
    if details.get("phone"):
        fields[PERSONAL_FIELDS["phone"]] = details["phone"]
    fields.update({
        "attribute[kiosk_uuid]": request.uuid,
        "attribute[kiosk_hash]": request.content_hash,
        "attribute[kiosk_id]": request.kiosk_id,
        "attribute[kiosk_requested_at]": request.requested_at,
        "attribute[contact]": details.get("contact", "centre"),
    })
    if details.get("address"):
        fields[PERSONAL_FIELDS["address"]] = details["address"]  # private: for the clerk who arranges a visit
    return fields
