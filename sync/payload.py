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
        every request. The resident's own address, where a service asked for it, travels only as
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
        if isinstance(value, list):
            fields[f"attribute[{question.code}][]"] = value
            shown = LIST_SEPARATOR.get(locale, "、").join(question.option_name(v) for v in value)
        elif value not in (None, ""):
            fields[f"attribute[{question.code}]"] = value
            shown = question.option_name(value)
        else:
            continue
        lines.append(f"{question.text} {shown}")
    fields["description"] = "\n".join(lines)
    fields["address_string"] = location  # public: where the request was made, never where the resident lives
    if details.get("name"):
        fields["last_name"] = details["name"]  # a Chinese full name, family name first, in one field
    if details.get("phone"):
        fields["phone"] = details["phone"]
    fields.update({
        "attribute[kiosk_uuid]": request.uuid,
        "attribute[kiosk_hash]": request.content_hash,
        "attribute[kiosk_id]": request.kiosk_id,
        "attribute[kiosk_requested_at]": request.requested_at,
        "attribute[contact]": details.get("contact", "centre"),
    })
    if details.get("address"):
        fields["attribute[home_address]"] = details["address"]  # private: for the clerk who arranges a visit
    return fields
