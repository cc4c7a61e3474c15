"""Limits on guessing: wrong ticket look-ups and resume codes, per client and per ticket (Flask-Limiter).

Only *wrong* tries count (``deduct_when``), so a resident who types their own ticket right is never
slowed down; after too many wrong ones the page says, politely and in their language, to ask a
worker, and the pause ends by itself. Counts live in this process's memory: the kiosk is one
process on one box, and a restart forgiving everyone is acceptable.
"""
from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", headers_enabled=False)


def wrong_try(response) -> bool:
    """Count a look-up against the limit only when it found nothing (422) or nothing was found (404)."""
    return response.status_code in (404, 422)


def per_client() -> str:
    return current_app.config["LOOKUP_LIMIT"]


def per_ticket() -> str:
    return current_app.config["TICKET_LOOKUP_LIMIT"]


def typed_ticket() -> str:
    """The ticket a look-up is about (its first five or six characters), whoever asks."""
    from core import tickets

    typed = tickets.normalise(request.view_args.get("ticket") or request.form.get("entered") or "")
    return "ticket:" + typed[:6]


def init_app(app: Flask) -> None:
    limiter.init_app(app)

    @app.errorhandler(429)
    def too_many_tries(error):
        return render_template(
            "errors/problem.html",
            title=_("Please ask a worker to help you look this up"),
            message=_("That did not match several times. To keep everyone's requests safe, the kiosk waits a while before trying again. A worker can look it up for you now."),
        ), 429
