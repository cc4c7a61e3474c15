"""Why the county refused a request, read once: a reason code, the kiosk field it names and the
county's own words.

A county answers a refused ``POST /requests.json`` with an HTTP status and a body. Open311 says the body
is an error list ``[{"code": …, "description": …}]``; counties nobody here wrote send their own JSON
(``{"error": {"code", "message"}}``, ``{"error": "…"}``, ``{"message": …}``, ``{"errors": [...]}``,
``{"detail": …}``, ``{"description": …}``), an HTML page, plain text, or nothing. This module is the one
reader of all of them (:mod:`sync.open311` takes an outcome's ``reason`` from it too):

- the county's words: from JSON of any of those shapes; from HTML, the first heading or title and the
  visible text (``html.parser``: tags, scripts, styles left out), whitespace collapsed; from text, the
  text; each bounded (:data:`ONE_WORDS`, :data:`ALL_WORDS`). An empty body is "the county gave no reason
  (HTTP 400)". They are kept as written for the worker (Jinja escapes them on the page);
- the reference county's sentences (``county/api.py``, ``county/limits.py``) into a code, also behind a
  status prefix (``Error 400: …``);
- any county's words that name a field the way the payload does (``attribute[where]``, ``phone``,
  ``last_name``) into that field, with the code ``unknown`` when the sentence is not one it knows;
- anything else as ``unknown``, keeping the county's words, so that the worker page shows them and lets
  the worker correct any field;
- a 5xx that kept coming for the same request, after a bounded number of tries, as ``server_error``
  (:func:`server_errors`; the sync engine counts them).

The field goes back to the kiosk's own question or personal detail through the one mapping of
:mod:`sync.payload` (:func:`sync.payload.kiosk_field`). The sync engine records the code and field
with the county's words in the outbox event (:func:`for_the_outbox`); :func:`recorded` reads them back,
and reads the words again for an event recorded before the code was kept.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from .payload import kiosk_field

#: Every reason code. ``unknown``: a refusal this kiosk cannot read (the county's words are shown);
#: ``server_error``: the county answered 5xx every time, a bounded number of times (:func:`server_errors`).
CODES = ("required", "not_allowed", "one_value", "too_long", "refused_text", "no_service", "conflict", "server_error",
         "unknown")
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
    for sentence in (description, *(prefix.sub("", description, count=1) for prefix in _PREFIXES)):
        known = _reference(sentence)
        if known:
            return Refusal(known[0], description, key=known[1], text=known[2], http_status=http_status)
    named = _NAMED_KEY.search(description)
    return Refusal("unknown", description, key=named.group(0) if named else "", http_status=http_status)


#: At most this much of the county's words is kept: each description, and all of them together.
ONE_WORDS, ALL_WORDS = 500, 1000
#: Keys other JSON shapes counties use put their words under, in the order they are read.
_JSON_KEYS = ("error", "errors", "message", "detail", "description", "msg", "title", "error_description")
#: A status or a name in front of the county's sentence ("Error 400: …", "HTTP 400 Bad Request: …").
_PREFIXES = (re.compile(r"^(?:error|http)?\s*\d{3}\b[^:]{0,40}:\s*", re.I), re.compile(r"^(?:error|http)?\s*\d{3}\s+", re.I))


def _collapse(text: str, limit: int = ONE_WORDS) -> str:
    return " ".join(text.split())[:limit]


class _VisibleText(HTMLParser):
    """An HTML page's title, first heading and visible text: tags, scripts, styles and comments left out."""

    HIDDEN = {"script", "style", "template", "noscript", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.heading: list[str] = []
        self.text: list[str] = []
        self._open: list[str] = []
        self._headings_seen = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "meta", "link", "input", "hr"):
            return
        self._open.append(tag)
        if tag in ("h1", "h2", "h3"):
            self._headings_seen += 1

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if "title" in self._open:
            self.title.append(data)
        elif not self.HIDDEN.intersection(self._open):
            self.text.append(data)
            if self._headings_seen == 1 and {"h1", "h2", "h3"}.intersection(self._open):
                self.heading.append(data)


