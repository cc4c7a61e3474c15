"""Sessions kept in the kiosk's memory: the cookie holds only an opaque random id.

Flask's default session is a signed cookie that carries its data (the language, the visit's receipt
ticket, its voice id…) for anyone holding the browser to read. Here the data stays in this process,
in a bounded map (oldest visits dropped first) that forgets a visit after ``SESSION_IDLE_SECONDS``
without a request. Nothing reaches the disk, so there is nothing to seal or purge; a restart of the
kiosk forgets every visit, which costs a resident at most their language choice (drafts live in the
database under their own cookie). The kiosk is one process (waitress threads), so one map serves all.

When a visit ends (:func:`kiosk.resident.visit.end`) its id is dropped and a new one given, so an id
seen on one visit never opens the next.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict

from flask import Flask, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict


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


class MemorySessionInterface(SessionInterface):
    def __init__(self, max_sessions: int = 5000):
        self.max_sessions = max_sessions
        self.store: OrderedDict[str, tuple[float, dict]] = OrderedDict()
        self.lock = threading.Lock()

    def _idle(self, app: Flask) -> float:
        return float(app.config["SESSION_IDLE_SECONDS"])

    def open_session(self, app: Flask, request) -> VisitSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid:
            with self.lock:
                held = self.store.get(sid)
                if held and held[0] >= time.time() - self._idle(app):
                    self.store.move_to_end(sid)
                    return VisitSession(dict(held[1]), sid)
                self.store.pop(sid, None)
        return VisitSession()

    def save_session(self, app: Flask, session: VisitSession, response) -> None:
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
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
            self.store[sid] = (time.time(), data)
            self.store.move_to_end(sid)
            while len(self.store) > self.max_sessions:
                self.store.popitem(last=False)
        response.vary.add("Cookie")
        if sid != session.sid or session.modified:
            response.set_cookie(name, sid, httponly=True, samesite=self.get_cookie_samesite(app),
                                secure=self.get_cookie_secure(app), domain=domain, path=path)


def init_app(app: Flask) -> None:
    app.session_interface = MemorySessionInterface()
