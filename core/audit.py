"""The audit log: who did what, to which request, when. Append-only, and the database says so.

The table ``audit`` (migration ``m009_workers_and_audit``) has triggers that abort any ``UPDATE`` or
``DELETE``: a row, once written, stays as written — through this module, the web app, the CLI or a
stray ``sqlite3`` session alike. (Someone holding the file can still drop the triggers: the log is
for honest accounting, not proof against the box's owner.)

Who (``actor``) is one of ``worker:<login>``, ``resident`` (someone at the kiosk's screen),
``system`` (the kiosk itself: a login refused for a name that does not exist, a session expired)
and ``cli`` (a command run on the box). ``detail`` is for ids, names of things and counts only —
never a resident's name, address, phone or answers, never a password or a name someone typed:
:func:`record` refuses values that are not short ASCII identifiers or numbers, so a slip is an
error in a test rather than personal data kept forever in a log that cannot be purged.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from .clock import iso, now as real_now
from .db import require_transaction

ACTOR = re.compile(r"^(worker:[a-z0-9][a-z0-9._-]{0,31}|resident|system|cli)$")
ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
DETAIL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
DETAIL_TEXT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
PAGE_SIZE = 50


class AuditError(ValueError):
    """What was asked to be recorded does not fit the log (an unknown actor, or a detail that could
    carry personal data)."""


@dataclass(frozen=True)
class Entry:
    id: int
    at: str
    actor: str
    action: str
    request_id: int | None
    ticket: str | None        # the request's ticket, when the entry is about one
    detail: dict


def worker_actor(login: str) -> str:
    """The actor a logged-in worker is recorded as."""
    return f"worker:{login}"


def _checked_detail(detail: dict | None) -> str:
    detail = detail or {}
    for key, value in detail.items():
        if not isinstance(key, str) or not DETAIL_KEY.match(key):
            raise AuditError(f"detail key {key!r} is not a short lower-case name")
        if isinstance(value, bool) or value is None or isinstance(value, int):
            continue
        if not isinstance(value, str) or not DETAIL_TEXT.match(value):
            raise AuditError(f"detail {key!r} must be a number or a short ASCII identifier (no personal data)")
    return json.dumps(detail, ensure_ascii=True, sort_keys=True)


def record(db: Database, actor: str, action: str, request_id: int | None = None, detail: dict | None = None,
           at: datetime | None = None) -> int:
    """Append one entry; returns its id. In the caller's write transaction (an action of
    :mod:`core.actions`), so the entry and the change it describes commit together or not at all.

    :param actor: ``worker:<login>``, ``resident``, ``system`` or ``cli``.
    :param action: dotted lower-case name (``login.succeeded``, ``worker.disabled``).
    :param request_id: the resident's request (``requests.id``) it concerns, if any.
    :param detail: ids, names of things and counts; refused if a value is not a number or a short
      ASCII identifier.
    :param at: when (default: now, UTC).
    """
    if not ACTOR.match(actor or ""):
        raise AuditError(f"unknown actor {actor!r}")
    if not ACTION.match(action or "") or len(action) > 64:
        raise AuditError(f"action {action!r} is not a dotted lower-case name")
    row = [iso(at or real_now()), actor, action, request_id, _checked_detail(detail)]
    require_transaction(db)
    return db.execute("INSERT INTO audit (at, actor, action, request_id, detail) VALUES (?, ?, ?, ?, ?)", row).lastrowid


def _where(actor: str | None, request_id: int | None) -> tuple[str, list]:
    clauses, params = [], []
    if actor:
        clauses.append("a.actor = ?")
        params.append(actor)
    if request_id is not None:
        clauses.append("a.request_id = ?")
        params.append(request_id)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _entry(row: tuple) -> Entry:
    return Entry(id=row[0], at=row[1], actor=row[2], action=row[3], request_id=row[4], ticket=row[5],
                 detail=json.loads(row[6] or "{}"))


_SELECT = ("SELECT a.id, a.at, a.actor, a.action, a.request_id, r.ticket, a.detail FROM audit a "
           "LEFT JOIN requests r ON r.id = a.request_id")


def page(db: Database, number: int = 1, actor: str | None = None, request_id: int | None = None,
         size: int = PAGE_SIZE) -> tuple[list[Entry], bool]:
    """One page of entries, newest first, optionally only one actor's or one request's; and whether
    there is a page after it."""
    where, params = _where(actor, request_id)
    number = max(1, number)
    rows = db.execute(f"{_SELECT}{where} ORDER BY a.id DESC LIMIT ? OFFSET ?",
                      [*params, size + 1, (number - 1) * size]).fetchall()
    return [_entry(r) for r in rows[:size]], len(rows) > size


def every(db: Database, actor: str | None = None, request_id: int | None = None) -> Iterator[Entry]:
    """Every entry (for the export), newest first, with the same filters as :func:`page`."""
    where, params = _where(actor, request_id)
    for row in db.execute(f"{_SELECT}{where} ORDER BY a.id DESC", params):
        yield _entry(row)


def actors(db: Database) -> list[str]:
    """Every actor that has an entry, for the filter's list."""
    return [r[0] for r in db.execute("SELECT DISTINCT actor FROM audit ORDER BY actor")]
