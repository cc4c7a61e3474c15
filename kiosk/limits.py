"""Limits on guessing: wrong ticket look-ups and resume codes, per client and per ticket.

Only *wrong* tries count, so a resident who types their own ticket right is never slowed down; after
too many wrong ones the page says, politely and in their language, to ask a worker, and the pause
ends by itself (a moving window), used directly on the few views that look something up (and on the
worker login, :mod:`kiosk.worker.auth`). Counts live in this process's memory, one store per app:
the kiosk is one process on one box, and a restart forgiving everyone is acceptable.

The counting is :class:`MovingWindow` below, a few lines over a dict of timestamps. It was the
``limits`` library (Flask-Limiter's engine), of which the kiosk used one strategy on one in-memory
store; with what it brought (wrapt, and through it asyncio; deprecated, packaging) it cost the web
process 3.2 MB of RSS for the whole day (bench/idle_memory.py). Limits are written as ``limits``
wrote them (``"30 per hour"``, ``"5 per 15 minutes"``, ``"10/minute"``), so settings carry over.
"""
from __future__ import annotations

import functools
import re
import threading
import time
from collections import deque
from dataclasses import dataclass

from flask import Flask, abort, current_app, make_response, render_template, request
from flask_babel import gettext as _

from core import tickets

_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "month": 30 * 86400, "year": 365 * 86400}
_LIMIT = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(second|minute|hour|day|month|year)s?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Limit:
    """At most ``amount`` counted tries in any ``seconds`` long window."""

    amount: int
    seconds: int

    def get_expiry(self) -> int:
        """The window's length in seconds (the longest a pause can last; ``Retry-After``)."""
        return self.seconds


def parse(text: str) -> Limit:
    """``"30 per hour"``, ``"5 per 15 minutes"``, ``"10/minute"`` (as the ``limits`` library read them)."""
    match = _LIMIT.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a limit like '30 per hour' or '5 per 15 minutes'")
    amount, multiple, unit = match.groups()
    return Limit(int(amount), int(multiple or 1) * _SECONDS[unit.lower()])


class MovingWindow:
    """Tries counted per key in a moving window: a key is held while ``amount`` of its tries fall
    within the last ``seconds``. Thread-safe; keys whose tries have all aged out are dropped (every
    so often all of them are looked at), so the store does not grow with every address ever seen."""

    SWEEP_EVERY = 1024  # hits between looks at every key

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[tuple, deque] = {}
        self._since_sweep = 0

    def _recent(self, limit: Limit, key: tuple, now: float) -> deque | None:
        hits = self._hits.get(key)
        if hits is not None:
            while hits and hits[0] <= now - limit.seconds:
                hits.popleft()
            if not hits:
                del self._hits[key]
                return None
        return hits

    def test(self, limit: Limit, *key: str) -> bool:
        """Whether one more try is allowed now (nothing is counted)."""
        key = (limit, *key)
        with self._lock:
            hits = self._recent(limit, key, self._clock())
            return hits is None or len(hits) < limit.amount

    def hit(self, limit: Limit, *key: str) -> bool:
        """Count one try, if it is allowed; whether it was."""
        key = (limit, *key)
        with self._lock:
            now = self._clock()
            self._since_sweep += 1
            if self._since_sweep >= self.SWEEP_EVERY:
                self._since_sweep = 0
                for old in list(self._hits):
                    self._recent(old[0], old, now)
            hits = self._recent(limit, key, now)
            if hits is None:
                hits = self._hits[key] = deque()
            if len(hits) >= limit.amount:
                return False
            hits.append(now)
            return True

    def clear(self, limit: Limit, *key: str) -> None:
        """Forget this key's tries."""
        with self._lock:
            self._hits.pop((limit, *key), None)

    def __len__(self) -> int:
        return len(self._hits)


def wrong_try(response) -> bool:
    """A look-up that found nothing (422 from a form, 404 from a link)."""
    return response.status_code in (404, 422)


