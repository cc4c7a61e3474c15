"""Personal data at rest: sealed in the file, purged when its time is up, and the bytes really gone.

Seeded names, phones and addresses are looked for in the raw bytes of the database file, its WAL and
the on-demand audio folder: after the resident fills in the form, after submitting, and after a purge.
"""
from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

from core import drafts, outbox, personal, retention, submissions
from core.actions import resident
from core.actions import system
from core.clock import iso
from core.crypto import KEY_FILE, NEW_KEY_FILE, Keyring, SealError, load_keyring, new_key
from core.db import connect, write_transaction
from kiosk.db import database_path, get_db, keyring

from .flows import confirm, fill_service

SEEDS = ("王秀兰", "幸福路12号", "3-2-501", "13800138000", "13800 138000")


def raw_bytes(app) -> bytes:
    path = database_path(app)
    files = [path, path.with_name(path.name + "-wal")] + sorted((Path(app.instance_path) / "audio").glob("*"))
    return b"".join(f.read_bytes() for f in files if f.exists())


def assert_nothing_personal_in(data: bytes) -> None:
    for seed in SEEDS:
        assert seed.encode() not in data, f"{seed} is readable in the file"


def file_home_care(app, client):
    from core.catalogue import get_service

    with app.app_context():
        service = get_service(get_db(), "home-care", "zh_Hans_CN")
    fill_service(client, service, contact="phone", name="王秀兰", address="幸福路12号 3-2-501")
    check = client.get("/request/check").get_data(as_text=True)
    assert "王秀兰" in check  # the resident sees it; the file does not hold it readably
    return confirm(client)


def test_personal_data_is_sealed_in_the_file_its_wal_and_drafts(app, client):
    client.post("/services/home-care")
    client.post("/request/questions/help", data={"answer": "bathing"})
    client.post("/request/questions/often", data={"answer": "weekly"})
    client.post("/request/about-you", data={"name": "王秀兰", "address": "幸福路12号 3-2-501"})
    assert_nothing_personal_in(raw_bytes(app))  # a draft in progress
    client.post("/request/contact", data={"contact": "phone", "phone": "13800138000"})
    ticket, code = confirm(client)
    assert_nothing_personal_in(raw_bytes(app))  # saved
    with app.app_context():
        saved = submissions.find(get_db(), ticket, code)
        assert personal.load_for_request(get_db(), saved.id)["phone"] == "13800138000"  # the key opens it


