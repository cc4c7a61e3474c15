"""Request forgery protection and the headers that keep every page offline and self-contained.

The Content-Security-Policy allows nothing but this box: no CDN, no web fonts, no inline script.
It doubles as a test that the pages really are offline.
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
        "media-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this kiosk, else ``default``: a "next" never leads to another site."""
    return target if target and target.startswith("/") and not target.startswith("//") else default


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if response.mimetype == "text/html":
        # Pages can hold a resident's answers: never keep them in a shared browser's cache.
        response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(_headers)
