"""The ``meta`` table's version counters: a number per thing that processes cache (the catalogue, the
address book), bumped by that thing's owner inside its own write so every process sees the change."""
from __future__ import annotations

from sqlite_utils import Database
from .db import require_transaction

CATALOGUE = "catalogue_version"
ADDRESS_BOOK = "address_book_version"


def value(db: Database, key: str) -> int:
    return db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()[0]


def bump(db: Database, key: str) -> None:
    """Inside the caller's write: the counter goes up with the change it counts."""
    require_transaction(db)
    db.execute("UPDATE meta SET value = value + 1 WHERE key = ?", [key])
