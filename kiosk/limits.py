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

from core import tickets

limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", headers_enabled=False)


def wrong_try(response) -> bool:
    """Count a look-up against the limit only when it found nothing (422) or nothing was found (404)."""
    return response.status_code in (404, 422)


def per_client() -> str:
    return current_app.config["LOOKUP_LIMIT"]


def per_ticket() -> str:
    return current_app.config["TICKET_LOOKUP_LIMIT"]


def typed_ticket() -> str:
    """The ticket a look-up is about, whoever asks (the most likely reading of what was typed)."""
    typed = (request.view_args or {}).get("ticket") or request.form.get("entered") or ""
    readings = tickets.lookup_candidates(typed)
    return "ticket:" + (readings[0][0] if readings else tickets.normalise(typed)[:6])


def lookup_limits(methods: list[str] | None = None):
    """Both limits on a look-up view: this client's wrong guesses of any kind, and this ticket's."""
    by_client = limiter.shared_limit(per_client, scope="wrong guesses", methods=methods, deduct_when=wrong_try)
    by_ticket = limiter.shared_limit(per_ticket, scope="wrong guesses of a ticket", key_func=typed_ticket,
                                     methods=methods, deduct_when=wrong_try)
    return lambda view: by_client(by_ticket(view))


def init_app(app: Flask) -> None:
    limiter.init_app(app)

    @app.errorhandler(429)
    def too_many_tries(error):
        return render_template(
            "errors/problem.html",
            title=_("Please ask a worker to help you look this up"),
            message=_("That did not match several times. To keep everyone's requests safe, the kiosk waits a while before trying again. A worker can look it up for you now."),
        ), 429
