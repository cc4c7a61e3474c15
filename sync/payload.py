"""What a saved request looks like on the wire to the county (Open311 ``POST /requests.json`` fields).

Open311 servers publish some fields of a request to anyone who lists requests (``address_string`` as
``address``, ``description``) and keep others for their staff (``first_name``, ``last_name``,
``phone``, and every ``attribute[…]``: GeoReport v2 lists no attributes). So the resident's name and
phone go in the fields Open311 keeps private, their home address in a private attribute, and the
public location is the centre's: a request never puts a resident's flat on a public map unless the
county locates home visits by address (``KIOSK_COUNTY_LOCATION=home``) and she said yes to it
(``core.wording.Centre.place_for``).
The table of what is public and why is in ``docs/open311.md``.
"""
from __future__ import annotations

from sqlite_utils import Database

from core import media, outbox, personal
from core.submissions import SavedRequest
from core.wording import LIST_SEPARATOR, REOPENED, Place, Wording, is_other_words  # noqa: F401 (Place: one definition, named here too)

ATTRIBUTE_POLICIES = ("all", "none")  # sync.run.Settings.attributes: every attribute, or none at all

#: The resident's personal details (``core.personal``) and the Open311 field each travels in: name and
#: phone in the fields Open311 keeps private, the home address in a private attribute.
PERSONAL_FIELDS = {"name": "last_name", "phone": "phone", "address": "attribute[home_address]"}
#: Attributes the kiosk adds itself (no resident or worker typed them: nothing to correct).
KIOSK_ATTRIBUTES = ("kiosk_uuid", "kiosk_hash", "kiosk_id", "kiosk_requested_at", "kiosk_reopens", "contact")


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


def open311_fields(db: Database, request: SavedRequest, wording: Wording, attributes: str = "all",
                   media_base: str = "") -> dict:
    """The form fields for one request: its frozen wording (:mod:`core.wording`), its stored answers and
    the resident's personal details.

    The description and the place (``address_string``, and ``lat``/``long`` where the centre's are set)
    are the request's wording, composed when it was saved: every send carries the same words whatever
    the county's catalogue or the centre's settings say now. Every stored answer travels as
    ``attribute[code]`` (lists as ``attribute[code][]``): an option as its key, what the resident wrote
    as written — as stored, never filtered by the catalogue (the words she wrote after "other" travel in the
    description only: :func:`core.wording.other_words_key`). The kiosk's UUID, content hash, kiosk id
    and its own save time travel as attributes too, so a county can de-duplicate; a request that
    reopens another names the county's id of it in ``attribute[kiosk_reopens]``.

    :param attributes: ``"all"`` (the above) or ``"none"``, for a county that refuses every attribute it
        does not define (``sync.process.make_engine`` decides from the county's profile): then no
        ``attribute[…]`` is sent at all; the description already carries every answer in words, name
        and phone still go as ``last_name``/``phone``, and the resident's home address is not sent:
        it stays on the kiosk for the worker (``docs/open311.md``).
    :param media_base: the kiosk's public address, for a county that takes media (``KIOSK_COUNTY_MEDIA=media_url``):
        the request's first photo goes as GeoReport's ``media_url``, an unguessable address on the kiosk
        (:func:`core.media.shared`) that serves it to whoever holds it until the purge. "" (the default): no
        media. A recording is never sent: the words a worker wrote down from it are the answer.
    """
    if attributes not in ATTRIBUTE_POLICIES:
        raise ValueError(f"attributes is one of {ATTRIBUTE_POLICIES}")
    details = personal.load_for_request(db, request.id)
    fields: dict = {"service_code": request.service_code, "description": wording.description,
                    "address_string": wording.address}  # public: the centre's, or her home only with her yes
    if wording.lat and wording.long:  # the centre's point, for a county that maps requests
        fields["lat"], fields["long"] = wording.lat, wording.long
    if details.get("name"):  # a Chinese full name, family name first, in one field
        fields[PERSONAL_FIELDS["name"]] = details["name"]
    if details.get("phone"):
        fields[PERSONAL_FIELDS["phone"]] = details["phone"]
    token = media.shared(db, request.id) if media_base else None
    if token:
        fields["media_url"] = f"{media_base.rstrip('/')}/media/{token}"
    if attributes == "none":
        return fields
    for code, value in request.answers.items():
        if is_other_words(code):  # the words after "other": in the description (a strict county refuses unknown attributes)
            continue
        key = payload_key(("answer", code))
        if isinstance(value, list):
            fields[key + "[]"] = value
        elif value not in (None, ""):
            fields[key] = value
    if request.reopens:  # the resident said the county's close did not solve it: the county's id of that request
        fields["attribute[kiosk_reopens]"] = outbox.county_id(db, request.reopens)
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


def withheld(db: Database, request: SavedRequest, fields: dict) -> list[str]:
    """The resident's details this send leaves on the kiosk (:func:`open311_fields`' ``fields``): a name,
    phone or home address she gave that travels in no field (a county that takes no attributes gets no
    home address, unless her yes made it the request's ``address_string``). Kept with the send, for the
    worker who arranges a visit (``core.outbox.kept_on_kiosk``)."""
    details = personal.load_for_request(db, request.id)
    sent = set(map(str, fields.values()))
    return [f for f in ("name", "phone", "address") if details.get(f) and PERSONAL_FIELDS[f] not in fields
            and not (f == "address" and details[f] in sent)]
