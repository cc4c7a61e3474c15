"""Community workers' accounts: login name, display name, role, password hash, disabled flag.

Passwords are hashed with argon2id (``argon2-cffi``) at OWASP's minimum for argon2id — 19 MiB of
memory, 2 passes, 1 lane — not the library's default of 64 MiB: the box has 1 GB for everything,
and a few logins at once must not push the kiosk out of memory. One check costs about 27 ms here.
When these parameters change, a worker's hash is remade with the new ones at their next login
(:func:`authenticate` makes it, :func:`keep_new_hash` stores it).

:func:`authenticate` takes as long for a name that does not exist as for a wrong password (it
checks the password against a dummy hash made with the same parameters), and says nothing about
why it failed beyond what the caller needs for the audit log: the login page shows one message for
every failure.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

import ctypes
import ctypes.util

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlite_utils import Database

from . import audit
from .clock import iso, now as real_now
from .db import require_transaction

ROLES = ("worker", "admin")
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD, MAX_PASSWORD = 10, 256
MAX_DISPLAY_NAME = 60
#: Letters and digits that cannot be mistaken for each other when read off a screen or paper.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

#: OWASP Password Storage Cheat Sheet, argon2id minimum: m=19 MiB, t=2, p=1.
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
M_MMAP_THRESHOLD = -3
try:  # blocks of 4 MiB or more (argon2's 19 MiB) always mapped, so freeing them gives them back at once
    _libc.mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024)
except AttributeError:
    pass


def _give_back_memory() -> None:
    """Return freed heap to the system (glibc's ``malloc_trim``; nothing elsewhere)."""
    try:
        _libc.malloc_trim(0)
    except AttributeError:
        pass


class _Hasher:
    """argon2id that gives its working memory back after each use. A hash or check takes 19 MiB; glibc
    keeps such freed blocks in the thread's own arena (its mmap threshold rises after the first free),
    so each waitress thread that ever checked a password kept ~19 MiB: 20 logins left the kiosk process
    57 MB larger (bench/help_calls.py), on a 1 GB box. With the threshold fixed at 4 MiB (above) the
    block is mapped and unmapped each time, and a trim after each use returns what is left: 20 logins
    now leave it as it was."""

    def __init__(self, **parameters):
        self._inner = PasswordHasher(**parameters)

    def hash(self, password: str) -> str:
        try:
            return self._inner.hash(password)
        finally:
            _give_back_memory()

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._inner.verify(password_hash, password)
        finally:
            _give_back_memory()

    def check_needs_rehash(self, password_hash: str) -> bool:
        return self._inner.check_needs_rehash(password_hash)

    def __getattr__(self, name):  # time_cost, memory_cost, parallelism, …
        return getattr(self._inner, name)


HASHER = _Hasher(time_cost=2, memory_cost=19456, parallelism=1)


class WorkerError(ValueError):
    """An account change that cannot be made (a bad name or password, a name taken, no such worker)."""


@dataclass(frozen=True)
class Worker:
    id: int
    login: str
    display_name: str
    role: str
    disabled: bool
    created_at: str
    changed_at: str
    password_mark: str   # changes whenever the password does: a reset ends the worker's sessions

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        return audit.worker_actor(self.login)


@dataclass(frozen=True)
class Outcome:
    """What :func:`authenticate` found: the worker when the login succeeds; otherwise ``worker``
    is None and ``reason`` (for the audit log only) is ``unknown``, ``wrong_password`` or
    ``disabled``, with ``known`` the account the name belongs to, if any. ``new_hash``: the password
    hashed again with :data:`HASHER`'s parameters, for :func:`keep_new_hash` (``old_hash`` is what
    it replaces)."""

    worker: Worker | None
    reason: str = ""
    known: Worker | None = None
    new_hash: str | None = None
    old_hash: str | None = None


def normalise_login(typed: str) -> str:
    """What a typed login name is compared as: trimmed, lower-case (at most 64 characters looked at)."""
    return (typed or "").strip()[:64].lower()


def generate_password() -> str:
    """A new password, three groups of four easily read characters (about 59 bits): ``k7pm-3xqa-9wfe``."""
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))


