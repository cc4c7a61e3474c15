"""Personal details (name, address, phone) are read and written here and nowhere else, sealed at rest.

Owns ``request_personal`` and the format of ``drafts.personal`` (which :mod:`core.drafts` stores).

Keeping them in one module, in their own column and table, is what lets them be encrypted at
rest and purged after their retention period without touching the rest of a request.
"""
from __future__ import annotations

import json

from sqlite_utils import Database
from .db import require_transaction

FIELDS = ("name", "address", "phone", "contact", "address_public")
#: The resident's answer, where the county locates a home visit by her address (``KIOSK_COUNTY_LOCATION=home``),
#: to "may the county show your address on its public list of requests?": ``"yes"`` or ``"no"``; never
#: reused from an earlier request (she is asked each time), never sent itself (:func:`home_is_public`).
ADDRESS_PUBLIC = "address_public"
REUSED = "reused"  # in a draft only: {field: value} taken, with the resident's consent, from an earlier request
SOURCES = ("typed", "reused", "worker")  # who entered a field: the resident, an earlier request, a worker (代办)


REQUEST_COLUMN = "request_personal.data"
DRAFT_COLUMN = "drafts.personal"


def pack(db: Database, details: dict, column: str = REQUEST_COLUMN) -> str:
    """The personal fields of ``details``, sealed for storage in ``column`` (the single place they are).

    A draft also keeps what was reused from an earlier request (:data:`REUSED`), to tell at saving
    which fields the resident did not have to type again (:func:`sources`); a saved request does not."""
    kept = {k: details[k] for k in FIELDS if details.get(k)}
    if column == DRAFT_COLUMN and details.get(REUSED):
        kept[REUSED] = {k: v for k, v in details[REUSED].items() if k in FIELDS and v}
    return db.keyring.seal(json.dumps(kept, ensure_ascii=False), column)


def reusable(details: dict, needs_name: bool, needs_address: bool, contact_options: tuple | list) -> dict:
    """What of an earlier request's ``details`` a new request may reuse: only what its service asks for."""
    wanted = [f for f, asked in (("name", needs_name), ("address", needs_address)) if asked]
    if details.get("contact") in contact_options:
        wanted.append("contact")
        if details["contact"] == "phone":
            wanted.append("phone")
    return {f: details[f] for f in wanted if details.get(f)}


def home_is_public(details: dict) -> bool:
    """Whether the resident said yes to her home address being the request's public location."""
    return details.get(ADDRESS_PUBLIC) == "yes" and bool(details.get("address"))


def still_reused(details: dict, field: str) -> bool:
    """Whether ``field`` of a draft holds what was reused from an earlier request, unchanged."""
    reused = details.get(REUSED) or {}
    return bool(details.get(field)) and reused.get(field) == details.get(field)


def sources(details: dict, filled_by: str = "resident") -> dict[str, str]:
    """Who entered each personal field of a finished draft: ``reused`` where it is still what was taken
    from an earlier request, else ``worker`` for a request filled in with a worker, else ``typed``."""
    reused = details.get(REUSED) or {}
    return {f: ("reused" if reused.get(f) == details[f] else "worker" if filled_by == "worker" else "typed")
            for f in FIELDS if f not in ("contact", ADDRESS_PUBLIC) and details.get(f)}


def unpack(db: Database, stored: str | None, column: str = REQUEST_COLUMN) -> dict:
    """Inverse of :func:`pack`."""
    text = db.keyring.open(stored, column)
    return json.loads(text) if text else {}


def save_for_request(db: Database, request_id: int, details: dict) -> None:
    require_transaction(db)
    db.execute("INSERT INTO request_personal (request_id, data) VALUES (?, ?)", [request_id, pack(db, details)])


def load_for_request(db: Database, request_id: int) -> dict:
    rows = list(db.query("SELECT data FROM request_personal WHERE request_id = ?", [request_id]))
    return unpack(db, rows[0]["data"]) if rows else {}


def correct_for_request(db: Database, request_id: int, field: str, value: str) -> None:
    """Replace one personal field of a saved request (a worker correcting what the county refused).
    The caller owns the transaction (see :func:`core.submissions.correct_personal`, which also
    updates the request's content hash)."""
    require_transaction(db)
    if field not in FIELDS:
        raise ValueError(f"unknown personal field {field!r}")
    details = {**load_for_request(db, request_id), field: value}
    db.execute("INSERT INTO request_personal (request_id, data) VALUES (?, ?)"
               " ON CONFLICT(request_id) DO UPDATE SET data = excluded.data", [request_id, pack(db, details)])


def reseal(db: Database) -> int:
    """Seal again, with the current key, every stored value that is not (the caller owns the transaction)."""
    require_transaction(db)
    count = 0
    for row in list(db.query("SELECT request_id, data FROM request_personal")):
        fresh = db.keyring.renewed(row["data"], REQUEST_COLUMN)
        if fresh is not None:
            db.execute("UPDATE request_personal SET data = ? WHERE request_id = ?", [fresh, row["request_id"]])
            count += 1
    return count


def forget_for_requests(db: Database, request_ids: list[int]) -> int:
    """Delete the personal details of these requests (the caller owns the transaction)."""
    require_transaction(db)
    if not request_ids:
        return 0
    placeholders = ",".join("?" * len(request_ids))
    return db.execute(f"DELETE FROM request_personal WHERE request_id IN ({placeholders})", request_ids).rowcount


def load_for_requests(db: Database, request_ids: list[int]) -> dict[int, dict]:
    """:func:`load_for_request` for many requests, a few queries for any number (none kept: ``{}``)."""
    found: dict[int, dict] = {i: {} for i in request_ids}
    for i in range(0, len(request_ids), 500):
        chunk = request_ids[i:i + 500]
        for row in db.query(f"SELECT request_id, data FROM request_personal WHERE request_id IN"
                            f" ({','.join('?' * len(chunk))})", chunk):
            found[row["request_id"]] = unpack(db, row["data"])
    return found
