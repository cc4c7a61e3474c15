"""Who is a logged-in worker: logging in and out, the guards on worker pages, when a login ends.

- **Sessions.** Flask-Login keeps the worker's id in the kiosk's own server-side session
  (:mod:`kiosk.sessions`: the cookie is an opaque id). Logging in and out gives the session a new id
  (``session.renew()``) and drops everything in it but the language and text size, so an id seen
  before opens nothing after, and a login form from before is refused (its form cookie is renewed). The
  id Flask-Login keeps carries a mark of the worker's password hash: a reset ends their sessions; a
  disabled account ends them too. A login is bound to the browser's address and user agent (what
  Flask-Login's ``session_protection = "strong"`` does, done here in :func:`load_worker` because
  Flask-Login's own check also rewrites the session of every resident who is not logged in): a
  cookie copied off the Wi-Fi does not open it from another device.
- **Expiry.** A login ends after ``WORKER_IDLE_SECONDS`` (15 min) without a worker page, and
  ``WORKER_MAX_SECONDS`` (10 h) after it began, whatever happens; the clock is ``app.config["CLOCK"]``
  (:data:`core.clock.Clock`), so tests move time instead of waiting. On the kiosk's own screen (a
  browser on loopback, anyone may walk up to it), the resident walk-away reset and Home end the
  worker's login too (:func:`kiosk.shared_screen.kept_by_visit_end`); on a phone they do not.
- **Throttling.** Failed logins count per login name (``WORKER_LOGIN_LIMIT``) and per client address
  (``WORKER_LOGIN_CLIENT_LIMIT``) in :mod:`kiosk.limits`'s moving window, as the look-ups do; past
  either the login page refuses politely (429) without checking the password. A name's failures are
  counted apart at the kiosk's own screen and from phones (:func:`_budgets`): six wrong passwords from
  six phone addresses used to pause a worker's login at the kiosk too, so any stranger on the Wi-Fi
  could lock every worker out of the box's own screen. Each place is still bounded (5 wrong passwords
  a name per 15 minutes from all phones together, 5 at the screen; argon2id makes each try cost
  ~25 ms), so a name gets at most 10 guesses per 15 minutes in all. Every failure gets the
  same message, whether the name exists, is disabled or the password is wrong, and takes the same
  time (:func:`core.workers.authenticate`).
- **Audit.** Logins (succeeded, failed), logouts and ended sessions are recorded. A failure for a
  name that exists is recorded under that worker; for a name that does not, as ``system`` with no
  name at all: what was typed may be a password typed into the wrong field.
"""
from __future__ import annotations

import functools
import hashlib

