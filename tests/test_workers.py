"""Workers' accounts (core/workers.py) and the commands that manage them (`flask workers …`)."""
import sqlite3

import pytest
from argon2 import PasswordHasher, extract_parameters

from core import audit, workers
from core.actions import worker as worker_actions
from core.db import write_transaction
from core.crypto import Keyring, new_key
from core.db import connect, migrate
from kiosk.db import database_path, get_db


@pytest.fixture
def db(tmp_path):
    db = connect(tmp_path / "k.sqlite3", keyring=Keyring([new_key()]))
    migrate(db)
    return db


def test_passwords_are_argon2id_sized_for_the_box(db):
    with write_transaction(db):
        workers.add(db, "alice", "correct horse 1")
    stored = db.execute("SELECT password_hash FROM workers").fetchone()[0]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    params = extract_parameters(stored)
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19456, 2, 1)


def test_authenticate_tells_the_caller_why_and_no_one_else(db):
    with write_transaction(db):
        workers.add(db, "alice", "correct horse 1", display_name="王芳")
    assert workers.authenticate(db, " Alice ", "correct horse 1").worker.display_name == "王芳"
    wrong = workers.authenticate(db, "alice", "wrong horse 11")
    assert wrong.worker is None and wrong.reason == "wrong_password" and wrong.known.login == "alice"
    unknown = workers.authenticate(db, "nobody", "correct horse 1")
    assert unknown.worker is None and unknown.reason == "unknown" and unknown.known is None
    with write_transaction(db):
        workers.set_disabled(db, "alice", True)
    disabled = workers.authenticate(db, "alice", "correct horse 1")
    assert disabled.worker is None and disabled.reason == "disabled"
    assert workers.authenticate(db, "alice", "x" * 10_000).reason == "wrong_password"  # too long: refused, still hashed
    assert workers.authenticate(db, "a" * 500, "x").reason == "unknown"


def test_a_hash_made_with_other_parameters_is_remade_at_login(db):
    with write_transaction(db):
        worker = workers.add(db, "alice", "correct horse 1")
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse 1")
    db.execute("UPDATE workers SET password_hash = ? WHERE login = 'alice'", [old])
    db.conn.commit()
    assert worker_actions.log_in(db, "alice", "wrong horse 11", "own").worker is None
    assert db.execute("SELECT password_hash FROM workers").fetchone()[0] == old  # a failure changes nothing
    checked = workers.authenticate(db, "alice", "correct horse 1")  # writes nothing: the login action stores it
    assert checked.worker is not None and checked.new_hash
    assert db.execute("SELECT password_hash FROM workers").fetchone()[0] == old
    logged_in = worker_actions.log_in(db, "alice", "correct horse 1", "own")
    new = db.execute("SELECT password_hash, changed_at FROM workers").fetchone()
    assert new[0] != old and extract_parameters(new[0]).memory_cost == 19456
    assert new[1] == worker.changed_at  # not an account change
    assert logged_in.worker.password_mark != worker.password_mark  # a session carries the new hash's mark
    assert workers.authenticate(db, "alice", "correct horse 1").new_hash is None


@pytest.mark.parametrize("login, password, role, display, message", [
    ("a", "long enough 1", "worker", "", "login name"),
    ("Has Space", "long enough 1", "worker", "", "login name"),
    ("-dash", "long enough 1", "worker", "", "login name"),
    ("王芳", "long enough 1", "worker", "", "login name"),
    ("alice", "short", "worker", "", "password"),
    ("alice", "long enough 1", "boss", "", "role"),
    ("alice", "long enough 1", "worker", "x" * 61, "display name"),
    ("alice", "long enough 1", "worker", "line\nbreak", "display name"),
])
def test_bad_accounts_are_refused(db, login, password, role, display, message):
    with pytest.raises(workers.WorkerError, match=message):
        with write_transaction(db):
            workers.add(db, login, password, role=role, display_name=display)
    assert db.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 0


