"""Sessions kept in the kiosk's memory: the cookie holds only an opaque random id.

Flask's default session is a signed cookie that carries its data (the language, the visit's receipt
ticket, its voice id…) for anyone holding the browser to read. Here the data stays in this process,
in a bounded map (oldest visits dropped first) that forgets a visit after ``SESSION_IDLE_SECONDS``
without a request. Nothing reaches the disk, so there is nothing to seal or purge; a restart of the
kiosk forgets every visit, which costs a resident at most their language choice (drafts live in the
database under their own cookie). The kiosk is one process (waitress threads), so one map serves all.

When a visit ends (:func:`kiosk.resident.visit.end`) its id is dropped and a new one given, so an id
seen on one visit never opens the next.

Strangers cannot push out what matters (issue 19: 5,100 anonymous page views logged every worker out).
No page makes a session by being looked at: pages without a form have no token, and the five form
pages anyone may open carry one that needs no session (:func:`kiosk.security.session_less_form`). A
session with only preferences (a language, a text size) is *light* and lives in its own pool of
``max_sessions``, oldest dropped first. A worker's
login lives in a pool of its own (``max_workers``), and a resident's visit with something to lose — a
draft, a receipt, an answer, a help call, a ticket looked up — in another (``max_visits``): neither is
ever dropped to make room for a light one. The kiosk's own screen (a browser on loopback) has a pool of
its own too (``max_screen``): phones' visits, however many (400 addresses starting real drafts could fill
the 2,000 places of the visits' pool), never push out the visit of the resident standing at the kiosk.
One phone holds at most ``max_visits_per_client`` places among the visits (its own oldest goes first):
a single phone looking its own ticket up 2,050 times, each time without its cookie, used to fill the
pool and push out a resident mid-form on her phone (a right code is never counted as a guess).

The pool is chosen from what the server knows, never from what a request merely carries: a draft
counts when the request's ``kiosk_draft`` cookie opens one in the database (issue 19: 2,100 views with
``kiosk_draft=fake<i>`` filled the pool of visits and pushed a resident out mid-form). A real draft
needs a Start, and Starts are limited per client (``KIOSK_DRAFT_LIMIT``, :func:`kiosk.limits.draft_start_refused`).
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict

from flask import Flask, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from .security import from_this_box


_MISSING = object()


class VisitSession(CallbackDict, SessionMixin):
    """A session's data; ``renew()`` gives it a new id when it is next saved."""

    def __init__(self, initial: dict | None = None, sid: str | None = None):
        def changed(_):
            self.modified = True

        super().__init__(initial, changed)
        self.sid, self.modified, self.renewed = sid, False, False
        self.opened = dict(initial or {})  # as read: saving writes back only what this request changed

    def renew(self) -> None:
        self.renewed, self.modified = True, True


WORKER_KEYS = frozenset({"_user_id"})
VISIT_KEYS = frozenset({"receipt", "answer", "help_call", "looked_up", "reuse_offer"})
DRAFT_COOKIE = "kiosk_draft"  # kiosk.resident.visit.DRAFT_COOKIE (not imported: the session comes first)


class Pools:
    """Sessions by id in three pools (workers, visits with something to lose, light ones), each
    bounded on its own, least recently used dropped first; read like one mapping."""

    NAMES = ("worker", "screen", "visit", "light")

    def __init__(self, bounds: dict[str, int], visits_per_client: int = 5):
        self.bounds = bounds
        self.pools: dict[str, OrderedDict[str, tuple[float, dict]]] = {name: OrderedDict() for name in self.NAMES}
        self.visits_per_client = visits_per_client
        self.client_of: dict[str, str] = {}  # a visit's sid → the address that made it
        self.visits_of: dict[str, OrderedDict[str, None]] = {}  # an address → its visits, oldest first

    def _find(self, sid: str) -> OrderedDict | None:
        return next((pool for pool in self.pools.values() if sid in pool), None)

    def __contains__(self, sid) -> bool:
        return self._find(sid) is not None

    def __getitem__(self, sid):
        pool = self._find(sid)
        if pool is None:
            raise KeyError(sid)
        return pool[sid]

    def get(self, sid, default=None):
        pool = self._find(sid)
        return default if pool is None else pool[sid]

    def pool_of(self, sid: str) -> str | None:
        return next((name for name, pool in self.pools.items() if sid in pool), None)

    def pop(self, sid, default=None):
        pool = self._find(sid)
        self._forget_client(sid)
        return default if pool is None else pool.pop(sid)

    def _forget_client(self, sid: str) -> None:
        client = self.client_of.pop(sid, None)
        if client is not None:
            visits = self.visits_of[client]
            visits.pop(sid, None)
            if not visits:
                del self.visits_of[client]

    def touch(self, sid: str) -> None:
        self._find(sid).move_to_end(sid)
        client = self.client_of.get(sid)
        if client is not None:
            self.visits_of[client].move_to_end(sid)

    def put(self, sid: str, held: tuple[float, dict], name: str, client: str = "") -> None:
        self.pop(sid)
        pool = self.pools[name]
        if name == "visit":
            visits = self.visits_of.setdefault(client, OrderedDict())
            while len(visits) >= self.visits_per_client:  # this phone's own oldest visit makes room
                oldest = next(iter(visits))
                pool.pop(oldest, None)
                self._forget_client(oldest)
            visits[sid] = None
            self.client_of[sid] = client
        pool[sid] = held
        while len(pool) > self.bounds[name]:
            dropped, _ = pool.popitem(last=False)
            self._forget_client(dropped)

    def clear(self) -> None:
        for pool in self.pools.values():
            pool.clear()
        self.client_of.clear()
        self.visits_of.clear()

    def __len__(self) -> int:
        return sum(map(len, self.pools.values()))

    def __bool__(self) -> bool:
        return len(self) > 0


