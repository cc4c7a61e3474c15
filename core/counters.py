"""The ``meta`` table: a version counter per thing that processes cache (the catalogue, the address
book), bumped by that thing's owner inside its own write so every process sees the change; and a few
small notes kept whole under their own key (the last catalogue refresh's report, :mod:`sync.catalogue`)."""
from __future__ import annotations

from sqlite_utils import Database
from .db import require_transaction

CATALOGUE = "catalogue_version"
ADDRESS_BOOK = "address_book_version"
CATALOGUE_REFRESH = "catalogue_refresh"  # a note, not a counter: what the county's catalogue last did (JSON)


def value(db: Database, key: str) -> int:
    return db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()[0]


def bump(db: Database, key: str) -> None:
    """Inside the caller's write: the counter goes up with the change it counts."""
    require_transaction(db)
    db.execute("UPDATE meta SET value = value + 1 WHERE key = ?", [key])


def write_note(db: Database, key: str, text: str) -> None:
    """Inside the caller's write: keep ``text`` under ``key``, replacing what was there. A note is a few
    hundred bytes of text (JSON, say) that one owner writes whole; SQLite keeps text in ``meta.value``
    as text (the column's integer affinity converts only what reads as a number)."""
    require_transaction(db)
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               [key, text])


def read_note(db: Database, key: str) -> str | None:
    """The note kept under ``key``, or None when none has been written."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])
