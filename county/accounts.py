"""Clerks' accounts and failed logins: the ``clerks`` and ``login_failures`` tables live here.

Passwords are kept as Werkzeug's scrypt hashes (``generate_password_hash``): scrypt is memory-hard,
so a stolen county file costs an attacker memory as well as time per guess; it comes with Werkzeug
(Flask's own dependency) and Python's ``hashlib``, so the reference county needs no new package
for it. argon2id would be as good and needs ``argon2-cffi``; nothing here would gain from it.

Repeated wrong passwords slow a guesser down to a handful of tries per quarter hour: after
:data:`MAX_FAILURES_PER_NAME` failures for a name, or :data:`MAX_FAILURES_PER_ADDRESS` from one
address, within :data:`WINDOW_SECONDS`, logging in is refused without even checking the password
until the window has passed. Failures are rows, so a restart does not reset the count.
"""
from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime, timezone

from werkzeug.security import check_password_hash, generate_password_hash

from .sql import Row  # a clerk's row (sqlite3.Row on SQLite: the same reading)

NAME = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # longer is refused before hashing: a login form is no place for a megabyte
WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
_DUMMY_HASH: list[str] = []  # checked against when a name is unknown, so timing does not tell names apart


class AccountError(ValueError):
    """A name or password this county will not take (the message says why)."""


def _check_new(name: str, password: str) -> None:
    if not NAME.match(name or ""):
        raise AccountError("a clerk's name is 1 to 64 letters, digits, '.', '@', '-' or '_'")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters")


def add(conn, name: str, password: str) -> int:
    """A new, active clerk; :class:`AccountError` if the name is taken or either value is refused."""
    _check_new(name, password)
    added = conn.execute("INSERT INTO clerks (name, password_hash, active, created) VALUES (?, ?, 1, ?)"
                       " ON CONFLICT (name) DO NOTHING RETURNING id",
                       [name, generate_password_hash(password), datetime.now(timezone.utc).isoformat(timespec="seconds")]).fetchall()
    if not added:
        raise AccountError(f"there is already a clerk named {name!r}")
    return added[0]["id"]


def set_password(conn, name: str, password: str) -> bool:
    """A new password (which also ends the clerk's open sessions); False if there is no such clerk."""
    _check_new(name, password)
    return conn.execute("UPDATE clerks SET password_hash = ? WHERE name = ?", [generate_password_hash(password), name]).rowcount == 1


def set_active(conn, name: str, active: bool) -> bool:
    """Enable or disable a clerk (a disabled clerk's open session ends at its next page); False if unknown."""
    return conn.execute("UPDATE clerks SET active = ? WHERE name = ?", [int(active), name]).rowcount == 1


def all_clerks(conn) -> list[Row]:
    return conn.execute("SELECT id, name, active, created FROM clerks ORDER BY name").fetchall()


def session_mark(row: Row) -> str:
    """What a session remembers of the password: changing it ends every session made before."""
    return hashlib.sha256(row["password_hash"].encode()).hexdigest()[:16]


def logged_in(conn, clerk_id: object, mark: object) -> Row | None:
    """The active clerk a session names, if the password has not changed since it was made."""
    if not isinstance(clerk_id, int):
        return None
    row = conn.execute("SELECT * FROM clerks WHERE id = ? AND active = 1", [clerk_id]).fetchone()
    return row if row is not None and mark == session_mark(row) else None


def check(conn, name: str, password: str) -> Row | None:
    """The active clerk with this name and password, else None (taking as long either way)."""
    row = conn.execute("SELECT * FROM clerks WHERE name = ?", [name]).fetchone() if name else None
    if row is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(generate_password_hash("not a password of anyone"))
        check_password_hash(_DUMMY_HASH[0], password)
        return None
    return row if check_password_hash(row["password_hash"], password) and row["active"] else None


def _locked_until(conn, column: str, value: str, limit: int, now: float) -> float:
    row = conn.execute(f"SELECT at FROM login_failures WHERE {column} = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
                       [value, now - WINDOW_SECONDS, limit - 1]).fetchone()
    return row["at"] + WINDOW_SECONDS if row else 0.0


def seconds_locked(conn, name: str, address: str, now: float | None = None) -> int:
    """How long logging in as ``name`` from ``address`` stays refused (0: go ahead)."""
    now = time.time() if now is None else now
    until = max(_locked_until(conn, "name", name, MAX_FAILURES_PER_NAME, now),
                _locked_until(conn, "address", address, MAX_FAILURES_PER_ADDRESS, now))
    return max(0, int(until - now + 0.999))


def failed(conn, name: str, address: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    conn.execute("DELETE FROM login_failures WHERE at <= ?", [now - WINDOW_SECONDS])  # the table stays small
    conn.execute("INSERT INTO login_failures (name, address, at) VALUES (?, ?, ?)", [name[:64], address, now])


def succeeded(conn, name: str) -> None:
    conn.execute("DELETE FROM login_failures WHERE name = ?", [name])