def _html_words(text: str) -> str:
    """What an HTML page says: its first heading (or title), then the rest of its visible text."""
    page = _VisibleText()
    try:
        page.feed(text[:200_000])
        page.close()
    except Exception:  # html.parser is forgiving; whatever it cannot take, the words are what it read
        pass
    title, heading, visible = (_collapse(" ".join(part), 100_000) for part in (page.title, page.heading, page.text))
    first = heading or title
    if first and visible.startswith(first):
        return _collapse(visible)
    return _collapse(" · ".join(w for w in (first, visible) if w))


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith("<") and ("<html" in head or "<!doctype" in head or "<body" in head or "<h1" in head
                                     or "<head" in head or "<title" in head or "<p" in head or "<div" in head)


def _words_of(value: object) -> list[str]:
    """The words in one JSON value of an error shape: a string, a list of them, or an object holding them."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return []
    if isinstance(value, list):
        return [w for item in value[:20] for w in _words_of(item)]
    if isinstance(value, dict):
        # FastAPI/pydantic: {"loc": ["body", "attribute[where]"], "msg": "…"}: the field, then the words
        loc = value.get("loc") or value.get("field") or value.get("param")
        where = ".".join(str(x) for x in loc) if isinstance(loc, list) else loc if isinstance(loc, str) else ""
        for key in ("description", "message", "msg", "detail", "error", "title", "reason"):
            words = _words_of(value.get(key))
            if words:
                return [f"{where}: {w}" if where and where not in w else w for w in words]
    return []


def _json_descriptions(data: object) -> list[str]:
    """The county's words in a decoded JSON error: an Open311 error list, or another shape counties use."""
    if isinstance(data, list):
        return _words_of(data)
    if isinstance(data, dict):
        for key in _JSON_KEYS:
            words = _words_of(data.get(key))
            if words:
                return words
    if isinstance(data, str):
        return _words_of(data)
    return []


def _descriptions(body: object) -> list[str]:
    """The county's words, whatever its body: JSON of any shape (decoded or not), HTML, plain text; [] for
    none. Each is whitespace-collapsed and bounded."""
    if isinstance(body, bytes):
        body = body[:200_000].decode("utf-8", "replace")
    if isinstance(body, str):
        text = body.strip()
        if not text:
            return []
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, ValueError):
            words = [_html_words(text)] if _looks_like_html(text) else [text]
        else:
            words = _json_descriptions(data) if isinstance(data, (list, dict, str)) else [text]
    else:
        words = _json_descriptions(body)
    return [c for c in (_collapse(w) for w in words) if c]


def no_reason(http_status: int) -> str:
    return f"the county gave no reason (HTTP {http_status})"


def read(http_status: int, body: object) -> Refusal:
    """What the county answered (its HTTP status and body: bytes, text or decoded JSON) as a refusal.

    The county's words are read from whatever it sent (:func:`_descriptions`). The first sentence this
    module can read wins (a field named beats an unknown sentence); the words are all of them. An
    empty body, or one with no words in it, says so in plain words with the HTTP status."""
    descriptions = _descriptions(body)
    if not descriptions:
        return Refusal("unknown", no_reason(http_status), http_status=http_status)
    each = [_one(d, http_status) for d in descriptions]
    best = next((r for r in each if r.code != "unknown"), None) or next((r for r in each if r.key), each[0])
    words = " · ".join(descriptions)[:ALL_WORDS]
    return Refusal(best.code, words, key=best.key, text=best.text, http_status=http_status)


def server_errors(http_status: int, body: object, times: int, minutes: float) -> Refusal:
    """A 5xx that kept coming for the same request, ``times`` answers over ``minutes``, read as a refusal:
    what the county said the last time, and a field it named, if any (a county that answers 500 for a
    missing field, as the county of issue 21 did for a missing location)."""
    said = read(http_status, body)
    span = max(round(minutes), 1)
    words = (f"the county answered 'server error' {times} times over {span} minute{'' if span == 1 else 's'}: "
             f"{said.words}")[:ALL_WORDS]
    return Refusal("server_error", words, key=said.key, text=said.text, http_status=http_status)


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
    return _one(words, status) if words else Refusal("unknown", no_reason(status), http_status=status)
