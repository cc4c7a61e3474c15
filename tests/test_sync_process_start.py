"""The sync service's process (``python -m sync.process``, what kiosk-sync runs): the same start-up
checks as the web app, without Flask or any of the web's modules.

Each case runs the real worker in a fresh interpreter (what a process imports is the point), on a real
SQLite file in a real instance folder, once (``--once``) against a county address where nothing
listens, so that it starts, checks, tries, and ends.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from core import outbox
from core.catalogue import DEMO_FILE
from core.actions.admin import load_catalogue
from core.crypto import PREFIX, load_keyring
from core.db import connect, schema_version
from core.migrations import migrations

from .conftest import ROOT, free_port

WEB = ("flask", "werkzeug", "jinja2", "flask_babel", "flask_wtf", "flask_login", "kiosk.resident", "kiosk.worker",
       "kiosk.keyboard", "kiosk.voice_views", "kiosk.db", "qrcode", "PIL", "limits")

PROBE = """
import json, runpy, sys
sys.argv = ["sync.process", "--once"]
try:
    runpy.run_module("sync.process", run_name="__main__")
except SystemExit as exit:
    code = exit.code
print(json.dumps({{"code": code, "loaded": [m for m in {web!r} if m in sys.modules]}}))
"""


def run_worker(instance) -> dict:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}, "KIOSK_INSTANCE_PATH": str(instance),
           "KIOSK_COUNTY_URL": f"http://127.0.0.1:{free_port()}", "KIOSK_SYNC_TIMEOUT": "2"}
    done = subprocess.run([sys.executable, "-c", PROBE.format(web=WEB)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_sync_service_runs_without_flask_or_any_web_module(tmp_path):
    ran = run_worker(tmp_path / "instance")
    assert ran["code"] == 0 and ran["loaded"] == [], ran
    full = subprocess.run([sys.executable, "-c", "import sys, kiosk; kiosk.create_app(); "
                           f"print([m for m in {WEB[:-3]!r} if m not in sys.modules])"],
                          env={**os.environ, "KIOSK_INSTANCE_PATH": str(tmp_path / "full")}, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    assert full.stdout.strip().splitlines()[-1] == "[]"  # the check can fail: the web app loads them all


def test_the_sync_service_migrates_and_seals_at_start_as_the_web_app_does(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    keyring = load_keyring(instance)
    db = connect(instance / "kiosk.sqlite3", keyring=keyring)
    db.execute("PRAGMA journal_mode=WAL")
    migrations.apply(db, stop_before="m016_outbox_at_scale")  # a file from before the latest migration
    load_catalogue(db, json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    with db.conn:  # with a request saved before sealing: its personal details in plain text
        db.execute("INSERT INTO requests (id, uuid, ticket, check_code, service_code, locale, answers, content_hash,"
                   " requested_at, monotonic_ns, kiosk_id) VALUES (1, 'u1', 'A0001', '000000', 'repairs', 'en', '{}', '',"
                   " '2026-12-01T08:00:00+00:00', 0, 'k')")
        db.execute("INSERT INTO request_personal (request_id, data) VALUES (1, '{\"phone\": \"13800000000\"}')")
        db.execute("INSERT INTO request_events (request_id, state, at) VALUES (1, 'queued', '2026-12-01T08:00:00+00:00')")
    db.close()
    assert run_worker(instance)["code"] == 0
    db = connect(instance / "kiosk.sqlite3", keyring=keyring)
    stored = db.execute("SELECT data FROM request_personal WHERE request_id = 1").fetchone()[0]
    assert stored.startswith(PREFIX) and "13800000000" not in stored
    assert "m016_outbox_at_scale" in schema_version(db) and not migrations.pending(db)  # every later one too
    # it read the request from the migrated file and tried it; nobody answered, so it waits to try again
    assert outbox.current_state(db, 1) == outbox.RETRY_WAIT
    assert oct(instance.stat().st_mode & 0o777) == "0o700"
    db.close()
