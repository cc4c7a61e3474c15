"""Make tests/data/kiosk-schema-m005.sql with the code of commit f0fda19 (schema m001-m005).

The file stands for a database made by the kiosk before the Flask-free core (issue 8): three
requests at different points of their life, one unfinished draft, one sync run. It was made once:

    git worktree add /tmp/kiosk-f0fda19 f0fda19
    .venv/bin/python tests/data/make_kiosk_schema_m005.py /tmp/kiosk-f0fda19

tests/test_db.py loads it into a file and upgrades it in place with today's code.
"""
import json, os, sqlite3, sys
OLD = sys.argv[1]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kiosk-schema-m005.sql")
sys.path.insert(0, OLD)
from kiosk.catalogue import DEMO_FILE, load_catalogue
from kiosk.db import connect, migrate, write_transaction
from kiosk import drafts, submissions
from sync import outbox

path = os.path.join(OLD, "old.sqlite3")
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix): os.remove(path + suffix)
db = connect(path)
migrate(db)
load_catalogue(db, json.loads(DEMO_FILE.read_text(encoding="utf-8")))

def filed(service, answers, personal):
    _, d = drafts.start(db, service, "zh_Hans_CN")
    d.answers, d.personal = answers, personal
    drafts.save(db, d)
    return submissions.save_request(db, d, "kiosk-1")

a = filed("home-care", {"help": "cleaning", "often": "weekly"},
          {"name": "王秀英", "address": "幸福路 12 号 3 单元 401", "phone": "13800138000", "contact": "phone"})
b = filed("repairs", {"what": "lift", "where": "2 号楼电梯", "danger": "no"}, {"contact": "centre"})
c = filed("feedback", {"kind": "suggestion", "about": "centre", "message": "希望周末也开门"}, {"contact": "none"})
with write_transaction(db):
    outbox.record(db, a.id, outbox.IN_FLIGHT, attempt=1)
    outbox.record(db, a.id, outbox.ACCEPTED, attempt=1, service_request_id="1001")
    outbox.record(db, a.id, outbox.IN_PROGRESS, service_request_id="1001", status="open",
                  status_notes="已安排护理员周三上门", agency_responsible="街道养老服务站", updated_datetime="2026-11-24T09:00:00+08:00")
    outbox.record(db, b.id, outbox.IN_FLIGHT, attempt=1)
    outbox.record(db, b.id, outbox.QUARANTINED, attempt=1, reason="unknown service_code", http_status=400)
    db.execute("INSERT INTO sync_runs (trigger, started_at, finished_at, sent, accepted, quarantined, clock_offset_seconds)"
               " VALUES ('manual', '2026-11-24T01:00:00+00:00', '2026-11-24T01:00:02+00:00', 2, 1, 1, 1.5)")
token, left = drafts.start(db, "pension-cert", "zh_Hant_TW")
left.answers, left.personal = {"who": "self"}, {"name": "陳大文"}
drafts.save(db, left)
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
conn = sqlite3.connect(path)
header = ("-- A kiosk database as commit f0fda19 made it (schema m001-m005): three requests (accepted and\n"
          "-- being handled / quarantined / queued), their events, one unfinished draft, one sync run.\n"
          "-- Made once by tests/data/make_kiosk_schema_m005.py; tests/test_db.py upgrades it in place.\n"
          f"-- Tickets {a.ticket}/{a.check_code}, {b.ticket}/{b.check_code}, {c.ticket}/{c.check_code}; draft cookie token {token}\n")
open(OUT, "w", encoding="utf-8").write(header + "\n".join(conn.iterdump()) + "\n")
