"""Why the county refused a request, read once: a reason code, the kiosk field it names and the
county's own words.

A county answers a refused ``POST /requests.json`` with an HTTP status and, if it follows Open311, an
error list ``[{"code": …, "description": …}]``. GeoReport v2 fixes no wording, so this module reads:

- the reference county's sentences (``county/api.py``, ``county/limits.py``) into a code;
- any county's description that names a field the way the payload does (``attribute[where]``,
  ``phone``, ``last_name``) into that field, with the code ``unknown`` when the sentence is not one it
  knows;
- anything else (another county's wording, a body that is not Open311, a 5xx) as ``unknown``, keeping
  the county's words, so that the worker page shows them and lets the worker correct any field.

The field goes back to the kiosk's own question or personal detail through the one mapping of
:mod:`sync.payload` (:func:`sync.payload.kiosk_field`). The sync engine records the code and field
with the county's words in the outbox event (:func:`for_the_outbox`); :func:`recorded` reads them back,
and reads the words again for an event recorded before the code was kept.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .payload import kiosk_field

#: Every reason code. ``unknown``: a refusal this kiosk cannot read (the county's words are shown).
CODES = ("required", "not_allowed", "one_value", "too_long", "refused_text", "no_service", "conflict", "unknown")
#: Codes that no correction of the request's fields can fix (a worker asks the administrator or the resident).
NOT_A_FIELD = ("no_service", "conflict")
#: Fields of the payload a county may name bare in its words (``attribute[…]`` is always read).
_BARE_KEYS = ("last_name", "first_name", "phone", "email", "address_string", "description", "service_code")

# The reference county's sentences (county/api.py, county/limits.py).
_ATTRIBUTE = re.compile(r"^attribute '([^']+)'(?::| )")
_FIELD_TOO_LONG = re.compile(r"^([a-z_]+) is longer than \d+ characters")
_CONTAINS = re.compile(r"^request refused: it contains '(.+)'$")
# Any county: a field named as the payload names it.
_NAMED_KEY = re.compile(r"attribute\[[^\]\s]+\](?:\[\])?|\b(?:" + "|".join(_BARE_KEYS) + r")\b")


@dataclass(frozen=True)
class Refusal:
    """One refusal. ``key``: the Open311 field the county named (``attribute[where]``, ``phone``) or
    ""; ``field``: the kiosk value it carries (``("answer", "where")``, ``("personal", "phone")``) or
    None; ``text``: the words the county refused inside a value (``refused_text``); ``words``: what
    the county wrote, for the worker."""
    code: str
    words: str
    key: str = ""
    text: str = ""
    http_status: int = 0

    @property
    def field(self) -> tuple[str, str] | None:
        return kiosk_field(self.key) if self.key else None


def _reference(description: str) -> tuple[str, str, str] | None:
    """``(code, payload key, refused text)`` for one of the reference county's sentences, else None."""
    found = _ATTRIBUTE.match(description)
    if found:
        rest = description[found.end(1):]
        code = ("required" if "is required" in rest else "one_value" if "takes one value" in rest
                else "too_long" if ("is longer than" in rest or "has more than" in rest)
                else "not_allowed" if ("not one of its values" in rest or "not in its list" in rest) else None)
        return (code, f"attribute[{found.group(1)}]", "") if code else None
    found = _FIELD_TOO_LONG.match(description)
    if found:
        return "too_long", found.group(1), ""
    found = _CONTAINS.match(description)
    if found:
        return "refused_text", "", found.group(1)
    if description.startswith("service_code ") and description.endswith("not found"):
        return "no_service", "", ""
    if "already used for a different request" in description:
        return "conflict", "", ""
    return None


def _one(description: str, http_status: int) -> Refusal:
    known = _reference(description)
    if known:
        return Refusal(known[0], description, key=known[1], text=known[2], http_status=http_status)
    named = _NAMED_KEY.search(description)
    return Refusal("unknown", description, key=named.group(0) if named else "", http_status=http_status)


def _descriptions(body: object) -> list[str] | None:
    """The descriptions of an Open311 error list, or None when the body is not one."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, ValueError):
            return None
    if not isinstance(body, list) or not body:
        return None
    found = [e["description"][:500] for e in body if isinstance(e, dict) and isinstance(e.get("description"), str)]
    return found or None


def read(http_status: int, body: object) -> Refusal:
    """What the county answered (its HTTP status and body: bytes, text or decoded JSON) as a refusal.

    From an Open311 error list the first error this module can read wins (a field named beats an
    unknown sentence); the words are all the county's descriptions. A body that is not an error list
    is ``unknown`` with the words ``HTTP <status>``."""
    descriptions = _descriptions(body)
    if descriptions is None:
        return Refusal("unknown", f"HTTP {http_status}", http_status=http_status)
    each = [_one(d, http_status) for d in descriptions]
    best = next((r for r in each if r.code != "unknown"), None) or next((r for r in each if r.key), each[0])
    words = " · ".join(descriptions)[:1000]
    return Refusal(best.code, words, key=best.key, text=best.text, http_status=http_status)


def for_the_outbox(refusal: Refusal) -> dict:
    """What the outbox event of a quarantined request keeps of the refusal (JSON, no new column)."""
    kept = {"refusal": refusal.code, "reason": refusal.words, "http_status": refusal.http_status}
    if refusal.key:
        kept["refused_key"] = refusal.key
    if refusal.text:
        kept["refused_text"] = refusal.text
    return kept


def recorded(data: dict) -> Refusal:
    """The refusal an outbox event recorded (:func:`for_the_outbox`); an event from before the code
    was kept (``reason`` and ``http_status`` only) is read again from its words."""
    words = str(data.get("reason") or "")
    status = int(data.get("http_status") or 0)
    if data.get("refusal") in CODES:
        return Refusal(data["refusal"], words, key=str(data.get("refused_key") or ""),
                       text=str(data.get("refused_text") or ""), http_status=status)
    return _one(words, status) if words else Refusal("unknown", f"HTTP {status}", http_status=status)
