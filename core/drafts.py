"""Server-side drafts: a resident's answers while they fill in a request (owns ``drafts``).

The browser only holds an opaque random token (the web app keeps it in a cookie); the database keeps
the answers under the token's SHA-256, so Back, a reload, a dropped Wi-Fi connection or a switched language never loses an
answer, and a cookie read off a screen cannot be turned back into a database key.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass, field

from sqlite_utils import Database

from . import personal
from .clock import utc_now
from .db import require_transaction


RESUME_DIGITS = 6  # one in a million, said aloud as six digits; look-ups by code are rate-limited
CONFIRM_SECONDS = 5 * 60  # how long a confirmation shown on the kiosk's screen stays there (a stranger may come next)


@dataclass
class Draft:
    id: str
    service_code: str
    locale: str
    answers: dict = field(default_factory=dict)
    personal: dict = field(default_factory=dict)
    resume_code: str = ""
    assisted_by: str = ""  # the login of the worker filling it in for a resident (assisted filing), or ""

    @property
    def started(self) -> bool:
        """Whether anything has been entered yet (an empty draft is not worth a resume code's trouble)."""
        return bool(self.answers or self.personal)


def _key(token: str) -> str:
    """The database key of a draft: SHA-256 of its long random token (a token cannot be guessed)."""
    return hashlib.sha256(token.encode()).hexdigest()


SEALED = ("answers", "personal", "resume_code")  # columns sealed at rest (core.crypto)


def _draft(db: Database, row: dict) -> Draft:
    keys = db.keyring
    return Draft(row["id"], row["service_code"], row["locale"], json.loads(keys.open(row["answers"], "drafts.answers") or "{}"),
                 personal.unpack(db, row["personal"], personal.DRAFT_COLUMN),
                 keys.open(row["resume_code"], "drafts.resume_code"), row.get("assisted_by") or "")


class NoFreeCode(RuntimeError):
    """Every resume code is held by a draft still worth keeping (the caller says so politely)."""


EMPTY_DRAFT_HOURS = 1.0  # a draft nobody answered anything in, an hour after it was started, holds nothing


def reclaim(db: Database, expired_before: str, empty_before: str) -> int:
    """Free the resume codes of drafts nobody can want: untouched since ``expired_before`` (the nightly
    purge's rule, done now), or never answered and started before ``empty_before`` (a flood of Starts
    leaves only these). Return how many went."""
    require_transaction(db)
    return db.execute(
        "DELETE FROM drafts WHERE updated_at < ? OR (updated_at = created_at AND parked_at IS NULL"
        " AND assisted_by IS NULL AND created_at < ?)", [expired_before, empty_before]).rowcount


def start(db: Database, service_code: str, locale: str, expired_before: str | None = None,
          empty_before: str | None = None) -> tuple[str, Draft]:
    """Create an empty draft for ``service_code``; return its token (for the cookie) and the draft.

    Codes are drawn at random until one is unused (one draft in a million collides). When 20 draws in
    a row collide the space is nearly full: with ``expired_before`` and ``empty_before`` (ISO times) the
    codes of drafts nobody can want are freed (:func:`reclaim`) and it draws again; then
    :class:`NoFreeCode`, never a code shared by two drafts. A colliding draw fails its statement only,
    not the caller's transaction."""
    require_transaction(db)
    for attempt in range(2):
        started = _start(db, service_code, locale)
        if started:
            return started
        if attempt or not expired_before or not reclaim(db, expired_before, empty_before or expired_before):
            break
    raise NoFreeCode("no free resume code")


def _start(db: Database, service_code: str, locale: str) -> tuple[str, Draft] | None:
    token = secrets.token_urlsafe(32)
    now = utc_now()
    for _ in range(20):
        code = f"{secrets.randbelow(10 ** RESUME_DIGITS):0{RESUME_DIGITS}d}"
        draft = Draft(id=_key(token), service_code=service_code, locale=locale, resume_code=code)
        try:
            db.execute(
                "INSERT INTO drafts (id, service_code, answers, personal, locale, created_at, updated_at,"
                " resume_code, resume_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [draft.id, service_code, db.keyring.seal("{}", "drafts.answers"),
                 personal.pack(db, {}, personal.DRAFT_COLUMN), locale, now, now,
                 db.keyring.seal(code, "drafts.resume_code"), db.keyring.lookup_keys(code)[0]])
        except sqlite3.IntegrityError:
            continue
        return token, draft
    return None