def test_files_are_the_owners_alone(app):
    folder = Path(app.instance_path)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in (folder / KEY_FILE, database_path(app)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_ticket_look_up_opens_only_that_request(app, client, monkeypatch):
    tickets = [file_home_care(app, app.test_client()) for _ in range(3)]
    opened = []
    real_open = Keyring.open
    monkeypatch.setattr(Keyring, "open", lambda self, stored, column: opened.append(column) or real_open(self, stored, column))
    ticket, code = tickets[1]
    assert client.get(f"/status/{ticket}?c={code}").status_code == 200
    assert opened.count("requests.answers") <= 1 and "request_personal.data" not in opened


def test_a_wrong_key_opens_nothing(app, client):
    ticket, code = file_home_care(app, client)
    with app.app_context():
        db = get_db()
        db.keyring = Keyring([new_key()])
        try:
            submissions.find(db, ticket, code)
        except SealError as exc:
            assert "data key" in str(exc)
        else:
            raise AssertionError("a wrong key opened the answers")


def test_purge_leaves_a_stub_and_the_status_page_still_works(app, client):
    ticket, code = file_home_care(app, client)
    client.post("/services/repairs")  # a draft left behind
    later = datetime.now(timezone.utc) + timedelta(days=40)
    with app.app_context():
        db = get_db()
        saved = submissions.find(db, ticket, code)
        with write_transaction(db):
            outbox.record(db, saved.id, outbox.CLOSED, at=iso(later - timedelta(days=31)), status="closed",
                          status_notes="已办结")
        assert system.purge(db, later, dry_run=True) == {"drafts": 1, "requests": 1}
        assert system.purge(db, later) == {"drafts": 1, "requests": 1}
        assert system.purge(db, later) == {"drafts": 0, "requests": 0}  # nothing twice
        stub = submissions.find(db, ticket, code)
        assert stub.answers == {} and personal.load_for_request(db, saved.id) == {}
    assert_nothing_personal_in(raw_bytes(app))
    page = client.get(f"/status/{ticket}?c={code}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Finished" in page.get_data(as_text=True)


def test_a_request_closed_recently_keeps_its_details(app, client):
    ticket, code = file_home_care(app, client)
    now = datetime.now(timezone.utc)
    with app.app_context():
        db = get_db()
        saved = submissions.find(db, ticket, code)
        with write_transaction(db):
            outbox.record(db, saved.id, outbox.CLOSED, at=iso(now - timedelta(days=29)))
        assert system.purge(db, now) == {"drafts": 0, "requests": 0}
        assert submissions.find(db, ticket, code).answers == {"help": "cleaning", "often": "once"}


def test_purge_command_dry_run_changes_nothing(app, runner, client):
    client.post("/services/repairs")
    result = runner.invoke(args=["data", "purge", "--dry-run", "--draft-hours=-0.01"])
    assert result.exit_code == 0 and "1 draft" in result.output and "would" in result.output
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM drafts").fetchone()[0] == 1
    result = runner.invoke(args=["data", "purge", "--draft-hours=-0.01"])
    assert result.exit_code == 0
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM drafts").fetchone()[0] == 0


def test_rotate_key_reseals_everything_and_a_cut_short_rotation_finishes_at_start(app, client, runner):
    ticket, code = file_home_care(app, client)
    folder = Path(app.instance_path)
    old = (folder / KEY_FILE).read_text()
    result = runner.invoke(args=["data", "rotate-key"])
    assert result.exit_code == 0 and "re-sealed" in result.output
    assert (folder / KEY_FILE).read_text() != old and not (folder / NEW_KEY_FILE).exists()
    with app.app_context():
        assert submissions.find(get_db(), ticket, code).answers  # the kiosk reads with the new key at once
        raw = get_db().execute("SELECT answers FROM requests").fetchone()[0]
        assert keyring(app).is_current(raw)

    # A rotation cut short after the new key was written: the next start finishes it.
    (folder / NEW_KEY_FILE).write_text((folder / KEY_FILE).read_text())  # stands for a fresh key...
    os.chmod(folder / NEW_KEY_FILE, 0o600)
    from kiosk import create_app
    create_app({"TESTING": True})
    assert not (folder / NEW_KEY_FILE).exists()


def test_the_key_can_come_from_the_environment(tmp_path):
    import base64

    key = new_key()
    ring = load_keyring(tmp_path, {"KIOSK_DATA_KEY": base64.b64encode(key).decode()})
    assert ring.source == "KIOSK_DATA_KEY" and not (tmp_path / KEY_FILE).exists()
    db = connect(tmp_path / "k.sqlite3", keyring=ring)
    sealed = ring.seal("王秀兰", "request_personal.data")
    assert "王秀兰" not in sealed and ring.open(sealed, "request_personal.data") == "王秀兰"
    try:
        ring.open(sealed, "requests.answers")  # bound to its column
    except SealError:
        pass
    else:
        raise AssertionError("a value opened in another column")
    db.close()
    assert json.loads(ring.open(ring.seal("{}", "x"), "x")) == {}


def test_spoken_personal_words_are_for_their_visit_only_and_kept_on_no_card(app, client):
    import re

    client.post("/services/home-care")
    client.post("/request/questions/help", data={"answer": "bathing"})
    client.post("/request/questions/often", data={"answer": "weekly"})
    client.post("/request/about-you", data={"name": "王秀兰", "address": "幸福路12号 3-2-501"})
    client.post("/request/contact", data={"contact": "phone", "phone": "13800138000"})
    page = client.get("/request/check").get_data(as_text=True)
    src = re.search(r'id="speech-audio"[^>]* src="(/voice/[0-9a-f]+)"', page).group(1)
    mine = client.get(src)
    assert mine.status_code == 200 and mine.mimetype in ("audio/ogg", "audio/wav") and len(mine.data) > 1000
    assert mine.headers["Cache-Control"] == "no-store"
    part = client.get(src, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100  # the media element's range requests work
    assert app.test_client().get(src).status_code == 404  # another visit cannot fetch it
    audio = Path(app.instance_path) / "audio"
    assert not audio.exists() or not any(audio.iterdir())  # nothing left on the card
    client.post("/visit/end", data={"why": "idle"})
    assert client.get(src).status_code == 404  # the visit is over: its words are gone with it


def test_a_privacy_notice_where_details_are_asked_and_on_the_receipt(app, client):
    """What is kept, why, and for how long: on the about-you and contact pages and on the receipt."""
    notice = "they are deleted 30 days after the request is finished"
    en = {"Accept-Language": "en"}
    client.post("/language", data={"locale": "en"})
    client.post("/services/home-care")
    client.post("/request/questions/help", data={"answer": "bathing"})
    client.post("/request/questions/often", data={"answer": "weekly"})
    assert notice in client.get("/request/about-you", headers=en).get_data(as_text=True)
    client.post("/request/about-you", data={"name": "王秀兰", "address": "3-2-501"})
    assert notice in client.get("/request/contact", headers=en).get_data(as_text=True)
    client.post("/request/contact", data={"contact": "centre"})
    ticket, _ = confirm(client)
    assert notice in client.get(f"/receipt/{ticket}", headers=en).get_data(as_text=True)


def test_a_long_lived_connection_follows_a_key_rotation(app, client, runner):
    """The sync service keeps one connection for its life: after `data rotate-key` in another process it
    must seal with the new key, and the next start must find nothing it cannot open."""
    ticket, code = file_home_care(app, client)
    with app.app_context():
        worker_db = get_db()  # held, as the worker holds it
        assert runner.invoke(args=["data", "rotate-key"]).exit_code == 0
        saved = submissions.find(worker_db, ticket, code)  # opens what the rotation re-sealed
        with write_transaction(worker_db):
            submissions.forget_answers(worker_db, [saved.id], "2026-11-25T00:00:00+00:00")
        raw = worker_db.execute("SELECT answers FROM requests WHERE id = ?", [saved.id]).fetchone()[0]
        assert keyring(app).is_current(raw)
    from kiosk import create_app
    create_app({"TESTING": True})  # starts, re-seals nothing it cannot open, drops the old key
    assert not (Path(app.instance_path) / "data.key.old").exists()


def test_resume_codes_are_keyed_hashes_and_open_only_parked_drafts(app, client):
    import hashlib

    client.post("/services/home-care")
    client.post("/request/questions/help", data={"answer": "bathing"})
    with app.app_context():
        draft = drafts.load(get_db(), client.get_cookie("kiosk_draft").value)
        stored = get_db().execute("SELECT resume_key FROM drafts").fetchone()[0]
        assert stored != hashlib.sha256(draft.resume_code.encode()).hexdigest()  # not reversible from the file alone
        assert resident.resume_draft(get_db(), draft.resume_code) is None  # still open on the screen: not taken
    client.post("/visit/end", data={"why": "idle"})
    with app.app_context():
        assert resident.resume_draft(get_db(), draft.resume_code) is not None


def test_resealing_asks_sqlite_for_the_stale_values_only_and_renews_every_one(tmp_path):
    """At start-up re-sealing picks the values not under the current key in SQL (500 at a time): with
    1,234 requests, a third under the old key and one written before sealing, exactly those change."""
    from core.catalogue import DEMO_FILE
    from core.actions.admin import load_catalogue
    from core.db import migrate

    old_key, current_key = new_key(), new_key()
    old, current = Keyring([old_key]), Keyring([current_key])
    db = connect(tmp_path / "k.sqlite3", keyring=Keyring([current_key, old_key]))  # seals with the current key
    migrate(db)
    load_catalogue(db, json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    rows = [(i, f"u{i}", f"T{i}", (old if i % 3 == 0 else current).seal(json.dumps({"n": i}), submissions.ANSWERS))
            for i in range(1, 1235)]
    rows[99] = (100, "u100", "T100", '{"n": 100}')  # written before sealing
    with db.conn:
        db.conn.executemany("INSERT INTO requests (id, uuid, ticket, check_code, service_code, locale, answers, content_hash,"
                            " requested_at, monotonic_ns, kiosk_id) VALUES (?, ?, ?, '000000', 'repairs', 'en', ?, '',"
                            " '2026-12-01T08:00:00+00:00', 0, 'k')", rows)
    with write_transaction(db):
        assert submissions.reseal(db) == 1234 // 3 + 1
    stored = [row[0] for row in db.execute("SELECT answers FROM requests ORDER BY id")]
    assert all(current.is_current(value) for value in stored)
    assert [json.loads(current.open(value, submissions.ANSWERS))["n"] for value in stored] == list(range(1, 1235))
    with write_transaction(db):
        assert submissions.reseal(db) == 0
    db.close()
