"""What a resident takes away: the status link for a ticket and its QR code.

The QR code is drawn as SVG paths by the ``qrcode`` library (no raster images), so it is sharp on
the screen, on a phone camera and on a 58/80 mm thermal printer alike. ``qrcode`` is imported at the
first QR code, not at start: it imports Pillow whether or not it draws with it, 4.3 MB of RSS in a
web process that may idle all day without printing a receipt (bench/idle_memory.py); the first
receipt after a start pays its import once (30–80 ms on a 2-core VM under load; a QR code itself
takes 14–24 ms there).
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from itsdangerous import Signer
from markupsafe import Markup, escape

from .security import lan_address


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="status-link")


def status_token(ticket: str) -> str:
    """A token that opens one ticket's status page, signed with this box's secret key.

    The receipt's QR code carries it instead of the check code, so a photo of the QR (or a link in a
    browser's history) does not give the code away; the ticket and check code typed on the keypad
    keep working, as do links with the code printed before tokens existed.
    """
    return _signer().get_signature(ticket).decode()


def opens(ticket: str, token: str) -> bool:
    """Whether ``token`` is this box's signature of ``ticket``."""
    return bool(token) and _signer().verify_signature(ticket, token)


def status_url(ticket: str) -> str:
    """The public address of a ticket's status page, as a phone on the centre's Wi-Fi reaches it.

    ``PUBLIC_URL`` wins when set (the box's address on the centre's network, chosen at install, or a
    county status page); otherwise the address this page was requested at (a Host this box answers
    to: see :func:`kiosk.security.own_host_names`) — but never a loopback address (:func:`phone_base`).
    """
    base = current_app.config["PUBLIC_URL"] or phone_base(request.host_url, lan_address())
    return base.rstrip("/") + url_for("resident.status", ticket=ticket, t=status_token(ticket))


def phone_base(host_url: str, lan: str | None) -> str:
    """The base of a link a phone can open: ``host_url``, unless it is a loopback address (the kiosk's
    own screen opens itself at 127.0.0.1), which no phone can reach — then the box's address on the
    centre's network, on the same port. With no network at all there is nothing better to give."""
    parts = urlsplit(host_url)
    host = (parts.hostname or "").lower()
    loopback = host == "localhost" or host.endswith(".localhost")
    try:
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if not loopback or not lan:
        return host_url
    return f"{parts.scheme}://{lan}{f':{parts.port}' if parts.port else ''}/"


def qr_svg(data: str, label: str) -> Markup:
    """Inline SVG of a QR code for ``data``, labelled for screen readers."""
    import qrcode  # here, not at the top: see the module's docstring
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=4,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    svg = image.to_string(encoding="unicode")
    svg = svg.replace('width="', 'data-width="', 1).replace('height="', 'data-height="', 1)
    svg = svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{escape(label)}" ', 1)
    return Markup(svg)
