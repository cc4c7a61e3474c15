"""Personal details (name, address, phone) are read and written here and nowhere else.

Owns ``request_personal`` and the format of ``drafts.personal`` (which :mod:`core.drafts` stores).

Keeping them in one module, in their own column and table, is what lets them be encrypted at
rest and purged after their retention period without touching the rest of a request.
"""
from __future__ import annotations

import json

from sqlite_utils import Database

FIELDS = ("name", "address", "phone", "contact")


def pack(details: dict) -> str:
    """Serialise the personal fields of ``details`` for storage (the single place to encrypt)."""
    return json.dumps({k: details[k] for k in FIELDS if details.get(k)}, ensure_ascii=False)


def unpack(stored: str | None) -> dict:
    """Inverse of :func:`pack`."""
    return json.loads(stored) if stored else {}


def save_for_request(db: Database, request_id: int, details: dict) -> None:
    db.execute("INSERT INTO request_personal (request_id, data) VALUES (?, ?)", [request_id, pack(details)])


def load_for_request(db: Database, request_id: int) -> dict:
    rows = list(db.query("SELECT data FROM request_personal WHERE request_id = ?", [request_id]))
    return unpack(rows[0]["data"]) if rows else {}
