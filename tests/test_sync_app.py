"""kiosk.sync_app, the sync worker's own app: the same start-up checks as the web app, none of its pages.

Each case builds the app in a fresh interpreter (what a process imports is the point), on a real
SQLite file in a real instance folder.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from core import outbox
from core.catalogue import DEMO_FILE, load_catalogue
from core.crypto import PREFIX, load_keyring
from core.db import connect, schema_version
from core.migrations import migrations

from .conftest import ROOT

WEB_ONLY = ("kiosk.resident", "kiosk.worker", "kiosk.keyboard", "kiosk.voice.web", "kiosk.outcomes_views",
            "kiosk.health_views", "flask_babel", "flask_wtf", "flask_login", "argon2")
# Loaded by neither at start: the web app imports qrcode at its first receipt (tests/test_web_surface.py);
# limits is no longer used at all (kiosk/limits.py counts by itself).
NEITHER = ("qrcode", "PIL", "limits")

PROBE = """
import json, sys
from {module} import create_app
app = create_app()
print(json.dumps({{"sync": "sync" in app.cli.commands, "loaded": [m for m in {web_only!r} if m in sys.modules],
                  "neither": [m for m in {neither!r} if m in sys.modules]}}))
"""


def build(module: str, instance) -> dict:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}, "KIOSK_INSTANCE_PATH": str(instance)}
    done = subprocess.run([sys.executable, "-c", PROBE.format(module=module, web_only=WEB_ONLY, neither=NEITHER)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_sync_workers_app_has_the_sync_commands_and_none_of_the_web_modules(tmp_path):
    lean = build("kiosk.sync_app", tmp_path / "lean")
    assert lean["sync"] and lean["loaded"] == [] and lean["neither"] == [], lean
    full = build("kiosk", tmp_path / "full")  # the check can fail: the web app loads them all
    assert full["sync"] and set(full["loaded"]) == set(WEB_ONLY) and full["neither"] == [], full


def test_the_sync_workers_app_migrates_and_seals_at_start_as_the_web_app_does(tmp_path):
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
    build("kiosk.sync_app", instance)
    db = connect(instance / "kiosk.sqlite3", keyring=keyring)
    stored = db.execute("SELECT data FROM request_personal WHERE request_id = 1").fetchone()[0]
    assert stored.startswith(PREFIX) and "13800000000" not in stored
    assert schema_version(db)[-1] == "m016_outbox_at_scale" and outbox.current_state(db, 1) == outbox.QUEUED
    assert oct(instance.stat().st_mode & 0o777) == "0o700"
    db.close()
