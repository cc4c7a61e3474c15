import sqlite3
from pathlib import Path

from core import sealing
from core.actions import system
from core.crypto import Keyring, new_key
from core.db import connect, migrate
from kiosk.db import database_path
from core.migrations import migrations


def test_schema_is_created_with_wal(app):
    db = sqlite3.connect(database_path(app))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"services", "service_groups", "drafts", "requests", "request_personal", "request_events"} <= tables


def test_migrations_run_once(tmp_path):
    db = connect(tmp_path / "k.sqlite3", keyring=Keyring([new_key()]))
    assert migrate(db) == [m.name for m in migrations._migrations]
    assert migrate(db) == []


def test_init_db_command(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "all applied" in result.output


def test_every_cli_command_has_help(app):
    import click

    def walk(command, path):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, path + [name])

    for name, command in app.cli.commands.items():
        for path, cmd in walk(command, [name]):
            assert (cmd.help or "").strip(), f"`flask {' '.join(path)}` has no help text"


def test_a_database_from_before_the_core_opens_and_upgrades_in_place(tmp_path):
    """A file made by commit f0fda19 (tests/data/kiosk-schema-m005.sql) keeps its requests, events and drafts."""
    from core import drafts, personal, submissions
    from core import outbox

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript((Path(__file__).parent / "data" / "kiosk-schema-m005.sql").read_text(encoding="utf-8"))
    old.close()
    db = connect(path, keyring=Keyring([new_key()]))
    migrate(db)
    assert system.seal_with_current_key(db) == 3 + 1 + 3  # personal details, the draft, the answers: plain text sealed now
    raw = path.read_bytes() + path.with_name("old.sqlite3-wal").read_bytes()
    assert "王秀英".encode() not in raw and "陳大文".encode() not in raw  # not in the file, nor its WAL (secure_delete)
    assert [m.name for m in migrations.applied(db)] == [m.name for m in migrations._migrations]

    saved = submissions.find(db, "A0001", "7627")
    assert saved.service_code == "home-care" and saved.answers == {"help": "cleaning", "often": "weekly"}
    assert [e["state"] for e in outbox.events(db, saved.id)] == ["queued", "in_flight", "accepted", "in_progress"]
    assert personal.load_for_request(db, saved.id) == {
        "name": "王秀英", "address": "幸福路 12 号 3 单元 401", "phone": "13800138000", "contact": "phone"}
    assert outbox.events(db, saved.id)[-1]["data"]["status_notes"] == "已安排护理员周三上门"
    assert outbox.current_state(db, submissions.find(db, "A0002", "8635").id) == "quarantined"
    assert outbox.current_state(db, submissions.find(db, "A0003", "3596").id) == "queued"
    draft = drafts.load(db, "q59qrx2mbRNLgc0FeV_BZQqnZsy1AJZh_IXCXWUaGfE")
    assert (draft.service_code, draft.locale, draft.answers, draft.personal) == (
        "pension-cert", "zh_Hant_TW", {"who": "self"}, {"name": "陳大文"})


def test_a_serving_thread_keeps_its_connection_between_requests(app):
    """Opened once per thread; another one after the file is replaced (a restore) or after an error."""
    import threading

    from flask import g

    from kiosk.db import get_db

    def request_db():
        with app.test_request_context("/"):
            db = get_db()
            db.execute("SELECT count(*) FROM requests").fetchone()
            return db

    first = request_db()
    assert request_db() is first and not first.conn.in_transaction
    other = []
    thread = threading.Thread(target=lambda: other.append(request_db()))
    thread.start()
    thread.join(timeout=10)
    assert other and other[0] is not first  # each thread its own

    with app.test_request_context("/"):
        get_db().conn.execute("BEGIN")  # a request that leaves a transaction open…
    assert request_db() is first and not first.conn.in_transaction  # …hands it back rolled back

    path = database_path(app)
    aside = path.with_name("aside.sqlite3")
    path.rename(aside)  # what `flask data restore` does with the old file
    import shutil
    shutil.copy(aside, path)
    replaced = request_db()
    assert replaced is not first
    with app.test_request_context("/"):
        get_db()
        app.do_teardown_appcontext(RuntimeError("the request failed"))
        assert "db" not in g
    assert request_db() is not replaced  # closed after the error, opened afresh


def _writer_db(path, busy_timeout=5.0):
    db = connect(path, busy_timeout=busy_timeout)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, who TEXT)")
    return db


def test_writers_of_one_process_wait_in_line_for_each_other(tmp_path):
    """A writer that finds another's transaction open waits on the process's lock (woken the moment
    it is released), and the saves land one after the other: none lost, none failed."""
    import threading

    from core.db import write_transaction

    first, second = _writer_db(tmp_path / "k.sqlite3"), _writer_db(tmp_path / "k.sqlite3")
    order, started = [], threading.Event()

    def later():
        started.set()
        with write_transaction(second, durable=True):
            second.execute("INSERT INTO t (who) VALUES ('second')")
            order.append("second")

    with write_transaction(first, durable=True):
        first.execute("INSERT INTO t (who) VALUES ('first')")
        thread = threading.Thread(target=later)
        thread.start()
        started.wait(5)
        thread.join(0.3)
        assert thread.is_alive(), "the second writer did not wait for the first"
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]
    assert [r[0] for r in first.execute("SELECT who FROM t ORDER BY id")] == ["first", "second"]


def test_a_writer_kept_waiting_too_long_fails_cleanly_and_a_nested_write_says_so(tmp_path):
    import threading

    import pytest

    from core.db import write_transaction

    holder, waiter = _writer_db(tmp_path / "k.sqlite3"), _writer_db(tmp_path / "k.sqlite3", busy_timeout=0.2)
    failed = []

    def blocked():
        try:
            with write_transaction(waiter):
                waiter.execute("INSERT INTO t (who) VALUES ('too late')")
        except sqlite3.OperationalError as error:
            failed.append(str(error))

    with write_transaction(holder):
        thread = threading.Thread(target=blocked)
        thread.start()
        thread.join(5)
        # the same thread opening a second write on the same file would wait for itself: it is told at once
        with pytest.raises(RuntimeError, match="inside another"):
            with write_transaction(waiter):
                pass
    assert failed and "database is locked" in failed[0]
    assert holder.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    with write_transaction(waiter):  # the lock was given back after each failure
        waiter.execute("INSERT INTO t (who) VALUES ('now')")
    assert holder.execute("SELECT count(*) FROM t").fetchone()[0] == 1
