"""What a resident takes away: the status link for a ticket and its QR code.

The QR code is drawn as SVG paths by the ``qrcode`` library (no Pillow, no raster images), so it is
sharp on the screen, on a phone camera and on a 58/80 mm thermal printer alike.
"""
from __future__ import annotations

import qrcode
import qrcode.image.svg
from flask import current_app, request, url_for
from itsdangerous import Signer
from markupsafe import Markup, escape


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

    ``PUBLIC_URL`` wins when set (the box's address on the centre's network, or a county status
    page); otherwise the address this page was requested at (a Host this box answers to: see
    :func:`kiosk.security.own_host_names`).
    """
    base = current_app.config["PUBLIC_URL"] or request.host_url
    return base.rstrip("/") + url_for("resident.status", ticket=ticket, t=status_token(ticket))


def qr_svg(data: str, label: str) -> Markup:
    """Inline SVG of a QR code for ``data``, labelled for screen readers."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=4,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    svg = image.to_string(encoding="unicode")
    svg = svg.replace('width="', 'data-width="', 1).replace('height="', 'data-height="', 1)
    svg = svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{escape(label)}" ', 1)
    return Markup(svg)
