"""Server-side drafts: a resident's answers while they fill in a request (owns ``drafts``).

The browser only holds an opaque random token (the web app keeps it in a cookie); the database keeps
the answers under the token's SHA-256, so Back, a reload, a dropped Wi-Fi connection or a switched language never loses an
answer, and a cookie read off a screen cannot be turned back into a database key.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field

from sqlite_utils import Database

from . import personal
from .clock import utc_now
from .db import write_transaction


@dataclass
class Draft:
    id: str
    service_code: str
    locale: str
    answers: dict = field(default_factory=dict)
    personal: dict = field(default_factory=dict)


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(db: Database, service_code: str, locale: str) -> tuple[str, Draft]:
    """Create an empty draft for ``service_code``; return its token (for the cookie) and the draft."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    draft = Draft(id=_key(token), service_code=service_code, locale=locale)
    with write_transaction(db):
        db["drafts"].insert(
            {"id": draft.id, "service_code": service_code, "answers": "{}", "personal": personal.pack({}),
             "locale": locale, "created_at": now, "updated_at": now}
        )
    return token, draft


def load(db: Database, token: str | None) -> Draft | None:
    """The draft behind a token, or None."""
    if not token:
        return None
    rows = list(db.query("SELECT * FROM drafts WHERE id = ?", [_key(token)]))
    if not rows:
        return None
    row = rows[0]
    return Draft(row["id"], row["service_code"], row["locale"], json.loads(row["answers"]), personal.unpack(row["personal"]))


def save(db: Database, draft: Draft) -> None:
    """Store the draft's answers and personal details as they are now."""
    with write_transaction(db):
        db.execute(
            "UPDATE drafts SET answers = ?, personal = ?, locale = ?, updated_at = ? WHERE id = ?",
            [json.dumps(draft.answers, ensure_ascii=False), personal.pack(draft.personal), draft.locale, utc_now(), draft.id],
        )


def delete(db: Database, draft_id: str) -> None:
    """Remove a draft; the caller owns the transaction (it is part of saving the request)."""
    db.execute("DELETE FROM drafts WHERE id = ?", [draft_id])