from flask import (Flask, abort, current_app, g, make_response, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from core import clock, workers
from core.actions import system, worker as actions

from . import bp
from ..db import get_db
from ..limits import client_address, parse
from ..security import from_this_box, local_path, renew_form_cookie, session_less_form
from ..shared_screen import LOGIN_KEYS, on_shared_screen

login_manager = LoginManager()
login_manager.session_protection = None  # bound to the client in load_worker instead (see above)

#: Kept across a login or logout: the page's language and text size, and the voice settings.
PREFERENCES = ("locale", "text_size", "speech", "speed", "always_read")


class WorkerUser(UserMixin):
    """The logged-in worker as Flask-Login sees them."""

    def __init__(self, worker: workers.Worker):
        self.worker = worker

    def get_id(self) -> str:
        return f"{self.worker.id}:{self.worker.password_mark}"

    @property
    def is_admin(self) -> bool:
        return self.worker.is_admin

    @property
    def login(self) -> str:
        return self.worker.login

    @property
    def display_name(self) -> str:
        return self.worker.display_name

    @property
    def actor(self) -> str:
        return self.worker.actor


def now() -> float:
    """Now, in seconds, by the app's clock (``CLOCK``, default the real one)."""
    return current_app.config.get("CLOCK", clock.now)().timestamp()


def _client_mark() -> str:
    """The browser a login belongs to: its address and user agent, hashed."""
    seen = f"{request.remote_addr}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha256(seen.encode()).hexdigest()[:32]


def _drop_login() -> None:
    for key in LOGIN_KEYS:
        session.pop(key, None)
    if hasattr(session, "renew"):
        session.renew()


@login_manager.user_loader
def load_worker(user_id: str) -> WorkerUser | None:
    """The worker of this session, if their login still holds: the account is enabled, the password
    unchanged, and the login neither idle too long nor too old. Each worker page keeps it alive."""
    worker_id, _, mark = (user_id or "").partition(":")
    worker = workers.get(get_db(), int(worker_id)) if worker_id.isdigit() else None
    if (worker is None or worker.disabled or worker.password_mark != mark
            or session.get("worker_client") != _client_mark()):
        _drop_login()
        return None
    moment, config = now(), current_app.config
    since, seen = session.get("worker_since"), session.get("worker_seen")
    if (since is None or seen is None or moment - seen > config["WORKER_IDLE_SECONDS"]
            or moment - since > config["WORKER_MAX_SECONDS"]):
        why = "absolute" if since is not None and moment - since > config["WORKER_MAX_SECONDS"] else "idle"
        system.expire_session(get_db(), worker.login, why)
        g.worker_login_ended = True
        _drop_login()
        return None
    session["worker_seen"] = moment
    return WorkerUser(worker)


def _to_login():
    """Anyone not logged in (or no longer): the login page, which brings them back here after."""
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    if request.headers.get("HX-Request"):  # a part of a page asked for (the live list): the whole page goes
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = url_for("worker.login", ended=1 if g.get("worker_login_ended") else None)
        return response
    return redirect(url_for("worker.login", next=target, ended=1 if g.get("worker_login_ended") else None))


def worker_required(view):
    """A page for any logged-in worker; anyone else goes to the login page."""
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return _to_login()
        return view(*args, **kwargs)
    guarded.worker_role = "worker"
    return guarded


def admin_required(view):
    """A page for administrators; a worker gets a polite 403, anyone else goes to the login page."""
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return _to_login()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    guarded.worker_role = "admin"
    return guarded





def _start_afresh() -> None:
    """A new session id with only the preferences in it (a new CSRF secret too)."""
    kept = {key: session[key] for key in PREFERENCES if key in session}
    session.clear()
    if hasattr(session, "renew"):
        session.renew()
    session.update(kept)
    renew_form_cookie()  # the login form shown before is refused after


# --- throttling ----------------------------------------------------------------------------------

def _budgets(login: str) -> list[tuple]:
    """The name's budget (first; a success clears it) and the client's. The name's is counted apart at
    the kiosk's own screen and for all phones together: phones' failures never pause the screen (nor
    the screen's a phone), while the screen's own wrong tries count against it and its client budget."""
    config = current_app.config
    place = "screen" if from_this_box() else "phones"
    return [(parse(config["WORKER_LOGIN_LIMIT"]), "worker-login-name", login, place),
            (parse(config["WORKER_LOGIN_CLIENT_LIMIT"]), "worker-login-client", client_address())]


def _window():
    return current_app.extensions["kiosk_limits"]


def _throttled(budgets: list[tuple]) -> int:
    """0 if this login may be tried; else the longest wait, in seconds, that a budget asks for."""
    window = _window()
    return max((limit.get_expiry() for limit, *key in budgets if not window.test(limit, *key)), default=0)


# --- the pages ---------------------------------------------------------------------------------

def _next_worker_page(target: str | None) -> str:
    """Where a login leads: the worker page asked for before it, if any, else the worker's home."""
    target = local_path(target, "")
    return target if target.startswith(bp.url_prefix + "/") else url_for("worker.home")


def _login_page(errors: list, status: int, login: str = "", headers: dict | None = None):
    response = make_response(render_template(
        "worker/login.html", errors=errors, login=login, next=_next_worker_page(request.values.get("next")),
        ended=bool(request.args.get("ended")), logged_out=bool(request.args.get("out"))), status)
    response.headers.update(headers or {})
    return response


@bp.route("/login", methods=["GET", "POST"])
@session_less_form("login")
def login():
    """The login form: name and password; one polite message for every kind of failure."""
    if request.method != "POST":  # a HEAD is a look too: it tries no password
        if current_user.is_authenticated:
            return redirect(url_for("worker.home"))
        return _login_page([], 200, request.form.get("login", "")[:64])  # typed, when a form was refused
    typed = request.form.get("login", "")
    name = workers.normalise_login(typed)
    budgets = _budgets(name)
    wait = _throttled(budgets)
    if wait:
        message = _("Too many tries. To keep residents' details safe, logging in is paused for a while "
                    "(at most %(minutes)d min). Please try again later, or ask an administrator.",
                    minutes=max(1, -(-wait // 60)))
        return _login_page([("login", message)], 429, typed[:64], {"Retry-After": str(wait)})
    outcome = actions.log_in(get_db(), name, request.form.get("password", ""),
                             "kiosk" if on_shared_screen() else "own")
    if outcome.worker is None:
        for limit, *key in budgets:
            _window().hit(limit, *key)
        message = _("The name or the password is not right. Please try again.")
        return _login_page([("login", message)], 422, typed[:64])
    window = _window()
    window.clear(budgets[0][0], *budgets[0][1:])  # this name's failures here are forgiven; the client's are not
    _start_afresh()
    login_user(WorkerUser(outcome.worker))
    session["worker_since"] = session["worker_seen"] = now()
    session["worker_client"] = _client_mark()
    return redirect(_next_worker_page(request.form.get("next")))


@bp.post("/logout")
@worker_required
def logout():
    """Log out: the session gets a new id and keeps only the page's language and text size."""
    actions.log_out(get_db(), current_user.login)
    logout_user()
    _start_afresh()
    return redirect(url_for("worker.login", out=1))


@bp.errorhandler(403)
def not_for_this_role(error):
    """A worker on an administrator's page: a polite refusal, nothing done."""
    return render_template("worker/refused.html"), 403


@bp.context_processor
def worker_context() -> dict:
    from . import NAV

    user = current_user if current_user.is_authenticated else None
    items = [item for item in NAV if user and (user.is_admin or not item.admin_only)]
    # The walk-away reset on worker pages only on the kiosk's own screen, where it logs the worker out.
    extra = {} if on_shared_screen() else {"idle": None}
    return {"worker": user, "worker_nav": items, **extra}


@bp.after_request
def no_store(response):
    """Worker pages (and the audit export) are never kept by a browser's cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    login_manager.init_app(app, add_context_processor=False)  # templates get `worker` on worker pages only
    login_manager.login_view = "worker.login"
