"""Clerks' accounts, their sessions and failed logins: the ``clerks``, ``clerk_sessions`` and
``login_failures`` tables live here.

Passwords are kept as Werkzeug's scrypt hashes (``generate_password_hash``): scrypt is memory-hard,
so a stolen county file costs an attacker memory as well as time per guess; it comes with Werkzeug
(Flask's own dependency) and Python's ``hashlib``, so the reference county needs no new package
for it. argon2id would be as good and needs ``argon2-cffi``; nothing here would gain from it.

Repeated wrong passwords slow a guesser down to a handful of tries per quarter hour: after
:data:`MAX_FAILURES_PER_NAME` failures for a name, or :data:`MAX_FAILURES_PER_ADDRESS` from one
address, within :data:`WINDOW_SECONDS`, logging in is refused without even checking the password
until the window has passed. Failures are rows, so a restart does not reset the count.

Each try is counted *before* its password is checked (:func:`reserve_try`: look and count in one
transaction, under a lock on PostgreSQL too), and a right password then takes the count away
(:func:`succeeded`): forty tries sent at once for one name are forty transactions one after the
other, and only the first five get a password checked. And scrypt costs 32 MiB a check, so at most
:data:`MAX_CONCURRENT_HASHES` passwords are checked at once in a process: a try that finds them all
busy for :data:`HASH_WAIT_SECONDS` is answered "busy, try again" (:class:`Busy`) and not counted.

A clerk's session is a row (:func:`start_session`), named in the signed cookie by a random token
whose hash alone is stored: logging out deletes the row, so a copy of the cookie taken before opens
nothing after, and a session lasts :data:`SESSION_SECONDS` from logging in, whatever its cookie says.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from datetime import datetime, timezone

from werkzeug.security import check_password_hash, generate_password_hash

from .sql import LOGIN_LOCK, Row  # a clerk's row (sqlite3.Row on SQLite: the same reading)

NAME = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # longer is refused before hashing: a login form is no place for a megabyte
WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
_DUMMY_HASH: list[str] = []  # checked against when a name is unknown, so timing does not tell names apart
MAX_CONCURRENT_HASHES = 2    # scrypt checks at once in one process (32 MiB each)
HASH_WAIT_SECONDS = 1.0      # how long a try waits for one before it is answered "busy"
SESSION_SECONDS = 8 * 3600   # a working day from logging in (the cookie's own lifetime is the same)
_HASHING = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


class Busy(RuntimeError):
    """Every password check of this process is taken: the try was not checked (nor counted)."""


class Locked(Exception):
    """Too many wrong passwords lately: logging in is refused for ``seconds`` without a check."""

    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


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
    changed = conn.execute("UPDATE clerks SET password_hash = ? WHERE name = ?", [generate_password_hash(password), name]).rowcount == 1
    _end_sessions_of(conn, name)
    return changed


def set_active(conn, name: str, active: bool) -> bool:
    """Enable or disable a clerk (a disabled clerk's open session ends at its next page); False if unknown."""
    changed = conn.execute("UPDATE clerks SET active = ? WHERE name = ?", [int(active), name]).rowcount == 1
    if not active:
        _end_sessions_of(conn, name)
    return changed


def _end_sessions_of(conn, name: str) -> None:
    conn.execute("DELETE FROM clerk_sessions WHERE clerk_id IN (SELECT id FROM clerks WHERE name = ?)", [name])


def all_clerks(conn) -> list[Row]:
    return conn.execute("SELECT id, name, active, created FROM clerks ORDER BY name").fetchall()


def session_mark(row: Row) -> str:
    """What a session remembers of the password: changing it ends every session made before."""
    return hashlib.sha256(row["password_hash"].encode()).hexdigest()[:16]


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(conn, clerk_id: int, now: float | None = None) -> str:
    """A new session for a clerk who has just logged in: the token its cookie carries."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    conn.execute("DELETE FROM clerk_sessions WHERE started <= ?", [now - SESSION_SECONDS])  # the table stays small
    conn.execute("INSERT INTO clerk_sessions (id, clerk_id, started) VALUES (?, ?, ?)", [_token_id(token), clerk_id, now])
    return token


def end_session(conn, token: object) -> None:
    """Log a session out: its token, wherever a copy of it is, opens nothing from now on."""
    if isinstance(token, str):
        conn.execute("DELETE FROM clerk_sessions WHERE id = ?", [_token_id(token)])


def logged_in(conn, clerk_id: object, mark: object, token: object, now: float | None = None) -> Row | None:
    """The active clerk a session names, if that session has not been logged out or outlived
    :data:`SESSION_SECONDS` and the password has not changed since it was made."""
    if not isinstance(clerk_id, int) or not isinstance(token, str):
        return None
    now = time.time() if now is None else now
    row = conn.execute("SELECT clerks.* FROM clerks JOIN clerk_sessions ON clerk_sessions.clerk_id = clerks.id"
                       " WHERE clerk_sessions.id = ? AND clerks.id = ? AND clerks.active = 1 AND clerk_sessions.started > ?",
                       [_token_id(token), clerk_id, now - SESSION_SECONDS]).fetchone()
    return row if row is not None and mark == session_mark(row) else None


def check(conn, name: str, password: str) -> Row | None:
    """The active clerk with this name and password, else None (taking as long either way).

    At most :data:`MAX_CONCURRENT_HASHES` checks run at once in this process; :class:`Busy` if none
    is free within :data:`HASH_WAIT_SECONDS` (the password was then not checked)."""
    row = conn.execute("SELECT * FROM clerks WHERE name = ?", [name]).fetchone() if name else None
    if not _HASHING.acquire(timeout=HASH_WAIT_SECONDS):
        raise Busy()
    try:
        if row is None:
            if not _DUMMY_HASH:
                _DUMMY_HASH.append(generate_password_hash("not a password of anyone"))
            check_password_hash(_DUMMY_HASH[0], password)
            return None
        return row if check_password_hash(row["password_hash"], password) and row["active"] else None
    finally:
        _HASHING.release()


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


def failed(conn, name: str, address: str, now: float | None = None) -> int:
    """Count a wrong try (the row's id)."""
    now = time.time() if now is None else now
    conn.execute("DELETE FROM login_failures WHERE at <= ?", [now - WINDOW_SECONDS])  # the table stays small
    return conn.execute("INSERT INTO login_failures (name, address, at) VALUES (?, ?, ?) RETURNING id",
                        [name[:64], address, now]).fetchone()["id"]


def reserve_try(conn, name: str, address: str, now: float | None = None) -> int:
    """Count a try as wrong before its password is checked, if the limits leave room for it: the
    reservation's id (:func:`succeeded` takes it away, :func:`release` gives it back unchecked);
    :class:`Locked` if they do not. Looking and counting are one transaction, one at a time."""
    with conn.transaction(exclusive=True, lock=LOGIN_LOCK):
        wait = seconds_locked(conn, name[:64], address, now)
        if wait:
            raise Locked(wait)
        return failed(conn, name, address, now)


def release(conn, reservation: int) -> None:
    """A reserved try that was not checked after all (:class:`Busy`): it does not count."""
    conn.execute("DELETE FROM login_failures WHERE id = ?", [reservation])


def succeeded(conn, name: str) -> None:
    conn.execute("DELETE FROM login_failures WHERE name = ?", [name])
