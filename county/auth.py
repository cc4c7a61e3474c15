"""Who may use the clerk page: log in, log out, the guard on clerk views, and the commands that
manage clerks (``flask --app county clerk add NAME`` and friends, attached to the ``clerk`` group).

A session is a row in the county's database, named by a random token in a signed cookie
(``county_session``: HttpOnly, SameSite=Lax, 8 hours) beside the clerk's id and a mark of their
password hash: logging out deletes the row (a copy of the cookie opens nothing after), and disabling
a clerk or changing their password ends their sessions at the next page. Logging in and out are
forms with CSRF tokens like every other.

A try at logging in is counted before its password is checked, and only a few passwords are checked
at once (:mod:`county.accounts`): a wrong one is logged (``clerk login: wrong password for …``), a
try refused unchecked is not, so the log says how many passwords were really tried.
"""
from __future__ import annotations

import math
import secrets
import sys
from functools import wraps

import click
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask.cli import with_appcontext

from . import accounts
from .db import get_db

bp = Blueprint("auth", __name__)


def _local(target: str | None) -> str:
    """``target`` if it is a path on this server, else the clerk page: a login never leads elsewhere
    (nor to a header split by a line break, which Werkzeug would refuse with a 500)."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isprintable()):
        return target
    return url_for("clerk.index")


def current_clerk():
    """The logged-in clerk (a row), or None; looked up once per request."""
    if "clerk" not in g:
        g.clerk = (accounts.logged_in(get_db(), session.get("clerk"), session.get("clerk_mark"), session.get("clerk_session"))
                   if "clerk" in session else None)
    return g.clerk


def clerk_required(view):
    """A clerk's page: anyone else is sent to the login page (and back afterwards)."""

    @wraps(view)
    def guarded(**kwargs):
        if current_clerk() is None:
            session.pop("clerk", None)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))
        return view(**kwargs)

    return guarded


@bp.route("/clerk/login", methods=("GET", "POST"))
def login():
    """The login form; after five wrong passwords for a name in 15 minutes, a wait."""
    if request.method == "GET":
        return render_template("clerk/login.html", next=request.args.get("next", ""), error=None)
    name = request.form.get("name", "").strip()[:64]
    password = request.form.get("password", "")
    address = request.remote_addr or ""
    conn = get_db()
    again = request.form.get("next", "")
    try:
        reservation = accounts.reserve_try(conn, name, address)  # counted as wrong until it proves right
    except accounts.Locked as locked:
        wait = locked.seconds
        error = f"登录失败次数太多，请 {math.ceil(wait / 60)} 分钟后再试。Too many wrong passwords: try again in {math.ceil(wait / 60)} minutes."
        return render_template("clerk/login.html", next=again, error=error, name=name), 429, {"Retry-After": str(wait)}
    try:
        clerk = accounts.check(conn, name, password) if len(password) <= accounts.MAX_PASSWORD else None
    except accounts.Busy:
        accounts.release(conn, reservation)
        error = "正在核对别的登录，请稍后再试。Other logins are being checked: try again in a moment."
        return render_template("clerk/login.html", next=again, error=error, name=name), 503, {"Retry-After": "5"}
    if clerk is None:
        current_app.logger.warning("clerk login: wrong password for %r from %s", name, address)
        error = "用户名或密码不对。Wrong name or password."
        return render_template("clerk/login.html", next=again, error=error, name=name), 422
    accounts.succeeded(conn, name)
    session.clear()  # a fresh session (and CSRF secret) for the clerk: nothing carried over from before
    session.permanent = True
    session["clerk"], session["clerk_mark"] = clerk["id"], accounts.session_mark(clerk)
    session["clerk_session"] = accounts.start_session(conn, clerk["id"])
    return redirect(_local(again))


@bp.post("/clerk/logout")
def logout():
    accounts.end_session(get_db(), session.get("clerk_session"))  # a copy of the cookie ends here too
    session.clear()
    return redirect(url_for("auth.login"))


# --- commands: flask --app county clerk add | password | disable | enable | accounts ---------------

def _new_password(generate: bool, from_stdin: bool) -> tuple[str, bool]:
    """(password, shown): made up, read from standard input (scripts), or asked for twice, hidden."""
    if generate:
        return secrets.token_urlsafe(12), True
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return click.prompt("Password", hide_input=True, confirmation_prompt=True), False


_password_options = [
    click.option("--generate", is_flag=True, help="Make up a strong password and print it."),
    click.option("--password-stdin", "from_stdin", is_flag=True, help="Read the password from standard input (for scripts)."),
]


def _with_password_options(command):
    for option in reversed(_password_options):
        command = option(command)
    return command


@click.command("add")
@click.argument("name")
@_with_password_options
@click.option("--reset", is_flag=True, help="If NAME exists, give them this password and enable them (idempotent set-up).")
@with_appcontext
def add_command(name, generate, from_stdin, reset):
    """Add a clerk who may log in at /clerk (asks for the password unless told otherwise)."""
    password, shown = _new_password(generate, from_stdin)
    conn = get_db()
    try:
        exists = conn.execute("SELECT 1 FROM clerks WHERE name = ?", [name]).fetchone() is not None
        if exists and reset:
            accounts.set_password(conn, name, password)
            accounts.set_active(conn, name, True)
        else:
            accounts.add(conn, name, password)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"clerk {name!r} {'reset' if exists and reset else 'added'}" + (f"; password: {password}" if shown else ""))


@click.command("password")
@click.argument("name")
@_with_password_options
@with_appcontext
def password_command(name, generate, from_stdin):
    """Give a clerk a new password (their open sessions end)."""
    password, shown = _new_password(generate, from_stdin)
    try:
        if not accounts.set_password(get_db(), name, password):
            raise click.ClickException(f"no clerk {name!r}")
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"clerk {name!r}: new password" + (f": {password}" if shown else ""))


@click.command("disable")
@click.argument("name")
@with_appcontext
def disable_command(name):
    """Stop a clerk from logging in (their open sessions end at their next page)."""
    if not accounts.set_active(get_db(), name, False):
        raise click.ClickException(f"no clerk {name!r}")
    click.echo(f"clerk {name!r} disabled")


@click.command("enable")
@click.argument("name")
@with_appcontext
def enable_command(name):
    """Let a disabled clerk log in again."""
    if not accounts.set_active(get_db(), name, True):
        raise click.ClickException(f"no clerk {name!r}")
    click.echo(f"clerk {name!r} enabled")


@click.command("accounts")
@with_appcontext
def accounts_command():
    """List the clerks: name, enabled or disabled, since when."""
    for row in accounts.all_clerks(get_db()):
        click.echo(f"{row['name']}\t{'enabled' if row['active'] else 'disabled'}\t{row['created']}")


COMMANDS = (add_command, password_command, disable_command, enable_command, accounts_command)