def _mark(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _worker(row) -> Worker:
    return Worker(id=row["id"], login=row["login"], display_name=row["display_name"], role=row["role"],
                  disabled=bool(row["disabled"]), created_at=row["created_at"], changed_at=row["changed_at"],
                  password_mark=_mark(row["password_hash"]))


def _row(db: Database, where: str, value) -> dict | None:
    cursor = db.execute(f"SELECT * FROM workers WHERE {where} = ?", [value])
    found = cursor.fetchone()
    if found is None:
        return None
    return dict(zip([c[0] for c in cursor.description], found))


def get(db: Database, worker_id: int) -> Worker | None:
    row = _row(db, "id", worker_id)
    return _worker(row) if row else None


def by_login(db: Database, login: str) -> Worker | None:
    row = _row(db, "login", normalise_login(login))
    return _worker(row) if row else None


def all_workers(db: Database) -> list[Worker]:
    cursor = db.execute("SELECT * FROM workers ORDER BY login")
    names = [c[0] for c in cursor.description]
    return [_worker(dict(zip(names, r))) for r in cursor.fetchall()]


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise WorkerError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def add(db: Database, login: str, password: str, role: str = "worker", display_name: str = "",
        at: datetime | None = None) -> Worker:
    """Add an account, in the caller's transaction (the action writes its audit entry in it)."""
    require_transaction(db)
    login = normalise_login(login)
    if not LOGIN.match(login):
        raise WorkerError("a login name has 2 to 32 characters: lower-case letters, digits, '.', '_' or '-', "
                          "starting with a letter or digit")
    if role not in ROLES:
        raise WorkerError(f"the role is one of {', '.join(ROLES)}")
    display_name = (display_name or login).strip()
    if not display_name or len(display_name) > MAX_DISPLAY_NAME or not display_name.isprintable():
        raise WorkerError(f"a display name has 1 to {MAX_DISPLAY_NAME} printable characters")
    _check_password(password)
    stamp = iso(at or real_now())
    password_hash = HASHER.hash(password)
    if _row(db, "login", login):
        raise WorkerError(f"there is already a worker {login!r}")
    worker_id = db.execute(
        "INSERT INTO workers (login, display_name, role, password_hash, disabled, created_at, changed_at) "
        "VALUES (?, ?, ?, ?, 0, ?, ?)", [login, display_name, role, password_hash, stamp, stamp]).lastrowid
    return get(db, worker_id)


def _change(db: Database, login: str, sets: str, params: list, at: datetime | None) -> Worker:
    login = normalise_login(login)
    stamp = iso(at or real_now())
    if _row(db, "login", login) is None:
        raise WorkerError(f"there is no worker {login!r}")
    db.execute(f"UPDATE workers SET {sets}, changed_at = ? WHERE login = ?", [*params, stamp, login])
    return by_login(db, login)


def set_disabled(db: Database, login: str, disabled: bool, at: datetime | None = None) -> Worker:
    """Disable an account (it can no longer log in; its open sessions end at their next page) or enable
    it, in the caller's transaction."""
    require_transaction(db)
    return _change(db, login, "disabled = ?", [int(disabled)], at)


def set_password(db: Database, login: str, password: str, at: datetime | None = None) -> Worker:
    """Give an account a new password (its open sessions end at their next page), in the caller's transaction."""
    require_transaction(db)
    _check_password(password)
    return _change(db, login, "password_hash = ?", [HASHER.hash(password)], at)


_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash of a random password made with :data:`HASHER`'s parameters, made once per process:
    checking a password against it costs what checking against a real worker's hash does."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = HASHER.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(db: Database, login: str, password: str) -> Outcome:
    """Check a login. Every path checks one argon2 hash, so a name that does not exist, a disabled
    account and a wrong password take the same time. A correct password whose hash was made with
    other parameters than :data:`HASHER`'s is hashed again with the current ones (``new_hash``, which
    :func:`keep_new_hash` stores). Writes nothing: the slow hashing holds no write lock."""
    row = _row(db, "login", normalise_login(login)) if len(login or "") <= 64 else None
    if len(password or "") > MAX_PASSWORD:
        password = ""  # still checked (against a hash that never matches it), so it costs the same
    if row is None:
        _verify(_dummy(), password)
        return Outcome(None, "unknown")
    known = _worker(row)
    if not _verify(row["password_hash"], password):
        return Outcome(None, "wrong_password", known)
    if known.disabled:
        return Outcome(None, "disabled", known)
    if HASHER.check_needs_rehash(row["password_hash"]):
        return Outcome(known, new_hash=HASHER.hash(password), old_hash=row["password_hash"])
    return Outcome(known)


def keep_new_hash(db: Database, outcome: Outcome) -> Outcome:
    """Store the hash :func:`authenticate` made again (if it made one), in the caller's transaction;
    the outcome with the worker as now stored. The hash only: not an account change, changed_at stays."""
    require_transaction(db)
    if outcome.worker is None or not outcome.new_hash:
        return outcome
    db.execute("UPDATE workers SET password_hash = ? WHERE id = ? AND password_hash = ?",
               [outcome.new_hash, outcome.worker.id, outcome.old_hash])
    return replace(outcome, worker=get(db, outcome.worker.id), new_hash=None, old_hash=None)
