"""Power cuts (issue 13, item 2): the start-up integrity check, the nightly online backup and restoring
it (core/backup.py, `flask data check|backup|restore`), on real SQLite files: a backup made while
requests are being saved, pruned to the newest; a damaged file found at start-up, the kiosk read-only
and red on its health page; a damaged backup refused; a restore refused while the sync service runs."""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from core import backup, drafts, submissions
from core.actions import resident
from kiosk import create_app
from kiosk.db import backup_folder, database_path, get_db
from sync import health
from sync.schedule import LOCK_FILE


def save_one(db, n: int) -> None:
    _, draft = resident.start_draft(db, "repairs", "zh_Hans_CN")
    draft.answers = {"what": "light", "where": f"{n}号楼", "danger": "no"}
    draft.personal = {"contact": "centre"}
    resident.save_request(db, draft, "kiosk-1")


def count(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM requests").fetchone()[0]


def damage(path: Path) -> None:
    """Tear the file as a failing card would: garbage over pages in the middle of it."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(size // 3)
        f.write(os.urandom(8192))


def test_a_backup_made_while_requests_are_saved_is_sound_and_pruned(app, tmp_path):
    with app.app_context():
        db = get_db()
        for n in range(50):
            save_one(db, n)
        source = database_path(app)
    stop = threading.Event()

    def keep_saving():  # another process-like writer: its own connection, as the web app's threads have
        with app.app_context():
            n = 1000
            while not stop.is_set() and n < 1400:  # bounded
                save_one(get_db(), n)
                n += 1

    writer = threading.Thread(target=keep_saving)
    writer.start()
    try:
        made = [backup.backup(source, tmp_path / "backups", keep=3, now=datetime(2026, 12, 1, 2, 30, s, tzinfo=timezone.utc))
                for s in range(5)]
    finally:
        stop.set()
        writer.join(timeout=30)
    assert backup.backups(tmp_path / "backups") == made[-3:]  # the newest three
    for copy in made[-3:]:
        assert backup.check(copy) == [] and count(copy) >= 50
        assert copy.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700
    assert not list((tmp_path / "backups").glob(".*partial"))


def test_restoring_puts_the_backup_back_and_keeps_the_file_it_replaced(app, tmp_path):
    with app.app_context():
        db = get_db()
        for n in range(5):
            save_one(db, n)
        source = database_path(app)
        copy = backup.backup(source, tmp_path / "b")
        for n in range(5, 8):
            save_one(db, n)
    assert count(source) == 8
    aside = backup.restore(copy, source)
    assert count(source) == 5 and backup.check(source) == [] and count(aside) == 8
    assert not source.with_name(source.name + "-wal").exists() or source.with_name(source.name + "-wal").stat().st_size == 0


def test_a_damaged_database_is_found_at_start_and_the_kiosk_goes_read_only(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db = get_db()
        from core.catalogue import DEMO_FILE
        from core.actions.admin import load_catalogue
        import json

        load_catalogue(db, json.loads(DEMO_FILE.read_text(encoding="utf-8")))
        for n in range(300):
            save_one(db, n)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = database_path(app)
    damage(path)
    assert backup.check(path)
    damaged = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    assert damaged.config["DB_READ_ONLY"] and damaged.config["DB_INTEGRITY"]
    assert any("IS DAMAGED" in r.getMessage() and "data restore" in r.getMessage() for r in caplog.records)
    answer = damaged.test_client().get("/health.json")  # the monitor on the box still gets an answer
    assert answer.status_code in (200, 503)
    figures = answer.get_json()["figures"]
    assert figures["integrity"]["verdict"] == "red" and figures["integrity"]["value"] == "damaged"
    with pytest.raises(backup.BackupError, match="did not pass its check"):
        backup.restore(path, tmp_path / "elsewhere.sqlite3")  # a damaged file is never put back


def test_the_commands_check_back_up_and_restore(app, runner, tmp_path):
    with app.app_context():
        save_one(get_db(), 1)
    assert "sound" in runner.invoke(args=["data", "check"]).output
    made = runner.invoke(args=["data", "backup"])
    assert made.exit_code == 0 and "backed up to" in made.output and "data key is not in it" in made.output
    with app.app_context():
        save_one(get_db(), 2)
        newest = backup.backups(backup_folder(app))[-1]
    done = runner.invoke(args=["data", "restore", "--yes"])
    assert done.exit_code == 0 and str(newest) in done.output, done.output
    with app.app_context():
        assert count(database_path(app)) == 1
    # while the sync service holds its lock, nothing is restored
    lock = Path(app.instance_path) / LOCK_FILE
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        refused = runner.invoke(args=["data", "restore", "--yes"])
    assert refused.exit_code != 0 and "sync service is running" in refused.output
    assert runner.invoke(args=["data", "restore", "--yes", str(tmp_path / "none.sqlite3")]).exit_code != 0


def test_the_health_page_says_when_the_last_backup_was(app, client):
    from .worker_helpers import add_accounts, log_in

    add_accounts(app)
    log_in(client, "alice")
    now = datetime.now(timezone.utc)
    with app.app_context():
        folder = backup_folder(app)
        never = {f.name: f for f in health.check(get_db(), app.instance_path, database_path(app), backups=folder).figures}
        assert (never["last_backup"].verdict, never["last_backup"].code) == (health.AMBER, "never")
        made = backup.backup(database_path(app), folder)
        fresh = {f.name: f for f in health.check(get_db(), app.instance_path, database_path(app), backups=folder).figures}
        assert fresh["last_backup"].verdict == health.GREEN and fresh["last_backup"].extra["file"] == made.name
        for days, verdict in ((3, health.AMBER), (9, health.RED)):
            stamp = (now - timedelta(days=days)).timestamp()
            os.utime(made, (stamp, stamp))
            old = {f.name: f for f in health.check(get_db(), app.instance_path, database_path(app), backups=folder).figures}
            assert old["last_backup"].verdict == verdict, days
    page = client.get("/worker/health", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Last backup" in page and "Database check" in page and "Sound" in page