def client_address() -> str:
    return request.remote_addr or "unknown"


def typed_ticket() -> str:
    """The ticket a look-up is about, whoever asks (the most likely reading of what was typed)."""
    typed = (request.view_args or {}).get("ticket") or request.form.get("entered") or request.form.get("ticket") or ""
    readings = tickets.lookup_candidates(typed, prefixes=_letters_in_use())
    return readings[0][0] if readings else tickets.normalise(typed)[:6]


def _letters_in_use() -> list[str]:
    """As the look-up reads a ticket typed without its letter (kiosk/resident/lookup.py): so its wrong
    tries count against that very ticket's budget."""
    from core import submissions

    from .db import get_db

    return tickets.recent_prefixes(submissions.latest_sequence(get_db()))


def signed_link() -> bool:
    """A status link the kiosk itself signed (a receipt's QR code): not a guess, never limited."""
    from .receipts import opens

    ticket, token = (request.view_args or {}).get("ticket"), request.args.get("t")
    return bool(ticket and token) and opens(ticket, token)


class TicketPauses:
    """The wrong-code lock-out of one ticket, whoever guesses (many phones at one ticket).

    ``limit.amount`` wrong tries within a day start a pause of ``limit.seconds`` (minutes, not an hour:
    the owner may be the one locked out); each further pause of the same ticket within a day lasts twice
    the one before, up to :attr:`LONGEST` (or ``limit.seconds`` when that is longer). Tries while a
    ticket is paused start nothing new. Forgotten a day after the last try or pause."""

    MEMORY = 86400
    LONGEST = 3600
    SWEEP_EVERY = 1024

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._tickets: dict[str, dict] = {}
        self._since_sweep = 0

    def _aged(self, ticket: str, now: float) -> dict | None:
        state = self._tickets.get(ticket)
        if state is not None:
            for times in (state["tries"], state["pauses"]):
                while times and times[0] <= now - self.MEMORY:
                    times.popleft()
            if not state["tries"] and not state["pauses"] and state["until"] <= now:
                del self._tickets[ticket]
                return None
        return state

    def held(self, ticket: str) -> float:
        """Seconds until ``ticket`` may be guessed at again (0: it may now)."""
        with self._lock:
            now = self._clock()
            state = self._aged(ticket, now)
            return max(0.0, state["until"] - now) if state else 0.0

    def wrong(self, limit: Limit, ticket: str) -> float:
        """Count a wrong try at ``ticket``; the pause it started, in seconds (0: none)."""
        with self._lock:
            now = self._clock()
            self._since_sweep += 1
            if self._since_sweep >= self.SWEEP_EVERY:
                self._since_sweep = 0
                for old in list(self._tickets):
                    self._aged(old, now)
            state = self._aged(ticket, now) or self._tickets.setdefault(
                ticket, {"tries": deque(), "pauses": deque(), "until": 0.0})
            if state["until"] > now:
                return 0.0
            state["tries"].append(now)
            if len(state["tries"]) < limit.amount:
                return 0.0
            pause = min(limit.seconds * 2 ** len(state["pauses"]), max(self.LONGEST, limit.seconds))
            state["tries"].clear()
            state["pauses"].append(now)
            state["until"] = now + pause
            return pause

    def __len__(self) -> int:
        return len(self._tickets)