def test_a_login_name_is_taken_once(db):
    with write_transaction(db):
        workers.add(db, "alice", "long enough 1")
    with pytest.raises(workers.WorkerError, match="already"):
        with write_transaction(db):
            workers.add(db, "ALICE", "long enough 2")
    with pytest.raises(workers.WorkerError, match="no worker"):
        with write_transaction(db):
            workers.set_disabled(db, "bob", True)


def test_generated_passwords_are_easy_to_read_and_all_different():
    made = {workers.generate_password() for _ in range(200)}
    assert len(made) == 200
    for password in made:
        assert len(password) == 14 and set(password) <= set(workers.PASSWORD_ALPHABET + "-")


def password_in(output: str) -> str:
    return output.rsplit("password: ", 1)[1].strip()


def test_the_commands_add_disable_enable_reset_and_list(app, runner):
    added = runner.invoke(args=["workers", "add", "Alice", "--display-name", "王芳"])
    assert added.exit_code == 0 and "worker 'alice' added; password: " in added.output
    first = password_in(added.output)
    admin = runner.invoke(args=["workers", "add", "root", "--role", "admin", "--password-stdin"], input="typed-password-1\n")
    assert admin.exit_code == 0 and "password" not in admin.output
    with app.app_context():
        db = get_db()
        assert workers.authenticate(db, "alice", first).worker.role == "worker"
        assert workers.authenticate(db, "root", "typed-password-1").worker.is_admin
        assert runner.invoke(args=["workers", "disable", "alice"]).exit_code == 0
        assert workers.authenticate(db, "alice", first).reason == "disabled"
        assert runner.invoke(args=["workers", "enable", "alice"]).exit_code == 0
        reset = runner.invoke(args=["workers", "reset", "alice"])
        second = password_in(reset.output)
        assert second != first and workers.authenticate(db, "alice", first).worker is None
        assert workers.authenticate(db, "alice", second).worker is not None
        listed = runner.invoke(args=["workers", "list"]).output.splitlines()
        assert [line.split("\t")[:4] for line in listed] == [["alice", "worker", "enabled", "王芳"], ["root", "admin", "enabled", "root"]]
        entries = list(audit.every(db))
        assert [(e.actor, e.action) for e in reversed(entries)] == [
            ("cli", "worker.added"), ("cli", "worker.added"), ("cli", "worker.disabled"), ("cli", "worker.enabled"),
            ("cli", "worker.password_reset")]
        assert entries[-1].detail == {"worker": "alice", "role": "worker"}
    wal = database_path(app).with_name("kiosk.sqlite3-wal")
    raw = database_path(app).read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for secret in (first, second, "typed-password-1"):
        assert secret.encode() not in raw


def test_add_with_reset_is_idempotent_set_up(app, runner):
    """What `make run` does each time: the demo worker exists after, enabled, with a new password."""
    first = password_in(runner.invoke(args=["workers", "add", "demo-worker", "--reset"]).output)
    runner.invoke(args=["workers", "disable", "demo-worker"])
    again = runner.invoke(args=["workers", "add", "demo-worker", "--reset"])
    assert again.exit_code == 0 and "worker 'demo-worker' reset; password: " in again.output
    with app.app_context():
        assert workers.authenticate(get_db(), "demo-worker", password_in(again.output)).worker is not None
        assert workers.authenticate(get_db(), "demo-worker", first).worker is None


@pytest.mark.parametrize("args, stdin, message", [
    (["workers", "add", "bad name"], None, "login name"),
    (["workers", "add", "bob", "--password-stdin"], "short\n", "password"),
    (["workers", "disable", "nobody"], None, "no worker 'nobody'"),
    (["workers", "enable", "nobody"], None, "no worker 'nobody'"),
    (["workers", "reset", "nobody"], None, "no worker 'nobody'"),
])
def test_commands_refuse_bad_input_and_change_nothing(app, runner, args, stdin, message):
    result = runner.invoke(args=args, input=stdin)
    assert result.exit_code != 0 and message in result.output
    with sqlite3.connect(database_path(app)) as raw:
        assert raw.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == 0
        assert raw.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 0
