"""The kiosk's web surface, bounded: request forgery protection, the headers that keep every page
offline and self-contained, the hosts it answers to, and where a "next" may lead.

Five form pages anyone may open (the ticket look-up, a service's Start, the resume keypad, the worker
login, the voice settings) carry a form token that needs no session (:func:`session_less_form`): a
visitor who only looks leaves nothing in the kiosk's memory, and a flood of strangers cannot push out
what her form needs. Every other form keeps Flask-WTF's token, bound to the visit's session.

The Content-Security-Policy allows nothing but this box: no CDN, no web fonts, no inline script.
It doubles as a test that the pages really are offline. Request bodies are capped by
``MAX_CONTENT_LENGTH`` (here and in waitress, :mod:`kiosk.serve`).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import re
import secrets
import socket
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect, generate_csrf

csrf = CSRFProtect()

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # a photo just taken with the kiosk's camera, before it is sent
        "media-src 'self' blob:",  # a spoken answer played back on the kiosk before it is sent (kiosk/resident/attachments.py)
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
        if _session_less_page():
            return form_cookie_token()
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


# --- form tokens without a session -------------------------------------------------------------

FORM_COOKIE = "kiosk_form"
FORM_FIELD = "csrf_token"  # the field every form already has (Flask-WTF's name)
_RAW = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def _sign(raw: str) -> str:
    key = (current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key or "").encode()
    return hmac.new(key, b"kiosk form token\0" + raw.encode(), hashlib.sha256).hexdigest()


def _cookie_raw() -> str | None:
    raw = request.cookies.get(FORM_COOKIE, "")
    return raw if _RAW.fullmatch(raw) else None


def form_cookie_token() -> str:
    """The hidden field's value on a session-less form: the HMAC, with the app's secret key, of the random
    value in this browser's ``kiosk_form`` cookie (HttpOnly, SameSite=Strict), which is made here the first
    time. A signed double-submit cookie: a page elsewhere can neither read the cookie nor sign a value."""
    if "kiosk_form_raw" not in g:
        g.kiosk_form_raw = _cookie_raw()
        if g.kiosk_form_raw is None:
            renew_form_cookie()
    return _sign(g.kiosk_form_raw)


def renew_form_cookie() -> None:
    """A new form cookie with this answer (a login, a logout, the end of a visit): a session-less form
    shown before it is refused after, as Flask-WTF's are when the session's secret goes."""
    g.kiosk_form_raw, g.kiosk_form_new = secrets.token_urlsafe(32), True


def form_cookie_token_ok() -> bool:
    raw, sent = _cookie_raw(), request.form.get(FORM_FIELD, "")
    return raw is not None and bool(sent) and hmac.compare_digest(sent.encode(), _sign(raw).encode())


def _set_form_cookie(response: Response) -> Response:
    if g.get("kiosk_form_new"):
        app = current_app
        response.set_cookie(FORM_COOKIE, g.kiosk_form_raw, httponly=True, samesite="Strict", path="/",
                            secure=app.config["SESSION_COOKIE_SECURE"])
        response.vary.add("Cookie")
    return response


def session_less_form(field: str = "main", shown_by: str | None = None):
    """Decorate a form page whose token needs no session (its template's ``csrf_token()`` is then
    :func:`form_cookie_token`). A POST without a right token does nothing: the page is shown again as a
    GET would show it, with what was typed (the view reads its values from the form either way) and the
    polite message of :func:`kiosk.views_errors` at the top, linked to ``field``; 400. ``shown_by`` names
    the endpoint that shows the form when this view only takes it (the voice settings)."""
    def decorate(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            if request.method in ("GET", "HEAD", "OPTIONS") or not current_app.config["WTF_CSRF_ENABLED"] \
                    or form_cookie_token_ok():
                return view(*args, **kwargs)
            g.form_refused = [(field, _("This page was open for a long time, so the kiosk could not accept it. "
                                        "Your answers are still here."))]
            request.method = "GET"  # the page as it is now, with the typed values; nothing is done
            shown = current_app.view_functions[shown_by] if shown_by else view
            response = make_response(shown(*args, **kwargs))
            response.status_code = 400
            return response

        checked.session_less_form = True
        return csrf.exempt(checked)
    return decorate


def _session_less_page() -> bool:
    return getattr(current_app.view_functions.get(request.endpoint), "session_less_form", False)


def init_app(app: Flask) -> None:
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = own_host_names(app.config["PUBLIC_URL"], app.config["EXTRA_HOSTS"])
    csrf.init_app(app)
    # Flask-WTF puts its csrf_token() in the globals and in every page's context: ours replaces both.
    remembered = remembered_csrf_token(app)
    app.jinja_env.globals["csrf_token"] = remembered
    app.context_processor(lambda: {"csrf_token": remembered})
    app.after_request(_headers)
    app.after_request(_set_form_cookie)
    app.context_processor(lambda: {"form_refused": g.get("form_refused")})
    app.context_processor(lambda: {"on_this_box": from_this_box()})