def guess_limits(by_ticket: bool = True):
    """Decorate a look-up view: refuse (429) once this client, or all phones together, have used up
    their wrong guesses, or — with ``by_ticket`` — while the ticket asked about is paused; count the
    view's answer against each when it found nothing.

    Every method counts alike (a HEAD is a GET whose body is not sent: it tells a right code from a
    wrong one as well). Every kind of guess shares the client's budget (``LOOKUP_LIMIT``; at the kiosk's
own screen, which everyone standing there shares, ``SCREEN_LOOKUP_LIMIT``, a short window); phones on the
    Wi-Fi share one more (``PHONE_LOOKUP_LIMIT``: many addresses are one attacker more often than many
    residents); each ticket has its lock-out, whoever asks (``TICKET_LOOKUP_LIMIT``, :class:`TicketPauses`).
    A paused ticket still opens with its right code at the kiosk's own screen (its resident standing
    there; the screen's own budget still counts its wrong tries), by the receipt's signed link, and for
    a worker (:func:`core.submissions.find_for_operator`); from a phone it answers 429 whatever the code,
    so a guesser cannot confirm a right one.
    """
    def decorate(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            if signed_link():
                return view(*args, **kwargs)
            from .security import from_this_box

            window = current_app.extensions["kiosk_limits"]
            pauses: TicketPauses = current_app.extensions["kiosk_ticket_pauses"]
            screen = from_this_box()
            if screen:  # everyone at the screen shares it: a short window, so a guesser holds the next resident briefly
                budgets = [(parse(current_app.config["SCREEN_LOOKUP_LIMIT"]), "screen")]
            else:
                budgets = [(parse(current_app.config["LOOKUP_LIMIT"]), "client", client_address()),
                           (parse(current_app.config["PHONE_LOOKUP_LIMIT"]), "phones")]
            if not all(window.test(limit, *key) for limit, *key in budgets):
                abort(429)
            ticket = typed_ticket() if by_ticket else ""
            paused = bool(ticket) and pauses.held(ticket) > 0
            if paused and not screen:
                abort(429)
            response = make_response(view(*args, **kwargs))
            if wrong_try(response):
                for limit, *key in budgets:
                    window.hit(limit, *key)
                if ticket:
                    pauses.wrong(parse(current_app.config["TICKET_LOOKUP_LIMIT"]), ticket)
                if paused:  # the screen's wrong code at a paused ticket: the same polite pause
                    abort(429)
            return response
        return limited
    return decorate


def draft_start_refused():
    """Count a Start (a new draft) from this client; a polite 429 page when it has started too many
    just now (phones ``DRAFT_LIMIT``, a few a minute; the kiosk's own screen ``SCREEN_DRAFT_LIMIT``), else None.
    A flood of Starts filled every resume code in a quarter of an hour and grew the database by 0.6 GB."""
    from .security import from_this_box

    setting = "SCREEN_DRAFT_LIMIT" if from_this_box() else "DRAFT_LIMIT"
    if current_app.extensions["kiosk_limits"].hit(parse(current_app.config[setting]), "draft", client_address()):
        return None
    return render_template(
        "errors/problem.html", title=_("Please wait a moment"),
        message=_("Many requests were started from this device just now. Please wait a minute, then tap Start again."),
    ), 429


def reclaim_times() -> tuple[str, str]:
    """For :func:`core.drafts.start`: drafts untouched since the first time have expired
    (``DRAFT_HOURS``), and drafts never answered and started before the second hold nothing."""
    from datetime import timedelta

    from core import drafts
    from core.clock import iso, now

    moment = now()
    return (iso(moment - timedelta(hours=current_app.config["DRAFT_HOURS"])),
            iso(moment - timedelta(hours=drafts.EMPTY_DRAFT_HOURS)))


def no_free_code():
    """Every resume code is held by a draft still worth keeping: a polite page, never a 500."""
    return render_template(
        "errors/problem.html", title=_("The kiosk cannot start a new request just now"),
        message=_("Please try again in a few minutes, or ask a worker to help you."),
    ), 503


def init_app(app: Flask) -> None:
    app.extensions["kiosk_limits"] = MovingWindow()
    app.extensions["kiosk_ticket_pauses"] = TicketPauses()

    @app.errorhandler(429)
    def too_many_tries(error):
        return render_template(
            "errors/problem.html",
            title=_("Please ask a worker to help you look this up"),
            message=_("That did not match several times. To keep everyone's requests safe, the kiosk waits a while before trying again. A worker can look it up for you now."),
        ), 429
