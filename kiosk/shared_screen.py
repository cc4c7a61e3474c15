"""The kiosk's own touchscreen, which residents and workers share: whether this request comes from it,
and what of a worker's login survives the end of a resident's visit there.

Below both the resident's pages (``kiosk/resident/``) and the worker's (``kiosk/worker/``), which both
ask; it imports neither, so the two packages import each other in one direction only (the worker's
assisted mode uses the resident's pages; tests/test_architecture.py).
"""
from __future__ import annotations

import ipaddress

from flask import request, session

from core import workers
from core.actions import worker as actions

from .db import get_db

#: What a login keeps in the session (Flask-Login's keys, the login's times and the client it is bound to).
LOGIN_KEYS = ("_user_id", "_fresh", "_id", "worker_since", "worker_seen", "worker_client")


def on_shared_screen() -> bool:
    """The kiosk's own touchscreen: a browser on this box (loopback), which anyone may walk up to."""
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def kept_by_visit_end() -> dict:
    """What of a worker's login survives the end of a resident's visit (Home, Finish, the walk-away
    reset: :func:`kiosk.resident.visit.end`): nothing on the kiosk's own screen, where the next
    person is a stranger (and the log says the worker was logged out); the whole login on a worker's
    phone."""
    if not on_shared_screen():
        return {key: session[key] for key in LOGIN_KEYS if key in session}
    worker_id = str(session.get("_user_id", "")).partition(":")[0]
    worker = workers.get(get_db(), int(worker_id)) if worker_id.isdigit() else None
    if worker is not None:
        actions.log_out(get_db(), worker.login, why="visit_ended")
    return {}
