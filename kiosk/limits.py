"""Limits on guessing: wrong ticket look-ups and resume codes, per client and per ticket.

Only *wrong* tries count, so a resident who types their own ticket right is never slowed down; after
too many wrong ones the page says, politely and in their language, to ask a worker, and the pause
ends by itself (a moving window). The counting is the ``limits`` library (the engine of
Flask-Limiter, by the same maintainers), used directly on the few views that look something up:
Flask-Limiter's own hook runs on every request and cost 0.13 ms of a 1.4 ms start page here. Counts
live in this process's memory, one store per app: the kiosk is one process on one box, and a restart
forgiving everyone is acceptable.
"""
from __future__ import annotations

import functools

from flask import Flask, abort, current_app, make_response, render_template, request
from flask_babel import gettext as _
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from core import tickets


def wrong_try(response) -> bool:
    """A look-up that found nothing (422 from a form, 404 from a link)."""
    return response.status_code in (404, 422)


def client_address() -> str:
    return request.remote_addr or "unknown"


def typed_ticket() -> str:
    """The ticket a look-up is about, whoever asks (the most likely reading of what was typed)."""
    typed = (request.view_args or {}).get("ticket") or request.form.get("entered") or request.form.get("ticket") or ""
    readings = tickets.lookup_candidates(typed)
    return readings[0][0] if readings else tickets.normalise(typed)[:6]


def signed_link() -> bool:
    """A status link the kiosk itself signed (a receipt's QR code): not a guess, never limited."""
    from .receipts import opens

    ticket, token = (request.view_args or {}).get("ticket"), request.args.get("t")
    return bool(ticket and token) and opens(ticket, token)


def guess_limits(by_ticket: bool = True, methods: tuple[str, ...] = ("GET", "POST")):
    """Decorate a look-up view: refuse (429) once this client — or, with ``by_ticket``, this ticket —
    has used up its wrong guesses; count the view's answer against both when it found nothing.

    Every kind of guess shares the client's budget (``LOOKUP_LIMIT``); each ticket has its own,
    whoever asks (``TICKET_LOOKUP_LIMIT``).
    """
    def decorate(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            if request.method not in methods or signed_link():
                return view(*args, **kwargs)
            window = current_app.extensions["kiosk_limits"]
            budgets = [(parse(current_app.config["LOOKUP_LIMIT"]), "client", client_address())]
            if by_ticket:
                budgets.append((parse(current_app.config["TICKET_LOOKUP_LIMIT"]), "ticket", typed_ticket()))
            if not all(window.test(limit, *key) for limit, *key in budgets):
                abort(429)
            response = make_response(view(*args, **kwargs))
            if wrong_try(response):
                for limit, *key in budgets:
                    window.hit(limit, *key)
            return response
        return limited
    return decorate


def init_app(app: Flask) -> None:
    app.extensions["kiosk_limits"] = MovingWindowRateLimiter(MemoryStorage())

    @app.errorhandler(429)
    def too_many_tries(error):
        return render_template(
            "errors/problem.html",
            title=_("Please ask a worker to help you look this up"),
            message=_("That did not match several times. To keep everyone's requests safe, the kiosk waits a while before trying again. A worker can look it up for you now."),
        ), 429
