"""How much one request may carry, checked before anything is stored.

The body as a whole is capped by ``MAX_CONTENT_LENGTH`` (256 KiB: Flask answers 413 before reading
it). Flask can only do that for a body that states its length: a chunked one
(``Transfer-Encoding: chunked``) has none, and Werkzeug then hands the whole stream to the form
parser, so :class:`BoundedBody` reads such a body itself, at most one byte past the cap, before
anything else sees it. Each field is capped here too, so that a form within that size still cannot make the county keep a
description longer than Open311 allows (4,000 characters), a name of a thousand characters or a
hundred attributes. Each limit is well above what the kiosk can send (its answers stop at 2,000
characters, names at 50, addresses at 200): a kiosk request is never refused by them.
"""
from __future__ import annotations

import io
import math
from typing import Callable, Iterable, Mapping

from werkzeug.datastructures import MultiDict

FIELD_LIMITS = {
    "api_key": 200, "jurisdiction_id": 100, "service_code": 100,
    "description": 4000,                     # GeoReport v2: "free form text limited to 4,000 characters"
    "address_string": 500, "address_id": 100, "lat": 40, "long": 40,
    "email": 254, "device_id": 200, "account_id": 200, "media_url": 2000,
    "first_name": 100, "last_name": 100, "phone": 50,
}
OTHER_FIELD = 4000          # any field not named above (ignored, but still not unbounded)
MAX_ATTRIBUTES = 50         # distinct attribute codes in one request
MAX_ATTRIBUTE_CODE = 100    # characters in an attribute's code
MAX_ATTRIBUTE_VALUE = 2000  # characters in one attribute value (the kiosk's longest answer)
MAX_LIST_VALUES = 50        # values of one multivaluelist attribute


def attribute_code(key: str) -> str | None:
    """``attribute[code]`` or ``attribute[code][]`` → code; None for any other field."""
    if key.startswith("attribute[") and key.endswith("[]"):
        return key[len("attribute["):-3]
    if key.startswith("attribute[") and key.endswith("]"):
        return key[len("attribute["):-1]
    return None


def problem(form: MultiDict) -> str | None:
    """What is wrong with the size or shape of a posted form, or None."""
    codes = set()
    for key in form:
        code = attribute_code(key)
        values = form.getlist(key)
        if code is None:
            limit = FIELD_LIMITS.get(key, OTHER_FIELD)
            if len(key) > MAX_ATTRIBUTE_CODE:
                return f"a field name is longer than {MAX_ATTRIBUTE_CODE} characters"
            if any(len(v) > limit for v in values):
                return f"{key} is longer than {limit} characters"
            continue
        codes.add(code)
        if not code or len(code) > MAX_ATTRIBUTE_CODE:
            return f"an attribute code must be 1 to {MAX_ATTRIBUTE_CODE} characters"
        if len(values) > MAX_LIST_VALUES:
            return f"attribute {code!r} has more than {MAX_LIST_VALUES} values"
        if any(len(v) > MAX_ATTRIBUTE_VALUE for v in values):
            return f"attribute {code!r} is longer than {MAX_ATTRIBUTE_VALUE} characters"
    if len(codes) > MAX_ATTRIBUTES:
        return f"more than {MAX_ATTRIBUTES} attributes"
    for name, bound in (("lat", 90.0), ("long", 180.0)):
        if form.get(name):
            try:
                value = float(form[name])
            except ValueError:
                return f"{name} must be a number"
            if not math.isfinite(value) or abs(value) > bound:
                return f"{name} must be between -{bound:g} and {bound:g}"
    return None


class BoundedBody:
    """WSGI middleware: a body of no stated length is read here, up to the cap and one byte more.

    A chunked body (or one with ``Transfer-Encoding`` beside a ``Content-Length`` that would be
    ignored) reaches the app as a buffer with its true length, or, when it is over the cap, as the
    first ``cap + 1`` bytes with that length: Flask's own check then answers 413 before a form is
    parsed, exactly as for a body that said its size. The rest never reaches the app (Werkzeug's
    server closes every connection after its answer, discarding what is left unread). Bodies with
    a length pass through untouched (Flask checks those itself)."""

    def __init__(self, app: Callable, config: Mapping):
        self.app, self.config = app, config

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        cap = self.config.get("MAX_CONTENT_LENGTH")
        if cap is None or not (environ.get("wsgi.input_terminated") or environ.get("HTTP_TRANSFER_ENCODING")):
            return self.app(environ, start_response)
        stream, chunks, size = environ["wsgi.input"], [], 0
        while size <= cap:
            chunk = stream.read(min(65536, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(b"".join(chunks)), str(size)
        environ.pop("wsgi.input_terminated", None)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)
