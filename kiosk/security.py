"""The kiosk's web surface, bounded: request forgery protection, the headers that keep every page
offline and self-contained, the hosts it answers to, and where a "next" may lead.

The Content-Security-Policy allows nothing but this box: no CDN, no web fonts, no inline script.
It doubles as a test that the pages really are offline. Request bodies are capped by
``MAX_CONTENT_LENGTH`` (here and in waitress, :mod:`kiosk.serve`).
"""
from __future__ import annotations

import functools
import ipaddress
import socket
from urllib.parse import urlsplit

from flask import Flask, Response, g, request, session
from flask_wtf.csrf import CSRFProtect, generate_csrf

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
    r"""``target`` if it is a path on this kiosk, else ``default``: a "next" never leads to another site.

    Browsers drop tabs and line breaks from URLs and read a backslash as a slash, so ``/\t/host`` and
    ``/\\host`` would leave the site: any control character or backslash refuses the target, as does
    anything with a scheme or a host of its own.
    """
    if not target or "\\" in target or any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or target.startswith("//"):
        return default
    return target


def from_this_box() -> bool:
    """Whether the request comes from the box's own screen (its browser reaches the kiosk over loopback);
    phones on the centre's Wi-Fi do not."""
    return _is_loopback(request.remote_addr or "")


@functools.lru_cache(maxsize=256)  # a pure function of the address, asked twice per page
def _is_loopback(remote_addr: str) -> bool:
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return (getattr(address, "ipv4_mapped", None) or address).is_loopback  # ::ffff:127.0.0.1 too


def lan_address() -> str | None:
    """This box's address on its local network, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def own_host_names(public_url: str = "", extra: list[str] | None = None) -> list[str]:
    """The names this box is reached by: localhost, its own addresses and name, PUBLIC_URL's host, ``extra``.

    Flask answers any other Host with 400 (``TRUSTED_HOSTS``), so a forged Host header never reaches
    a page, a redirect or a receipt's QR code. Addresses are read when the app starts.
    """
    names = {"localhost", "127.0.0.1"}
    hostname = socket.gethostname()
    names.update({hostname.lower(), f"{hostname.lower()}.local"})
    try:
        names.update(info[4][0] for info in socket.getaddrinfo(hostname, None, socket.AF_INET))
    except OSError:
        pass
    lan = lan_address()  # the address phones on the Wi-Fi use
    if lan:
        names.add(lan)
    if public_url:
        names.add((urlsplit(public_url).hostname or "").lower())
    names.update(extra or [])
    return sorted(n for n in names if n)


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.endpoint != "static":
        # Any answer made here can carry what a resident typed (a page, a partial, the pinyin and
        # handwriting JSON, a key read aloud, a download): never keep it in a shared browser's cache.
        # Static files and the pre-rendered speech prompts (kiosk.static_files) have their own rule;
        # a view may set another for something fixed and impersonal (the worker's chime).
        response.headers.setdefault("Cache-Control", "no-store")
    if response.mimetype == "text/html":
        response.vary.add("Cookie")
    return response


SIGNED_TOKENS_KEPT = 5000  # as many as the visits the session store keeps (kiosk/sessions.py)


def remembered_csrf_token(app: Flask):
    """``csrf_token()`` for templates: Flask-WTF's signed form token, signed once per visit.

    Signing it again on every page (a serializer made, a timestamp, an HMAC) was a twentieth of a
    question page. The token a visit is sent stays valid for as long as its session, since tokens
    never expire here (``WTF_CSRF_TIME_LIMIT`` is None; with a limit every page signs afresh);
    only the timestamp inside it is the first page's rather than this one's.
    """
    signed: dict[tuple[str, str], str] = {}

    def csrf_token() -> str:
        field = app.config["WTF_CSRF_FIELD_NAME"]
        if field in g or app.config["WTF_CSRF_TIME_LIMIT"] is not None:
            return generate_csrf()
        secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        raw = session.get(field)
        token = signed.get((secret, raw)) if raw is not None else None
        if token is None:
            token = generate_csrf()  # makes the visit's raw token on its first form
            if len(signed) >= SIGNED_TOKENS_KEPT:
                signed.clear()
            signed[(secret, session[field])] = token
        else:
            setattr(g, field, token)  # as Flask-WTF leaves it, for the rest of the request
        return token

    return csrf_token


def init_app(app: Flask) -> None:
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = own_host_names(app.config["PUBLIC_URL"], app.config["EXTRA_HOSTS"])
    csrf.init_app(app)
    # Flask-WTF puts its csrf_token() in the globals and in every page's context: ours replaces both.
    remembered = remembered_csrf_token(app)
    app.jinja_env.globals["csrf_token"] = remembered
    app.context_processor(lambda: {"csrf_token": remembered})
    app.after_request(_headers)
    app.context_processor(lambda: {"on_this_box": from_this_box()})
