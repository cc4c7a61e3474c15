"""The audit log (core/audit.py): append-only in the database itself, no personal data in it."""
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from core import audit
from core.crypto import Keyring, new_key
from core.db import connect, migrate, write_transaction


@pytest.fixture
def db(tmp_path):
    db = connect(tmp_path / "k.sqlite3", keyring=Keyring([new_key()]))
    migrate(db)
    return db


def test_entries_are_recorded_and_read_newest_first(db):
    start = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
    for i in range(120):
        with write_transaction(db):
            audit.record(db, "worker:alice" if i % 2 else "system", "login.failed", detail={"why": "wrong_password", "n": i},
                         at=start + timedelta(minutes=i))
    first, more = audit.page(db)
    assert len(first) == audit.PAGE_SIZE and more
    assert first[0].detail == {"why": "wrong_password", "n": 119} and first[0].at == "2026-11-25T09:59:00+00:00"
    last, more = audit.page(db, 3)
    assert len(last) == 20 and not more
    alice, _ = audit.page(db, actor="worker:alice")
    assert {e.actor for e in alice} == {"worker:alice"}
    assert len(list(audit.every(db, actor="system"))) == 60
    assert audit.actors(db) == ["system", "worker:alice"]


def test_entries_name_their_request_by_ticket(db):
    db.execute("INSERT INTO service_groups (code, position, icon, names) VALUES ('g', 0, '', '{}')")
    db.execute("INSERT INTO services (service_code, group_code, position, icon, needs, texts, attributes, updated_at) "
               "VALUES ('s', 'g', 0, '', '{}', '{}', '[]', '')")
    db.execute("INSERT INTO requests (id, uuid, ticket, check_code, service_code, locale, answers, content_hash, "
               "requested_at, monotonic_ns, kiosk_id) VALUES (7, 'u', 'A0427', '123456', 's', 'en', '{}', 'h', '', 0, 'k')")
    db.conn.commit()
    with write_transaction(db):
        audit.record(db, "worker:alice", "request.viewed", request_id=7)
    with write_transaction(db):
        audit.record(db, "system", "login.failed")
    entries, _ = audit.page(db, request_id=7)
    assert [(e.ticket, e.request_id, e.action) for e in entries] == [("A0427", 7, "request.viewed")]


def test_the_database_refuses_to_change_or_delete_an_entry(db, tmp_path):
    with write_transaction(db):
        audit.record(db, "cli", "worker.added", detail={"worker": "alice"})
    for sql in ("UPDATE audit SET action = 'nothing.happened'", "DELETE FROM audit",
                "UPDATE audit SET detail = '{}' WHERE id = 1", "DELETE FROM audit WHERE id = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="audit is append-only"):
            db.execute(sql)
        db.conn.rollback()
    # …whoever asks: a plain sqlite3 connection to the file, outside the kiosk's code
    with sqlite3.connect(tmp_path / "k.sqlite3") as raw:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("DELETE FROM audit")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("UPDATE audit SET actor = 'system'")
    assert [(e.actor, e.action, e.detail) for e in audit.every(db)] == [("cli", "worker.added", {"worker": "alice"})]


@pytest.mark.parametrize("actor, action, detail", [
    ("alice", "login", None),                       # not a known kind of actor
    ("worker:Alice Smith", "login", None),
    ("resident", "Login Failed", None),             # not a dotted lower-case name
    ("resident", "", None),
    ("resident", "login.failed", {"name": "王秀兰"}),              # personal data in a detail
    ("resident", "login.failed", {"typed": "alice password"}),
    ("resident", "login.failed", {"address": "3-2-501 幸福里"}),
    ("resident", "login.failed", {"answers": {"a": 1}}),
    ("resident", "login.failed", {"Bad Key": 1}),
    ("resident", "login.failed", {"long": "x" * 65}),
])
def test_what_does_not_fit_the_log_is_refused(db, actor, action, detail):
    with pytest.raises(audit.AuditError):
        with write_transaction(db):
            audit.record(db, actor, action, detail=detail)
    assert list(audit.every(db)) == []


def test_an_entry_commits_with_the_change_it_describes(db):
    from core.db import write_transaction

    with pytest.raises(RuntimeError):
        with write_transaction(db):
            audit.record(db, "cli", "worker.added", detail={"worker": "bob"})
            raise RuntimeError("the change failed")
    assert list(audit.every(db)) == []