def load(db: Database, token: str | None) -> Draft | None:
    """The draft behind a token, or None (also once the draft is parked: the token no longer opens it)."""
    if not token:
        return None
    rows = list(db.query("SELECT * FROM drafts WHERE id = ? AND parked_at IS NULL", [_key(token)]))
    return _draft(db, rows[0]) if rows else None


def park(db: Database, token: str | None) -> Draft | None:
    """End the screen session's hold on its draft; return the draft (for its resume code), or None."""
    require_transaction(db)
    draft = load(db, token)
    if draft is not None:
        db.execute("UPDATE drafts SET parked_at = ? WHERE id = ?", [utc_now(), draft.id])
    return draft


def resume(db: Database, code: str, untouched_since: str = "") -> tuple[str, Draft] | None:
    """Open a parked draft by its resume code under a new token (the old one stays dead); None if no
    parked draft has it (a draft still open on a screen is not taken from under its resident), or if
    it was last changed before ``untouched_since`` (one the purge is due to delete)."""
    require_transaction(db)
    code = (code or "").strip()
    if len(code) != RESUME_DIGITS or not code.isascii() or not code.isdigit():
        return None
    candidates = db.keyring.lookup_keys(code)
    placeholders = ",".join("?" * len(candidates))
    rows = list(db.query(f"SELECT * FROM drafts WHERE resume_key IN ({placeholders}) AND parked_at IS NOT NULL"
                         " AND updated_at >= ?", [*candidates, untouched_since]))
    if not rows:
        return None
    token = secrets.token_urlsafe(32)
    db.execute("UPDATE drafts SET id = ?, parked_at = NULL, updated_at = ? WHERE id = ?",
               [_key(token), utc_now(), rows[0]["id"]])
    return token, load(db, token)


def parked(db: Database) -> list[dict]:
    """Drafts left unfinished (parked under a resume code), oldest first: ``{service_code, created_at,
    parked_at}`` only — never the answers, the personal details or the code."""
    return list(db.query("SELECT service_code, created_at, parked_at FROM drafts WHERE parked_at IS NOT NULL"
                         " ORDER BY parked_at"))


def reseal(db: Database) -> int:
    """Seal again, with the current key, every stored value that is not."""
    require_transaction(db)
    count = 0
    for row in list(db.query("SELECT id, answers, personal, resume_code, resume_key FROM drafts")):
        fresh = {c: db.keyring.renewed(row[c], f"drafts.{c}") for c in SEALED}
        fresh = {c: value for c, value in fresh.items() if value is not None}
        code = db.keyring.open(row["resume_code"], "drafts.resume_code") if row["resume_code"] else ""
        lookup = db.keyring.lookup_keys(code)[0] if code else None
        if lookup is not None and row["resume_key"] != lookup:  # a plain hash, or an older key's
            fresh["resume_key"] = lookup
        for column, value in fresh.items():
            db.execute(f"UPDATE drafts SET {column} = ? WHERE id = ?", [value, row["id"]])
        count += bool(fresh)
    return count


def purge(db: Database, untouched_since: str, dry_run: bool = False) -> int:
    """Delete drafts nobody has touched since ``untouched_since`` (ISO time); return how many (would) go.
    A dry run only counts (no transaction needed)."""
    if not dry_run:
        require_transaction(db)
    count = db.execute("SELECT COUNT(*) FROM drafts WHERE updated_at < ?", [untouched_since]).fetchone()[0]
    if count and not dry_run:
        db.execute("DELETE FROM drafts WHERE updated_at < ?", [untouched_since])
    return count


