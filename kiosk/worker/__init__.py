"""Pages for community workers, under ``/worker/``: log in and out, a home page, the audit log.

Every view here is guarded by :func:`.auth.worker_required` or :func:`.auth.admin_required`, except
the login page; ``tests/test_worker_access.py`` walks the URL map and fails on any that is not. A
new worker page is a view in a module of this package (``views.py``, or one of its own), decorated
with one of the two guards, and listed in the worker's menu with :func:`nav_item`::

    @bp.get("/worklist")
    @worker_required
    def worklist(): ...

    nav_item("worker.worklist", _l("Today's list"), "📋")

Flask-Login keeps who is logged in, in the kiosk's server-side session (:mod:`kiosk.sessions`);
accounts are :mod:`core.workers`, the log :mod:`core.audit`.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint

bp = Blueprint("worker", __name__, url_prefix="/worker")


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object      # a lazy translation (flask_babel.lazy_gettext)
    icon: str
    admin_only: bool = False


#: The worker's menu, in order (rendered by templates/worker/base.html for the worker logged in).
NAV: list[NavItem] = []


def nav_item(endpoint: str, label, icon: str, admin_only: bool = False) -> None:
    """Add a page to the worker's menu (admins only, if ``admin_only``)."""
    NAV.append(NavItem(endpoint, label, icon, admin_only))


def init_app(app) -> None:
    """Flask-Login, the worker pages and their guards."""
    from . import auth, feedback, calls, letters, views, worklist, writing  # noqa: F401  (registers the routes on bp; views first in the menu)

    auth.init_app(app)
    app.register_blueprint(bp)
