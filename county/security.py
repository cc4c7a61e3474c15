"""Request forgery protection and the headers every county answer carries.

The county's own small version of the kiosk's (``kiosk/security.py``): the two apps share no code
(import-linter keeps it so). The clerk's forms carry Flask-WTF CSRF tokens; the Open311 API is
exempt, because its callers are machines that prove themselves with an api_key, not browsers with a
cookie. The Content-Security-Policy allows nothing but this server: the clerk page has no inline
script or style, so an injected one would not run.
"""
from __future__ import annotations

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    # Pages and answers hold residents' requests: no shared browser or proxy keeps them. Static
    # files (the stylesheet, the OpenAPI description) set their own caching and keep it.
    response.headers.setdefault("Cache-Control", "no-store")
    if response.mimetype == "text/html":
        response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(_headers)