def _holds_a_draft(session: dict) -> bool:
    """Whether this request's draft cookie opens a draft that exists (not merely whether it carries one).

    The draft is the one the request's view loaded (:func:`kiosk.resident.visit.current_draft` keeps it
    in ``request.environ``); a request that did not load it, with a cookie, asks the database once. A
    session already a worker's or a visit's needs no look-up. Called before the store's lock is taken."""
    if "kiosk.draft" not in request.environ:
        if not request.cookies.get(DRAFT_COOKIE) or not session or (WORKER_KEYS | VISIT_KEYS) & session.keys():
            return False
        from .resident.visit import current_draft

        current_draft()
    return request.environ["kiosk.draft"] is not None


def _pool(data: dict, was: str | None, draft: bool, screen: bool) -> str:
    """Which pool a session belongs in: a visit never goes back to light once it had something to lose;
    whatever the kiosk's own screen keeps, but a worker's login, in the screen's own."""
    if WORKER_KEYS & data.keys():
        return "worker"
    if screen:
        return "screen"
    if VISIT_KEYS & data.keys() or draft or was == "visit":
        return "visit"
    return "light"


class MemorySessionInterface(SessionInterface):
    def __init__(self, max_sessions: int = 5000, max_visits: int = 2000, max_workers: int = 200, max_screen: int = 200,
                 max_visits_per_client: int = 5):
        self.max_sessions = max_sessions
        self.store = Pools({"light": max_sessions, "visit": max_visits, "worker": max_workers, "screen": max_screen},
                           visits_per_client=max_visits_per_client)
        self.lock = threading.Lock()

    def _idle(self, app: Flask) -> float:
        return float(app.config["SESSION_IDLE_SECONDS"])

    def open_session(self, app: Flask, request) -> VisitSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid:
            with self.lock:
                held = self.store.get(sid)
                if held and held[0] >= time.time() - self._idle(app):
                    self.store.touch(sid)
                    return VisitSession(dict(held[1]), sid)
                self.store.pop(sid, None)
        return VisitSession()

    def save_session(self, app: Flask, session: VisitSession, response) -> None:
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
        draft = _holds_a_draft(session)
        screen = from_this_box()
        with self.lock:
            if session.sid and session.sid not in self.store and not session.renewed:
                return  # its visit ended (or expired) while this request ran: do not bring it back
            if session.sid and (session.renewed or not session):
                self.store.pop(session.sid, None)
                session.sid = None
            if not session:
                if name in request.cookies:
                    response.delete_cookie(name, domain=domain, path=path)
                return
            sid = session.sid or secrets.token_urlsafe(32)
            # Requests of one visit run at once (a page and its audio): each writes back only its own
            # changes onto what is stored now, so one cannot undo another's (a form token, say).
            if sid in self.store:
                data = dict(self.store[sid][1])
                for key in session.opened.keys() - session.keys():
                    data.pop(key, None)
                data.update({k: v for k, v in session.items() if session.opened.get(k, _MISSING) != v})
            else:  # a new visit, or a renewed id: all of it
                data = dict(session)
            self.store.put(sid, (time.time(), data), _pool(data, self.store.pool_of(sid), draft, screen),
                           client=request.remote_addr or "")
        response.vary.add("Cookie")
        if sid != session.sid or session.modified:
            response.set_cookie(name, sid, httponly=True, samesite=self.get_cookie_samesite(app),
                                secure=self.get_cookie_secure(app), domain=domain, path=path)


def init_app(app: Flask) -> None:
    app.session_interface = MemorySessionInterface()
