"""Which callers may use the Open311 API: a valid ``api_key`` on every post and every read of requests.

Requests hold what residents asked for; even their public fields are not for anyone on the network.
The key comes as Open311 sends it (``api_key`` in the query or the form), or as the password of HTTP
Basic credentials, which is how a client that sends no key on reads (PyPI ``georeport``) can be given
one without changing its code (a ``.netrc`` entry). The service list and definitions stay public:
they describe what the county offers and hold nothing about anyone.
"""
from __future__ import annotations

import hmac
from functools import wraps

from flask import current_app, request

from . import strict
from .config import DEMO_KEY


def accepted(key: str | None) -> bool:
    """Whether ``key`` opens this county: listed in ``API_KEYS``, and not the shipped demo key
    unless the county runs in demo mode."""
    if not key:
        return False
    if key == DEMO_KEY and not current_app.config["DEMO"]:
        return False
    # Compare with every listed key in constant time, so timing tells nothing about a key's prefix.
    return any(hmac.compare_digest(key.encode(), listed.encode()) for listed in current_app.config["API_KEYS"])


def presented() -> str | None:
    """The key the caller sent: ``api_key`` (query or form), else the HTTP Basic password."""
    key = request.values.get("api_key")
    if key is None and request.authorization is not None and request.authorization.type == "basic":
        key = request.authorization.password
    return key


def refusal():
    """The Open311 error for a missing or refused key (the kiosk reads 401/403 as "key refused")."""
    key = presented()
    description = "api_key required" if not key else "api_key not accepted"
    return strict.error_response(403, description)


def key_required(view):
    """A read that needs a valid key (requests and tokens)."""

    @wraps(view)
    def checked(**kwargs):
        if not accepted(presented()):
            return refusal()
        return view(**kwargs)

    return checked