def save(db: Database, draft: Draft) -> None:
    """Store the draft's answers and personal details as they are now."""
    require_transaction(db)
    db.execute(
        "UPDATE drafts SET answers = ?, personal = ?, locale = ?, updated_at = ? WHERE id = ?",
        [db.keyring.seal(json.dumps(draft.answers, ensure_ascii=False), "drafts.answers"),
         personal.pack(db, draft.personal, personal.DRAFT_COLUMN), draft.locale, utc_now(), draft.id],
    )


def delete(db: Database, draft_id: str) -> bool:
    """Remove a draft (a step of saving the request). False when there was none to remove (saved
    already, by another tap or another screen)."""
    require_transaction(db)
    return db.execute("DELETE FROM drafts WHERE id = ?", [draft_id]).rowcount == 1


# --- assisted filing: a worker fills the draft in, the resident confirms it ---------------------------


def assist(db: Database, draft: Draft, login: str) -> Draft:
    """Mark ``draft`` as being filled in by the worker ``login`` for a resident (assisted filing)."""
    require_transaction(db)
    db.execute("UPDATE drafts SET assisted_by = ?, updated_at = ? WHERE id = ?", [login, utc_now(), draft.id])
    draft.assisted_by = login
    return draft


def ref(draft: Draft) -> str:
    """A short reference to a draft for the audit log (part of its random key: no personal data)."""
    return draft.id[:16]


def ask_confirmation(db: Database, draft: Draft) -> str:
    """Put ``draft`` on the kiosk's screen for its resident to confirm, under a new one-time key that
    the confirmation must carry back; the newest asked replaces any other waiting (one screen)."""
    require_transaction(db)
    key = secrets.token_urlsafe(24)
    db.execute("UPDATE drafts SET confirm_key = NULL, confirm_asked_at = NULL WHERE confirm_key IS NOT NULL")
    db.execute("UPDATE drafts SET confirm_key = ?, confirm_asked_at = ? WHERE id = ?", [key, utc_now(), draft.id])
    return key


def waiting_confirmation(db: Database, since: str) -> tuple[Draft, str] | None:
    """The assisted draft waiting on the kiosk's screen for its resident's yes (asked at or after
    ``since``), with its confirmation key; or None."""
    rows = list(db.query("SELECT * FROM drafts WHERE confirm_key IS NOT NULL AND confirm_asked_at >= ?"
                         " AND assisted_by IS NOT NULL AND parked_at IS NULL ORDER BY confirm_asked_at DESC LIMIT 1",
                         [since]))
    return (_draft(db, rows[0]), rows[0]["confirm_key"]) if rows else None


def confirmation_asked(db: Database, draft: Draft) -> bool:
    """Whether ``draft`` is waiting on the kiosk's screen."""
    return db.execute("SELECT confirm_key IS NOT NULL FROM drafts WHERE id = ?", [draft.id]).fetchone() == (1,)


def for_confirmation(db: Database, key: str, since: str) -> Draft | None:
    """The draft shown for confirmation under ``key`` (the value the kiosk's page carries), if it is
    still waiting and was asked at or after ``since``; else None."""
    if not key:
        return None
    rows = list(db.query("SELECT * FROM drafts WHERE confirm_key = ? AND confirm_asked_at >= ? AND parked_at IS NULL",
                         [key, since]))
    return _draft(db, rows[0]) if rows else None


def withdraw_confirmation(db: Database, draft_id: str) -> None:
    """Take a draft off the kiosk's screen (the resident said something is wrong, or the worker)."""
    require_transaction(db)
    db.execute("UPDATE drafts SET confirm_key = NULL, confirm_asked_at = NULL WHERE id = ?", [draft_id])
